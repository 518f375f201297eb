#include "hearth/localnode/model.hpp"

#include <cmath>

namespace hearth::localnode {
namespace {

Error model_error(const GgufFile& file, const std::string& what) {
  return make_error(ErrorCode::InvalidRequest, "model " + file.name() + ": " + what);
}

// Reads `key` as a positive 32-bit count; `fallback` (0: required) when absent.
Status read_u32(const GgufFile& file, const std::string& key, uint32_t fallback, uint32_t* out) {
  auto v = file.get_uint(key);
  if (!v) return std::move(v).error();
  if (!v->has_value()) {
    if (fallback == 0) return model_error(file, "missing metadata '" + key + "'");
    *out = fallback;
    return {};
  }
  if (**v == 0 || **v > (1u << 30)) {
    return model_error(file, "metadata '" + key + "' = " + std::to_string(**v) + " is out of range");
  }
  *out = static_cast<uint32_t>(**v);
  return {};
}

Status read_f32(const GgufFile& file, const std::string& key, float fallback, float* out) {
  auto v = file.get_float(key);
  if (!v) return std::move(v).error();
  *out = v->has_value() ? static_cast<float>(**v) : fallback;
  if (!std::isfinite(*out)) return model_error(file, "metadata '" + key + "' is not finite");
  return {};
}

std::string shape_string(const std::vector<uint64_t>& ne) {
  std::string s = "[";
  for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

// A matrix with GGUF shape [n_in, n_out].
Status get_weight(const GgufFile& file, const std::string& name, size_t n_in, size_t n_out, Weight* out) {
  const GgufTensor* t = file.tensor(name);
  if (t == nullptr) return model_error(file, "missing tensor '" + name + "'");
  if (t->ne.size() != 2 || t->ne[0] != n_in || t->ne[1] != n_out) {
    return model_error(file, "tensor '" + name + "' has shape " + shape_string(t->ne) + ", expected [" +
                                 std::to_string(n_in) + ", " + std::to_string(n_out) + "]");
  }
  if (t->type == TensorType::F32 && reinterpret_cast<uintptr_t>(t->data) % alignof(float) != 0) {
    return model_error(file, "tensor '" + name + "' is not 4-byte aligned");
  }
  out->type = t->type;
  out->data = t->data;
  out->n_in = n_in;
  out->n_out = n_out;
  out->row_bytes = row_bytes(t->type, n_in);
  return {};
}

// An F32 vector of n elements; absent is allowed when `optional`.
Status get_vector(const GgufFile& file, const std::string& name, size_t n, bool optional, const float** out) {
  const GgufTensor* t = file.tensor(name);
  if (t == nullptr) {
    if (optional) return {};
    return model_error(file, "missing tensor '" + name + "'");
  }
  if (t->ne.size() != 1 || t->ne[0] != n) {
    return model_error(file, "tensor '" + name + "' has shape " + shape_string(t->ne) + ", expected [" +
                                 std::to_string(n) + "]");
  }
  if (t->type != TensorType::F32) {
    return model_error(file, "tensor '" + name + "' has type " + std::string(type_traits(t->type).name) +
                                 ", expected F32");
  }
  if (reinterpret_cast<uintptr_t>(t->data) % alignof(float) != 0) {
    return model_error(file, "tensor '" + name + "' is not 4-byte aligned");
  }
  *out = reinterpret_cast<const float*>(t->data);
  return {};
}

}  // namespace

Result<ModelConfig> read_model_config(const GgufFile& file) {
  ModelConfig c;
  auto arch = file.get_string("general.architecture");
  if (!arch) return std::move(arch).error();
  if (!arch->has_value()) return model_error(file, "missing metadata 'general.architecture'");
  c.arch_name = std::string(**arch);
  if (c.arch_name == "llama") {
    c.arch = Architecture::Llama;
  } else if (c.arch_name == "qwen2") {
    c.arch = Architecture::Qwen2;
    c.rope_neox = true;
  } else {
    return model_error(file, "unsupported architecture " + c.arch_name + " (supported: llama, qwen2)");
  }
  const std::string p = c.arch_name + ".";
  if (const GgufValue* v = file.find(p + "attention.head_count_kv"); v && v->type == GgufType::Array) {
    return model_error(file, "per-layer KV head counts are not supported");
  }
  if (auto st = read_u32(file, p + "embedding_length", 0, &c.n_embd); !st) return std::move(st).error();
  if (auto st = read_u32(file, p + "block_count", 0, &c.n_layer); !st) return std::move(st).error();
  if (auto st = read_u32(file, p + "feed_forward_length", 0, &c.n_ff); !st) return std::move(st).error();
  if (auto st = read_u32(file, p + "attention.head_count", 0, &c.n_head); !st) return std::move(st).error();
  if (auto st = read_u32(file, p + "attention.head_count_kv", c.n_head, &c.n_head_kv); !st) {
    return std::move(st).error();
  }
  if (auto st = read_u32(file, p + "context_length", 2048, &c.n_ctx_train); !st) return std::move(st).error();
  if (c.n_embd % c.n_head != 0 && file.find(p + "attention.key_length") == nullptr) {
    return model_error(file, "embedding_length " + std::to_string(c.n_embd) + " is not a multiple of head_count " +
                                 std::to_string(c.n_head));
  }
  if (auto st = read_u32(file, p + "attention.key_length", c.n_embd / c.n_head, &c.head_dim); !st) {
    return std::move(st).error();
  }
  uint32_t value_length = c.head_dim;
  if (auto st = read_u32(file, p + "attention.value_length", c.head_dim, &value_length); !st) {
    return std::move(st).error();
  }
  if (value_length != c.head_dim) return model_error(file, "key_length != value_length is not supported");
  if (c.n_head % c.n_head_kv != 0) {
    return model_error(file, "head_count " + std::to_string(c.n_head) + " is not a multiple of head_count_kv " +
                                 std::to_string(c.n_head_kv));
  }
  if (auto st = read_u32(file, p + "rope.dimension_count", c.head_dim, &c.n_rot); !st) return std::move(st).error();
  if (c.n_rot > c.head_dim || c.n_rot % 2 != 0) {
    return model_error(file, "rope.dimension_count " + std::to_string(c.n_rot) + " does not fit head_dim " +
                                 std::to_string(c.head_dim));
  }
  if (c.head_dim % 2 != 0) return model_error(file, "head_dim " + std::to_string(c.head_dim) + " is odd");
  if (auto st = read_f32(file, p + "attention.layer_norm_rms_epsilon", 1e-5f, &c.rms_eps); !st) {
    return std::move(st).error();
  }
  if (auto st = read_f32(file, p + "rope.freq_base", 10000.0f, &c.rope_freq_base); !st) return std::move(st).error();
  auto scaling = file.get_string(p + "rope.scaling.type");
  if (!scaling) return std::move(scaling).error();
  float factor = 0.0f;
  if (auto st = read_f32(file, p + "rope.scaling.factor", 0.0f, &factor); !st) return std::move(st).error();
  if (factor == 0.0f) {
    if (auto st = read_f32(file, p + "rope.scale_linear", 0.0f, &factor); !st) return std::move(st).error();
  }
  const std::string_view type = scaling->value_or(factor > 0.0f ? "linear" : "none");
  if (type == "linear") {
    if (factor <= 0.0f) return model_error(file, "rope scaling factor must be positive");
    c.rope_freq_scale = 1.0f / factor;
  } else if (type != "none") {
    return model_error(file, "rope scaling '" + std::string(type) + "' is not supported");
  }
  return c;
}

Result<std::unique_ptr<Model>> Model::load(GgufFile file) {
  auto cfg = read_model_config(file);
  if (!cfg) return std::move(cfg).error();
  std::unique_ptr<Model> m(new Model(std::move(file)));
  ModelConfig& c = m->config_;
  c = std::move(cfg).value();
  const GgufFile& f = m->file_;

  const GgufTensor* embd = f.tensor("token_embd.weight");
  if (embd == nullptr) return model_error(f, "missing tensor 'token_embd.weight'");
  if (embd->ne.size() != 2) return model_error(f, "tensor 'token_embd.weight' is not a matrix");
  if (embd->ne[1] > (1u << 30)) return model_error(f, "vocabulary is too large");
  c.n_vocab = static_cast<uint32_t>(embd->ne[1]);
  const size_t q_dim = static_cast<size_t>(c.n_head) * c.head_dim;
  const size_t kv_dim = static_cast<size_t>(c.n_head_kv) * c.head_dim;

  if (auto st = get_weight(f, "token_embd.weight", c.n_embd, c.n_vocab, &m->token_embd_); !st) {
    return std::move(st).error();
  }
  if (auto st = get_vector(f, "output_norm.weight", c.n_embd, false, &m->output_norm_); !st) {
    return std::move(st).error();
  }
  if (f.tensor("output.weight") != nullptr) {
    if (auto st = get_weight(f, "output.weight", c.n_embd, c.n_vocab, &m->output_); !st) return std::move(st).error();
  } else {
    c.tied_output = true;
    m->output_ = m->token_embd_;
  }
  if (auto st = get_vector(f, "rope_freqs.weight", c.n_rot / 2, true, &m->rope_freqs_); !st) {
    return std::move(st).error();
  }

  m->layers_.resize(c.n_layer);
  for (uint32_t il = 0; il < c.n_layer; ++il) {
    LayerWeights& L = m->layers_[il];
    const std::string b = "blk." + std::to_string(il) + ".";
    const bool bias = c.arch == Architecture::Qwen2;
    Status st;
    if (!(st = get_vector(f, b + "attn_norm.weight", c.n_embd, false, &L.attn_norm))) return std::move(st).error();
    if (!(st = get_weight(f, b + "attn_q.weight", c.n_embd, q_dim, &L.wq))) return std::move(st).error();
    if (!(st = get_weight(f, b + "attn_k.weight", c.n_embd, kv_dim, &L.wk))) return std::move(st).error();
    if (!(st = get_weight(f, b + "attn_v.weight", c.n_embd, kv_dim, &L.wv))) return std::move(st).error();
    if (!(st = get_vector(f, b + "attn_q.bias", q_dim, !bias, &L.bq))) return std::move(st).error();
    if (!(st = get_vector(f, b + "attn_k.bias", kv_dim, !bias, &L.bk))) return std::move(st).error();
    if (!(st = get_vector(f, b + "attn_v.bias", kv_dim, !bias, &L.bv))) return std::move(st).error();
    if (!(st = get_weight(f, b + "attn_output.weight", q_dim, c.n_embd, &L.wo))) return std::move(st).error();
    if (!(st = get_vector(f, b + "ffn_norm.weight", c.n_embd, false, &L.ffn_norm))) return std::move(st).error();
    if (!(st = get_weight(f, b + "ffn_gate.weight", c.n_embd, c.n_ff, &L.w_gate))) return std::move(st).error();
    if (!(st = get_weight(f, b + "ffn_up.weight", c.n_embd, c.n_ff, &L.w_up))) return std::move(st).error();
    if (!(st = get_weight(f, b + "ffn_down.weight", c.n_ff, c.n_embd, &L.w_down))) return std::move(st).error();
  }
  return m;
}

ModelSummary Model::summary(TensorType kv_type) const {
  ModelSummary s = summary(4);
  s.kv_bytes_per_token = 2ull * config_.n_layer * config_.n_head_kv * row_bytes(kv_type, config_.head_dim);
  return s;
}

ModelSummary Model::summary(uint32_t kv_bytes_per_element) const {
  ModelSummary s;
  s.architecture = config_.arch_name;
  if (auto n = file_.get_string("general.name"); n && n->has_value()) s.name = std::string(**n);
  for (const GgufTensor& t : file_.tensors()) {
    s.n_params += t.n_elements;
    s.weight_bytes += t.n_bytes;
    ++s.tensor_types[std::string(type_traits(t.type).name)];
  }
  s.context_length = config_.n_ctx_train;
  s.kv_bytes_per_token = 2ull * config_.n_layer * config_.n_head_kv * config_.head_dim * kv_bytes_per_element;
  return s;
}

}  // namespace hearth::localnode
