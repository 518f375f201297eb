#pragma once
// CPU matrix products with weights dequantized on the fly: y = x · Wᵀ for a batch of
// activation rows. Portable scalar code; the caller's ThreadPool splits the weight rows.

#include <cstddef>

#include "hearth/localnode/model.hpp"

namespace hearth::localnode {

class ThreadPool;

namespace cpu {

// x: (n_tokens, w.n_in) row-major; y: (n_tokens, w.n_out) row-major. Decode (n_tokens 1)
// is a mat-vec; prefill reuses each dequantized weight row for every token.
void matmul(const Weight& w, const float* x, size_t n_tokens, float* y, ThreadPool& pool);

// Dot product of two f32 vectors with several partial sums (the compiler vectorizes it).
float dot(const float* a, const float* b, size_t n);

}  // namespace cpu
}  // namespace hearth::localnode
