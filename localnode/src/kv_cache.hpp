#pragma once
// The KV cache of one inference stream: per layer, the rotated keys and the values of every
// position so far, laid out (n_layer, n_ctx, n_head_kv * head_dim), stored as F32 or F16.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode {

class KvCache {
 public:
  KvCache(uint32_t n_layer, uint32_t n_ctx, size_t kv_dim, TensorType type)
      : n_ctx_(n_ctx), kv_dim_(kv_dim), type_(type) {
    const size_t n = static_cast<size_t>(n_layer) * n_ctx * kv_dim;
    if (type == TensorType::F16) {
      k16_.resize(n);
      v16_.resize(n);
    } else {
      k32_.resize(n);
      v32_.resize(n);
    }
  }

  TensorType type() const { return type_; }
  size_t kv_dim() const { return kv_dim_; }
  size_t bytes() const { return (k32_.size() + v32_.size()) * 4 + (k16_.size() + v16_.size()) * 2; }

  // Stores the (kv_dim) rows k and v of layer `il` at position `pos`.
  void store(uint32_t il, uint32_t pos, const float* k, const float* v) {
    const size_t at = offset(il, pos);
    if (type_ == TensorType::F16) {
      for (size_t i = 0; i < kv_dim_; ++i) {
        k16_[at + i] = fp32_to_fp16(k[i]);
        v16_[at + i] = fp32_to_fp16(v[i]);
      }
    } else {
      for (size_t i = 0; i < kv_dim_; ++i) {
        k32_[at + i] = k[i];
        v32_[at + i] = v[i];
      }
    }
  }

  // (kv_dim) rows of layer `il` at `pos`; the element type is float for F32, uint16_t
  // (half bits) for F16.
  const float* k32(uint32_t il, uint32_t pos) const { return k32_.data() + offset(il, pos); }
  const float* v32(uint32_t il, uint32_t pos) const { return v32_.data() + offset(il, pos); }
  const uint16_t* k16(uint32_t il, uint32_t pos) const { return k16_.data() + offset(il, pos); }
  const uint16_t* v16(uint32_t il, uint32_t pos) const { return v16_.data() + offset(il, pos); }

 private:
  size_t offset(uint32_t il, uint32_t pos) const { return (static_cast<size_t>(il) * n_ctx_ + pos) * kv_dim_; }

  uint32_t n_ctx_;
  size_t kv_dim_;
  TensorType type_;
  std::vector<float> k32_, v32_;
  std::vector<uint16_t> k16_, v16_;
};

}  // namespace hearth::localnode
