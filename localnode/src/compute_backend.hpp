#pragma once
// What runs a forward pass for an InferenceContext: the CPU kernels or a Vulkan device. The
// context validates the batch and lays out its rows; the backend owns the KV caches and the
// arithmetic.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "hearth/core/result.hpp"
#include "hearth/localnode/context.hpp"
#include "pass_rows.hpp"

namespace hearth::localnode {

class ComputeBackend {
 public:
  virtual ~ComputeBackend() = default;
  // Runs one pass over `rows` (valid: the context checked tokens, sequences and room) and
  // returns rows.out.size() x n_vocab logits, valid until the next pass.
  [[nodiscard]] virtual Result<std::span<const float>> forward(const PassRows& rows) = 0;
  // The id of the largest logit of each row of the last pass, `logits` (the lowest among
  // equals, NaN never), valid until the next pass: on the device where there is one.
  virtual std::span<const int32_t> argmax(std::span<const float> logits) = 0;
  // Gives sequence `seq` a KV cache of `n_positions` (0: frees it).
  [[nodiscard]] virtual Status reserve(uint32_t seq, uint32_t n_positions) = 0;
  virtual size_t kv_cache_bytes() const = 0;
  virtual Backend kind() const = 0;  // Cpu or Vulkan
  // "avx512", "vulkan: NVIDIA H100 80GB HBM3", ...
  virtual std::string_view name() const = 0;
};

}  // namespace hearth::localnode
