#pragma once
// Element-wise and per-row CPU operations of the forward pass (scalar, portable). Where the
// rounding is observable in the logits (norm scale, rotary angles) they round as llama.cpp's
// CPU backend does, so that both engines agree closely on the same model.

#include <cstddef>

namespace hearth::localnode::cpu {

// out = x * (1 / sqrt(mean(x²) + eps)) * w over n elements (the mean summed in double and
// rounded to f32); out may alias x.
void rms_norm(const float* x, const float* w, float eps, size_t n, float* out);

// The rotary angles of one position: cos_sin[2i], cos_sin[2i + 1] = cos, sin of
// theta_i = pos * base^(-2i / n_rot) * freq_scale / freq_factors[i] for i < n_rot / 2
// (freq_factors may be null), the powers built by repeated f32 multiplication.
void rope_angles(float pos, size_t n_rot, float freq_base, float freq_scale,
                 const float* freq_factors, float* cos_sin);

// Rotates one head by the angles of rope_angles(): its first n_rot dimensions, as adjacent
// pairs (2i, 2i + 1) or, when `neox`, as halves (i, i + n_rot / 2).
void rope(float* head, size_t n_rot, const float* cos_sin, bool neox);

// In place: x = softmax(x) over n elements.
void softmax(float* x, size_t n);

// y += x over n elements.
void add(float* y, const float* x, size_t n);

}  // namespace hearth::localnode::cpu
