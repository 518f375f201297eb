#pragma once
// One inference stream over a Model: its KV cache, scratch buffers and worker threads.
// eval() appends tokens and returns the logits after the last one. Owned by one caller at a
// time (not thread-safe); the Model must outlive it.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "hearth/core/result.hpp"
#include "hearth/localnode/model.hpp"
#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode {

// How a mat-vec (decode) multiplies quantized weights: Int8 quantizes the activations to 8
// bits per block for integer dot products (llama.cpp's arithmetic; logits move by ~0.1 to 1 on
// quantized models, as llama.cpp's do); Float dequantizes the weights and multiplies in f32
// (exact up to f32 rounding). Batched prefill always multiplies in f32. F32, F16 and BF16
// weights always multiply in f32.
enum class MatmulPrecision { Int8, Float };

// Which CPU kernels run: the widest level the CPU supports, or one level (tests, benchmarks;
// a level the CPU lacks is an error).
enum class CpuKernels { Auto, Scalar, Avx2, Avx512, Avx512Vnni };

struct ContextOptions {
  uint32_t n_ctx = 0;   // positions in the KV cache; 0: the model's trained context
  int n_threads = 1;
  // F16 (llama.cpp's default), Q8_0 (about half of F16; head_dim must be a multiple of 32) or
  // F32.
  TensorType kv_type = TensorType::F16;
  MatmulPrecision precision = MatmulPrecision::Int8;
  CpuKernels kernels = CpuKernels::Auto;
  // An eval moving less weight data than this (weight bytes x tokens) runs on one thread:
  // waking and synchronising the others would cost more (a tiny model's decode step). 0: always
  // use every thread.
  uint64_t threaded_min_bytes = 128ull << 20;
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
  // The CPU kernel level in use: "scalar", "avx2", "avx512" or "avx512-vnni".
  std::string_view kernels_name() const;
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
