#pragma once
// Element-wise and per-row CPU operations of the forward pass (scalar, portable).

#include <cstddef>

namespace hearth::localnode::cpu {

// out = x / sqrt(mean(x²) + eps) * w, over n elements; out may alias x.
void rms_norm(const float* x, const float* w, float eps, size_t n, float* out);

// Rotates one head of `head_dim` values at position `pos`: the first n_rot dimensions, as
// adjacent pairs (2i, 2i + 1) or, when `neox`, as halves (i, i + n_rot / 2). theta_i =
// pos * freq_scale * base^(-2i / n_rot) / freq_factors[i] (freq_factors may be null).
void rope(float* head, size_t n_rot, float pos, float freq_base, float freq_scale, const float* freq_factors,
          bool neox);

// In place: x = softmax(x) over n elements.
void softmax(float* x, size_t n);

// gate = silu(gate) * up, over n elements.
void swiglu(float* gate, const float* up, size_t n);

// y += x over n elements.
void add(float* y, const float* x, size_t n);

}  // namespace hearth::localnode::cpu
