#pragma once
// Causal attention of one query head over the cached positions 0 .. n_pos - 1 of its KV
// head (scalar): scores = q·k * scale, softmax, out = Σ p · v. The cache rows come from
// callables (position -> row pointer) so that one loop serves every cache layout.

#include <cstddef>
#include <cstdint>

#include "cpu/matmul.hpp"
#include "cpu/ops.hpp"
#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode::cpu {

// scores: n_pos scratch floats; out: head_dim floats.
template <class KRow, class VRow>
void attend_f32(const float* q, size_t n_pos, size_t head_dim, float scale, float* scores, float* out, KRow k_row,
                VRow v_row) {
  for (size_t p = 0; p < n_pos; ++p) scores[p] = dot(q, k_row(p), head_dim) * scale;
  softmax(scores, n_pos);
  for (size_t d = 0; d < head_dim; ++d) out[d] = 0.0f;
  for (size_t p = 0; p < n_pos; ++p) {
    const float* v = v_row(p);
    const float a = scores[p];
    for (size_t d = 0; d < head_dim; ++d) out[d] += a * v[d];
  }
}

// The same over half-precision rows (uint16_t bits). Like an F16 matrix product, it rounds
// the other operand to half precision too: q for the scores, the probabilities for the values
// (as llama.cpp's CPU backend does, so that both engines agree to ~1e-3 in the logits).
template <class KRow, class VRow>
void attend_f16(const float* q, size_t n_pos, size_t head_dim, float scale, float* scores, float* out, KRow k_row,
                VRow v_row) {
  for (size_t p = 0; p < n_pos; ++p) {
    const uint16_t* k = k_row(p);
    float acc = 0.0f;
    for (size_t d = 0; d < head_dim; ++d) acc += fp16_to_fp32(fp32_to_fp16(q[d])) * fp16_to_fp32(k[d]);
    scores[p] = acc * scale;
  }
  softmax(scores, n_pos);
  for (size_t d = 0; d < head_dim; ++d) out[d] = 0.0f;
  for (size_t p = 0; p < n_pos; ++p) {
    const uint16_t* v = v_row(p);
    const float a = fp16_to_fp32(fp32_to_fp16(scores[p]));
    for (size_t d = 0; d < head_dim; ++d) out[d] += a * fp16_to_fp32(v[d]);
  }
}

}  // namespace hearth::localnode::cpu
