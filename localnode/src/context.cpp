#include "hearth/localnode/context.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "compute_backend.hpp"
#include "cpu/cpu_backend.hpp"
#include "cpu/matmul.hpp"
#include "pass_rows.hpp"
#include "vulkan/vulkan_backend.hpp"

namespace hearth::localnode {

std::optional<TensorType> kv_type_from_name(std::string_view name) {
  if (name == "f16") return TensorType::F16;
  if (name == "q8_0") return TensorType::Q8_0;
  if (name == "f32") return TensorType::F32;
  return std::nullopt;
}

std::optional<Backend> backend_from_name(std::string_view name) {
  if (name == "cpu") return Backend::Cpu;
  if (name == "vulkan") return Backend::Vulkan;
  if (name == "auto") return Backend::Auto;
  return std::nullopt;
}

std::optional<CpuKernels> cpu_kernels_from_name(std::string_view name) {
  if (name == "auto") return CpuKernels::Auto;
  if (name == "scalar") return CpuKernels::Scalar;
  if (name == "avx2") return CpuKernels::Avx2;
  if (name == "avx512") return CpuKernels::Avx512;
  if (name == "avx512-vnni") return CpuKernels::Avx512Vnni;
  if (name == "amx") return CpuKernels::Amx;
  return std::nullopt;
}

InferenceContext::InferenceContext(const Model& model, uint32_t n_ctx,
                                   const ContextOptions& options,
                                   std::unique_ptr<ComputeBackend> backend)
    : model_(model),
      n_ctx_(n_ctx),
      kv_type_(options.kv_type),
      n_past_(options.n_seq, 0),
      capacity_(options.n_seq, 0),
      backend_(std::move(backend)),
      rows_(std::make_unique<PassRows>()) {}

size_t InferenceContext::kv_cache_bytes() const {
  return backend_->kv_cache_bytes();
}

uint32_t InferenceContext::capacity(uint32_t seq) const {
  return capacity_[seq];
}

std::string_view InferenceContext::backend_name() const {
  return backend_->name();
}

std::span<const int32_t> InferenceContext::argmax() {
  return backend_->argmax(last_logits_);
}

Backend InferenceContext::backend() const {
  return backend_->kind();
}

InferenceContext::~InferenceContext() = default;

namespace {

// The backend `options` ask for; `auto` takes a Vulkan GPU when one opens and can run the
// model, the CPU otherwise.
Result<std::unique_ptr<ComputeBackend>> make_backend(const Model& model, uint32_t n_ctx,
                                                     const ContextOptions& options) {
  switch (options.backend) {
    case Backend::Cpu:
      return make_cpu_backend(model, n_ctx, options);
    case Backend::Vulkan:
      return make_vulkan_backend(model, n_ctx, options, vulkan::DeviceChoice::Any);
    case Backend::Auto:
      break;
  }
  Result<std::unique_ptr<ComputeBackend>> gpu =
      make_vulkan_backend(model, n_ctx, options, vulkan::DeviceChoice::GpuOnly);
  if (gpu) return gpu;
  return make_cpu_backend(model, n_ctx, options);
}

}  // namespace

Result<std::unique_ptr<InferenceContext>> InferenceContext::create(const Model& model,
                                                                   const ContextOptions& options) {
  const ModelConfig& c = model.config();
  const uint32_t n_ctx = options.n_ctx == 0 ? c.n_ctx_train : options.n_ctx;
  if (n_ctx == 0 || n_ctx > (1u << 24)) {
    return make_error(ErrorCode::InvalidRequest,
                      "context size " + std::to_string(n_ctx) + " is out of range");
  }
  if (options.n_seq < 1 || options.n_seq > 4096) {
    return make_error(ErrorCode::InvalidRequest,
                      "sequence count " + std::to_string(options.n_seq) + " is out of range");
  }
  if (options.n_threads < 1 || options.n_threads > 1024) {
    return make_error(ErrorCode::InvalidRequest,
                      "thread count " + std::to_string(options.n_threads) + " is out of range");
  }
  const TensorType kv = options.kv_type;
  if (kv != TensorType::F32 && kv != TensorType::F16 && kv != TensorType::Q8_0) {
    return make_error(ErrorCode::InvalidRequest, "KV cache type " +
                                                     std::string(type_traits(kv).name) +
                                                     " is not supported (F16, Q8_0, F32)");
  }
  if (kv == TensorType::Q8_0 && c.head_dim % kQK != 0) {
    return make_error(ErrorCode::InvalidRequest,
                      "a Q8_0 KV cache needs head_dim to be a multiple of 32 (it is " +
                          std::to_string(c.head_dim) + ")");
  }
  Result<std::unique_ptr<ComputeBackend>> backend = make_backend(model, n_ctx, options);
  if (!backend) return std::move(backend).error();
  std::unique_ptr<InferenceContext> ctx(
      new InferenceContext(model, n_ctx, options, std::move(*backend)));
  if (options.n_seq == 1) {
    if (Status reserved = ctx->reserve(0, n_ctx); !reserved) return std::move(reserved).error();
  }
  return ctx;
}

Status InferenceContext::reserve(uint32_t seq, uint32_t n_positions) {
  if (seq >= n_seq()) {
    return make_error(ErrorCode::InvalidRequest, "sequence " + std::to_string(seq) +
                                                     " is out of range (" +
                                                     std::to_string(n_seq()) + ")");
  }
  if (n_positions > n_ctx_) {
    return make_error(ErrorCode::ContextLengthExceeded,
                      std::to_string(n_positions) + " positions exceed the context of " +
                          std::to_string(n_ctx_));
  }
  n_past_[seq] = 0;
  if (Status s = backend_->reserve(seq, n_positions); !s) return s;
  capacity_[seq] = n_positions;
  return {};
}

Result<std::span<const float>> InferenceContext::eval(std::span<const int32_t> tokens) {
  if (tokens.empty()) return make_error(ErrorCode::InvalidRequest, "eval: no tokens");
  // Batches of at most max_batch() tokens; the logits come from the last.
  Result<std::span<const float>> logits = std::span<const float>();
  for (size_t at = 0; at < tokens.size(); at += max_batch()) {
    const size_t T = std::min(max_batch(), tokens.size() - at);
    const SequenceTokens part{0, tokens.subspan(at, T), T >= cpu::kGemmMinTokens,
                              at + T == tokens.size()};
    // Only the first part can fail (room is checked for the whole prompt).
    if (at == 0 && tokens.size() > capacity(0) - n_past_[0]) {
      return make_error(ErrorCode::ContextLengthExceeded,
                        "context full: " + std::to_string(n_past_[0]) + " + " +
                            std::to_string(tokens.size()) + " tokens do not fit " +
                            std::to_string(capacity(0)) + " positions");
    }
    logits = eval(std::span<const SequenceTokens>(&part, 1));
    if (!logits) return logits;
  }
  return logits;
}

Result<std::span<const float>> InferenceContext::eval(std::span<const SequenceTokens> batch) {
  const ModelConfig& c = model_.config();
  if (batch.empty()) return make_error(ErrorCode::InvalidRequest, "eval: no tokens");
  size_t total = 0, n_out = 0;
  std::vector<bool> seen(n_seq(), false);
  for (const SequenceTokens& part : batch) {
    if (part.seq >= n_seq() || seen[part.seq]) {
      return make_error(ErrorCode::InvalidRequest,
                        "eval: sequence " + std::to_string(part.seq) +
                            " is out of range or appears twice in the batch");
    }
    seen[part.seq] = true;
    if (part.tokens.empty()) return make_error(ErrorCode::InvalidRequest, "eval: no tokens");
    if (part.tokens.size() > capacity(part.seq) - n_past_[part.seq]) {
      return make_error(ErrorCode::ContextLengthExceeded,
                        "context full: " + std::to_string(n_past_[part.seq]) + " + " +
                            std::to_string(part.tokens.size()) + " tokens do not fit " +
                            std::to_string(capacity(part.seq)) + " positions");
    }
    for (int32_t id : part.tokens) {
      if (id < 0 || static_cast<uint32_t>(id) >= c.n_vocab) {
        return make_error(ErrorCode::InvalidRequest, "token id " + std::to_string(id) +
                                                         " is outside the vocabulary (" +
                                                         std::to_string(c.n_vocab) + ")");
      }
    }
    total += part.tokens.size();
    n_out += part.logits ? 1 : 0;
  }
  if (total > max_batch()) {
    return make_error(ErrorCode::InvalidRequest, "eval: " + std::to_string(total) +
                                                     " tokens exceed one batch (" +
                                                     std::to_string(max_batch()) + ")");
  }

  // Lay out the rows: GEMM rows first, then mat-vec ones.
  PassRows& rows = *rows_;
  rows.clear();
  std::vector<size_t> last_row(batch.size());
  for (bool gemm : {true, false}) {
    for (size_t i = 0; i < batch.size(); ++i) {
      const SequenceTokens& part = batch[i];
      if (part.gemm != gemm) continue;
      for (size_t j = 0; j < part.tokens.size(); ++j) {
        rows.token.push_back(part.tokens[j]);
        rows.seq.push_back(part.seq);
        rows.pos.push_back(n_past_[part.seq] + static_cast<uint32_t>(j));
      }
      last_row[i] = rows.token.size() - 1;
    }
    if (gemm) rows.n_gemm = rows.token.size();
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].logits) rows.out.push_back(last_row[i]);
  }

  Result<std::span<const float>> logits = backend_->forward(rows);
  if (!logits) return logits;
  last_logits_ = *logits;
  for (const SequenceTokens& part : batch) n_past_[part.seq] += static_cast<uint32_t>(part.tokens.size());
  return logits;
}

}  // namespace hearth::localnode
