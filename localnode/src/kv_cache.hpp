#pragma once
// The KV cache of one inference stream: per layer, the rotated keys and the values of every
// position so far, laid out (n_layer, n_ctx, n_head_kv * head_dim), stored as F32, F16 or
// Q8_0 (blocks of 32 along each row: 34 bytes, half the F16 size; head_dim must be a multiple
// of 32). Not thread-safe; distinct (layer, position, head) slices may be written at once.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "cpu/kernels.hpp"
#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode {

class KvCache {
 public:
  KvCache(uint32_t n_layer, uint32_t n_ctx, size_t kv_dim, TensorType type)
      : n_ctx_(n_ctx), kv_dim_(kv_dim), type_(type), row_bytes_(row_bytes(type, kv_dim)) {
    // Uninitialised: attention reads only the positions written, and the system maps the
    // pages on first write, so reserving a long context costs nothing up front.
    bytes_ = static_cast<size_t>(n_layer) * n_ctx * row_bytes_;
    k_.reset(new uint8_t[bytes_]);
    v_.reset(new uint8_t[bytes_]);
  }

  TensorType type() const { return type_; }
  size_t kv_dim() const { return kv_dim_; }
  uint32_t n_ctx() const { return n_ctx_; }
  size_t bytes() const { return 2 * bytes_; }

  // Stores elements [at, at + n) of the k and v rows of layer `il` at position `pos` (for
  // Q8_0, `at` and `n` are multiples of 32).
  void store(const cpu::KernelSet& ks, uint32_t il, uint32_t pos, size_t at, size_t n,
             const float* k, const float* v) {
    uint8_t* kr = k_.get() + offset(il, pos) + row_bytes(type_, at);
    uint8_t* vr = v_.get() + offset(il, pos) + row_bytes(type_, at);
    switch (type_) {
      case TensorType::F16:
        ks.to_f16(k, reinterpret_cast<uint16_t*>(kr), n);
        ks.to_f16(v, reinterpret_cast<uint16_t*>(vr), n);
        break;
      case TensorType::Q8_0:
        for (size_t b = 0; b < n / 32; ++b) {
          quantize_q8_0(k + 32 * b, kr + 34 * b);
          quantize_q8_0(v + 32 * b, vr + 34 * b);
        }
        break;
      default:
        std::memcpy(kr, k, n * sizeof(float));
        std::memcpy(vr, v, n * sizeof(float));
        break;
    }
  }

  // The k or v row of layer `il` at `pos` (kv_dim elements of type()).
  const uint8_t* k(uint32_t il, uint32_t pos) const { return k_.get() + offset(il, pos); }
  const uint8_t* v(uint32_t il, uint32_t pos) const { return v_.get() + offset(il, pos); }
  size_t row_bytes_per_position() const { return row_bytes_; }

 private:
  size_t offset(uint32_t il, uint32_t pos) const {
    return (static_cast<size_t>(il) * n_ctx_ + pos) * row_bytes_;
  }

  // One Q8_0 block: d = max|x| / 127 (stored as f16), q = round(x * 127 / max|x|).
  static void quantize_q8_0(const float* x, uint8_t* out) {
    float amax = 0.0f;
    for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    const uint16_t dh = fp32_to_fp16(amax / 127.0f);
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    std::memcpy(out, &dh, 2);
    for (size_t j = 0; j < 32; ++j)
      out[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::lrintf(x[j] * id)));
  }

  uint32_t n_ctx_;
  size_t kv_dim_;
  TensorType type_;
  size_t row_bytes_;
  size_t bytes_;  // of k_, and of v_
  std::unique_ptr<uint8_t[]> k_, v_;
};

}  // namespace hearth::localnode
