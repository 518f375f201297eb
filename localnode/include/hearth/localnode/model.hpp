#pragma once
// A loaded model: its hyper-parameters read from GGUF metadata and views of its weight
// tensors, validated against them. The Model owns the GgufFile (the mapping its weights
// point into). Immutable after load: one Model may serve many InferenceContexts at once.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hearth/core/result.hpp"
#include "hearth/localnode/gguf.hpp"
#include "hearth/localnode/tensor_type.hpp"

namespace hearth::localnode {

enum class Architecture { Llama, Qwen2 };

struct ModelConfig {
  Architecture arch = Architecture::Llama;
  std::string arch_name;
  uint32_t n_vocab = 0;
  uint32_t n_ctx_train = 0;
  uint32_t n_embd = 0;
  uint32_t n_layer = 0;
  uint32_t n_head = 0;
  uint32_t n_head_kv = 0;
  uint32_t head_dim = 0;
  uint32_t n_ff = 0;
  uint32_t n_rot = 0;          // rotated dimensions per head (<= head_dim)
  float rms_eps = 1e-5f;
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // linear position scaling (1 / factor)
  bool rope_neox = false;        // rotate (i, i + n_rot/2) pairs instead of (2i, 2i + 1)
  bool tied_output = false;      // output projection shares token_embd
};

// A view of one weight matrix: n_out rows of n_in elements, row-major in the file.
struct Weight {
  TensorType type = TensorType::F32;
  const uint8_t* data = nullptr;
  size_t n_in = 0;
  size_t n_out = 0;
  size_t row_bytes = 0;

  const uint8_t* row(size_t r) const { return data + r * row_bytes; }
};

struct LayerWeights {
  const float* attn_norm = nullptr;  // (n_embd)
  Weight wq;                         // (n_head * head_dim, n_embd)
  Weight wk;                         // (n_head_kv * head_dim, n_embd)
  Weight wv;                         // (n_head_kv * head_dim, n_embd)
  const float* bq = nullptr;         // qwen2: (n_head * head_dim)
  const float* bk = nullptr;         // qwen2: (n_head_kv * head_dim)
  const float* bv = nullptr;         // qwen2: (n_head_kv * head_dim)
  Weight wo;                         // (n_embd, n_head * head_dim)
  const float* ffn_norm = nullptr;   // (n_embd)
  Weight w_gate;                     // (n_ff, n_embd)
  Weight w_up;                       // (n_ff, n_embd)
  Weight w_down;                     // (n_embd, n_ff)
};

// What a model file holds and what running it costs, for `hearth generate` and admission.
struct ModelSummary {
  std::string architecture;
  std::string name;
  uint64_t n_params = 0;
  uint64_t weight_bytes = 0;
  std::map<std::string, uint32_t> tensor_types;  // type name -> tensor count
  uint32_t context_length = 0;                   // trained context
  uint64_t kv_bytes_per_token = 0;  // 2 * n_layer * n_head_kv * head_dim * bytes per element
  uint64_t memory_bytes(uint32_t n_ctx) const { return weight_bytes + kv_bytes_per_token * n_ctx; }
};

class Model {
 public:
  // Reads the hyper-parameters and checks every tensor the architecture needs (present,
  // shape, supported type). Errors name the key or tensor at fault.
  [[nodiscard]] static Result<std::unique_ptr<Model>> load(GgufFile file);

  const ModelConfig& config() const { return config_; }
  const GgufFile& file() const { return file_; }
  const Weight& token_embd() const { return token_embd_; }  // (n_vocab, n_embd)
  const float* output_norm() const { return output_norm_; }  // (n_embd)
  const Weight& output() const { return output_; }           // (n_vocab, n_embd)
  const std::vector<LayerWeights>& layers() const { return layers_; }
  // Llama 3 rope scaling: per-frequency divisors (n_rot / 2), or null.
  const float* rope_freqs() const { return rope_freqs_; }
  // The summary with the KV cache stored as `kv_bytes_per_element`-byte values (4 = F32).
  ModelSummary summary(uint32_t kv_bytes_per_element = 4) const;
  // The summary with the KV cache stored as `kv_type` (F32, F16 or Q8_0).
  ModelSummary summary(TensorType kv_type) const;

 private:
  explicit Model(GgufFile file) : file_(std::move(file)) {}

  GgufFile file_;
  ModelConfig config_;
  Weight token_embd_;
  const float* output_norm_ = nullptr;
  Weight output_;
  const float* rope_freqs_ = nullptr;
  std::vector<LayerWeights> layers_;
};

// Reads the hyper-parameters alone (no tensor checks).
[[nodiscard]] Result<ModelConfig> read_model_config(const GgufFile& file);

}  // namespace hearth::localnode
