#include "cpu/ops.hpp"

#include <algorithm>
#include <cmath>

namespace hearth::localnode::cpu {

void rms_norm(const float* x, const float* w, float eps, size_t n, float* out) {
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  for (size_t i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

void rope(float* head, size_t n_rot, float pos, float freq_base, float freq_scale, const float* freq_factors,
          bool neox) {
  const size_t half = n_rot / 2;
  for (size_t i = 0; i < half; ++i) {
    double theta = static_cast<double>(pos) * freq_scale *
                   std::pow(static_cast<double>(freq_base), -2.0 * static_cast<double>(i) / static_cast<double>(n_rot));
    if (freq_factors != nullptr) theta /= freq_factors[i];
    const auto c = static_cast<float>(std::cos(theta));
    const auto s = static_cast<float>(std::sin(theta));
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
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (size_t i = 0; i < n; ++i) x[i] *= inv;
}

void swiglu(float* gate, const float* up, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void add(float* y, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace hearth::localnode::cpu
