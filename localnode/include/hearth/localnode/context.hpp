#pragma once
// Inference over a Model: the KV caches of up to n_seq independent sequences, scratch buffers
// and worker threads. eval() appends tokens to sequences — one batch may mix several — and
// returns the logits after the last token of each. Owned by one caller at a time (not
// thread-safe); the Model must outlive it.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "hearth/core/result.hpp"
#include "hearth/localnode/model.hpp"
#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode {

class ComputeBackend;
struct PassRows;

// How a mat-vec (decode) multiplies quantized weights: Int8 quantizes the activations to 8
// bits per block for integer dot products (llama.cpp's arithmetic; logits move by ~0.1 to 1 on
// quantized models, as llama.cpp's do); Float dequantizes the weights and multiplies in f32
// (exact up to f32 rounding). Batched prefill multiplies in f32, except on the AMX kernels,
// where Int8 prompts multiply as generated tokens do (8-bit activations on the int8 tiles,
// as llama.cpp's prompts do): that is ~1.7x faster there (bench/README.md). F32, F16 and BF16
// weights always multiply in f32.
enum class MatmulPrecision { Int8, Float };

// Which CPU kernels run: the widest level the CPU supports, or one level (tests, benchmarks;
// a level the CPU lacks is an error).
enum class CpuKernels { Auto, Scalar, Avx2, Avx512, Avx512Vnni, Amx };

// Where the forward pass runs: the CPU kernels; a Vulkan device (any, Mesa's lavapipe CPU
// device included); or a Vulkan GPU when one is present, the CPU otherwise.
enum class Backend { Cpu, Vulkan, Auto };

// A backend by its configuration name: "cpu", "vulkan" or "auto"; nullopt for others.
std::optional<Backend> backend_from_name(std::string_view name);

// A CPU kernel level by name: "auto", "scalar", "avx2", "avx512", "avx512-vnni" or "amx";
// nullopt for others.
std::optional<CpuKernels> cpu_kernels_from_name(std::string_view name);

// A KV cache type by its configuration name: "f16", "q8_0" or "f32"; nullopt for others.
std::optional<TensorType> kv_type_from_name(std::string_view name);

struct ContextOptions {
  uint32_t n_ctx = 0;   // positions a sequence may hold; 0: the model's trained context
  // Independent sequences (a server's slots). With one, sequence 0 holds n_ctx positions from
  // the start; with more, each gets its KV cache from reserve().
  uint32_t n_seq = 1;
  int n_threads = 1;
  // F16 (llama.cpp's default), Q8_0 (about half of F16; head_dim must be a multiple of 32) or
  // F32.
  TensorType kv_type = TensorType::F16;
  MatmulPrecision precision = MatmulPrecision::Int8;
  CpuKernels kernels = CpuKernels::Auto;
  // An eval with less work than this (multiply-adds: parameters x tokens) runs on one thread:
  // waking and synchronising the others would cost more (a tiny model's decode step). Work,
  // not weight bytes, because a prefill's cost grows with its tokens whatever the weights'
  // type. 0: always use every thread.
  uint64_t threaded_min_work = 32ull << 20;
  // The compute threads run in the background, below other threads (a server's engine, below
  // its I/O threads; the thread calling eval() decides for itself).
  bool background = false;
  // Vulkan keeps every sequence's KV cache on the device from the start (n_seq x n_ctx
  // positions), supports F16 and F32 KV caches, and always multiplies in f32.
  Backend backend = Backend::Cpu;
};

// One sequence's tokens in a batch, appended at positions n_past(seq) onwards.
struct SequenceTokens {
  uint32_t seq = 0;
  std::span<const int32_t> tokens;
  // Multiply by the f32 GEMM (prompt tokens) or by mat-vec (generated tokens; see
  // MatmulPrecision). The caller chooses, never the batch's size, so that a sequence's logits
  // do not depend on what it is batched with.
  bool gemm = true;
  bool logits = true;  // return the logits after its last token
};

class InferenceContext {
 public:
  [[nodiscard]] static Result<std::unique_ptr<InferenceContext>> create(const Model& model,
                                                                       const ContextOptions& options);
  ~InferenceContext();
  InferenceContext(const InferenceContext&) = delete;
  InferenceContext& operator=(const InferenceContext&) = delete;

  // Runs `tokens` on sequence 0 (as one batch, or several of at most max_batch()) at positions
  // n_past() .. n_past() + size - 1 and returns the n_vocab logits after the last one, valid
  // until the next eval. Batches of fewer than 8 tokens multiply by mat-vec, longer ones in
  // f32. Errors: an empty batch, a token id out of range, or a full context (nothing is
  // changed then).
  [[nodiscard]] Result<std::span<const float>> eval(std::span<const int32_t> tokens);

  // Runs one batch over several sequences (each at most once, max_batch() tokens in all) and
  // returns n_vocab logits per entry that asked for them, in order, valid until the next
  // eval. Errors as above, or a sequence out of range, repeated, or without room (nothing is
  // changed then).
  [[nodiscard]] Result<std::span<const float>> eval(std::span<const SequenceTokens> batch);

  // The id of the largest logit (the lowest among equals, NaN never) of each row of the last
  // eval's logits, valid until the next eval: what greedy sampling picks, computed on the
  // device in the same pass with the Vulkan backend, so the host need not scan the logits.
  std::span<const int32_t> argmax();

  // Gives sequence `seq` a KV cache of `n_positions` (at most n_ctx(); 0 frees it) and forgets
  // its positions. The memory is taken from the system when first written.
  [[nodiscard]] Status reserve(uint32_t seq, uint32_t n_positions);

  uint32_t n_past(uint32_t seq = 0) const { return n_past_[seq]; }
  uint32_t capacity(uint32_t seq = 0) const;
  uint32_t n_ctx() const { return n_ctx_; }
  uint32_t n_seq() const { return static_cast<uint32_t>(n_past_.size()); }
  static constexpr size_t max_batch() { return 512; }
  size_t kv_cache_bytes() const;
  TensorType kv_type() const { return kv_type_; }
  // What runs the passes: the CPU kernel level ("scalar", "avx2", "avx512", "avx512-vnni", "amx")
  // or
  // "vulkan: " and the device's name.
  std::string_view backend_name() const;
  // Backend::Cpu or Backend::Vulkan (what `auto` chose).
  Backend backend() const;
  // Forgets every cached position of `seq`.
  void reset(uint32_t seq = 0) { n_past_[seq] = 0; }
  const Model& model() const { return model_; }

 private:
  InferenceContext(const Model& model, uint32_t n_ctx, const ContextOptions& options,
                   std::unique_ptr<ComputeBackend> backend);

  const Model& model_;
  uint32_t n_ctx_;
  TensorType kv_type_;
  std::vector<uint32_t> n_past_;    // per sequence
  std::vector<uint32_t> capacity_;  // per sequence: positions reserved
  std::unique_ptr<ComputeBackend> backend_;
  std::unique_ptr<PassRows> rows_;
  std::span<const float> last_logits_;
};

}  // namespace hearth::localnode
