#pragma once
// One inference stream over a Model: its KV cache, scratch buffers and worker threads.
// eval() appends tokens and returns the logits after the last one. Owned by one caller at a
// time (not thread-safe); the Model must outlive it.

#include <cstdint>
#include <memory>
#include <span>

#include "hearth/core/result.hpp"
#include "hearth/localnode/model.hpp"
#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode {

struct ContextOptions {
  uint32_t n_ctx = 0;   // positions in the KV cache; 0: the model's trained context
  int n_threads = 1;
  TensorType kv_type = TensorType::F16;  // F16 (llama.cpp's default) or F32
};

class InferenceContext {
 public:
  [[nodiscard]] static Result<std::unique_ptr<InferenceContext>> create(const Model& model,
                                                                       const ContextOptions& options);
  ~InferenceContext();
  InferenceContext(const InferenceContext&) = delete;
  InferenceContext& operator=(const InferenceContext&) = delete;

  // Runs `tokens` (as one batch) at positions n_past() .. n_past() + size - 1 and returns the
  // n_vocab logits after the last one, valid until the next eval. Errors: an empty batch, a
  // token id out of range, or a full context (nothing is changed then).
  [[nodiscard]] Result<std::span<const float>> eval(std::span<const int32_t> tokens);

  uint32_t n_past() const { return n_past_; }
  uint32_t n_ctx() const { return n_ctx_; }
  size_t kv_cache_bytes() const;
  // Forgets every cached position.
  void reset() { n_past_ = 0; }
  const Model& model() const { return model_; }

 private:
  struct Impl;
  InferenceContext(const Model& model, uint32_t n_ctx, const ContextOptions& options);

  const Model& model_;
  uint32_t n_ctx_;
  uint32_t n_past_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::localnode
