#include "cpu/matmul.hpp"

#include <cstring>
#include <vector>

#include "thread_pool.hpp"

namespace hearth::localnode::cpu {

float dot(const float* a, const float* b, size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
  }
  float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

namespace {

// Q8_0 row · x without a dequantized copy: per block, d * Σ q_j x_j.
float dot_q8_0(const uint8_t* row, const float* x, size_t n) {
  float sum = 0.0f;
  for (size_t b = 0; b < n / kQK; ++b, row += 34, x += kQK) {
    uint16_t dh;
    std::memcpy(&dh, row, 2);
    const auto* q = reinterpret_cast<const int8_t*>(row + 2);
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t j = 0; j < kQK; j += 8) {
      for (size_t k = 0; k < 8; ++k) acc[k] += static_cast<float>(q[j + k]) * x[j + k];
    }
    sum += fp16_to_fp32(dh) * (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])));
  }
  return sum;
}

}  // namespace

void matmul(const Weight& w, const float* x, size_t n_tokens, float* y, ThreadPool& pool) {
  const size_t n_in = w.n_in, n_out = w.n_out;
  pool.parallel_for(n_out, 4, [&](size_t r0, size_t r1) {
    // One dequantized weight row at a time, reused for every token of the batch.
    thread_local std::vector<float> row;
    if (w.type != TensorType::F32 && row.size() < n_in) row.resize(n_in);
    if (w.type == TensorType::Q8_0 && n_tokens == 1) {
      for (size_t r = r0; r < r1; ++r) y[r] = dot_q8_0(w.row(r), x, n_in);
      return;
    }
    for (size_t r = r0; r < r1; ++r) {
      const float* wr;
      if (w.type == TensorType::F32) {
        wr = reinterpret_cast<const float*>(w.row(r));
      } else {
        dequantize_row(w.type, w.row(r), row.data(), n_in);
        wr = row.data();
      }
      for (size_t t = 0; t < n_tokens; ++t) y[t * n_out + r] = dot(wr, x + t * n_in, n_in);
    }
  });
}

}  // namespace hearth::localnode::cpu
