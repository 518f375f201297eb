#include "cpu/ops.hpp"

#include <algorithm>
#include <cmath>

namespace hearth::localnode::cpu {

void rms_norm(const float* x, const float* w, float eps, size_t n, float* out) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const auto mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (size_t i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

void rope_angles(float pos, size_t n_rot, float freq_base, float freq_scale,
                 const float* freq_factors, float* cos_sin) {
  const float theta_scale = std::pow(freq_base, -2.0f / static_cast<float>(n_rot));
  float theta = pos;
  for (size_t i = 0; i < n_rot / 2; ++i) {
    const float ff = freq_factors != nullptr ? freq_factors[i] : 1.0f;
    const float t = freq_scale * (theta / ff);
    cos_sin[2 * i] = std::cos(t);
    cos_sin[2 * i + 1] = std::sin(t);
    theta *= theta_scale;
  }
}

void rope(float* head, size_t n_rot, const float* cos_sin, bool neox) {
  const size_t half = n_rot / 2;
  for (size_t i = 0; i < half; ++i) {
    const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
    float* a = neox ? head + i : head + 2 * i;
    float* b = neox ? head + i + half : head + 2 * i + 1;
    const float x0 = *a, x1 = *b;
    *a = x0 * c - x1 * s;
    *b = x0 * s + x1 * c;
  }
}

void softmax(float* x, size_t n) {
  if (n == 0) return;
  const float max = *std::max_element(x, x + n);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const auto inv = static_cast<float>(1.0 / sum);
  for (size_t i = 0; i < n; ++i) x[i] *= inv;
}

void add(float* y, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace hearth::localnode::cpu
