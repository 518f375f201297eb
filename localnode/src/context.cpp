#include "hearth/localnode/context.hpp"

#include <cmath>
#include <vector>

#include "cpu/attention.hpp"
#include "cpu/matmul.hpp"
#include "cpu/ops.hpp"
#include "kv_cache.hpp"
#include "thread_pool.hpp"

namespace hearth::localnode {

struct InferenceContext::Impl {
  Impl(const ModelConfig& c, uint32_t n_ctx, const ContextOptions& o)
      : pool(o.n_threads), kv(c.n_layer, n_ctx, static_cast<size_t>(c.n_head_kv) * c.head_dim, o.kv_type),
        scores(static_cast<size_t>(pool.size()) * n_ctx), logits(c.n_vocab) {}

  // Grows the per-batch activations to hold `n_tokens` rows.
  void reserve(const ModelConfig& c, size_t n_tokens) {
    if (n_tokens <= batch) return;
    batch = n_tokens;
    const size_t q_dim = static_cast<size_t>(c.n_head) * c.head_dim;
    const size_t kv_dim = static_cast<size_t>(c.n_head_kv) * c.head_dim;
    x.assign(n_tokens * c.n_embd, 0.0f);
    xb.assign(n_tokens * c.n_embd, 0.0f);
    q.assign(n_tokens * q_dim, 0.0f);
    k.assign(n_tokens * kv_dim, 0.0f);
    v.assign(n_tokens * kv_dim, 0.0f);
    att.assign(n_tokens * q_dim, 0.0f);
    gate.assign(n_tokens * c.n_ff, 0.0f);
    up.assign(n_tokens * c.n_ff, 0.0f);
  }

  ThreadPool pool;
  KvCache kv;
  std::vector<float> scores;  // (n_threads, n_ctx)
  std::vector<float> logits;  // (n_vocab)
  size_t batch = 0;
  std::vector<float> x, xb, q, k, v, att, gate, up;
};

InferenceContext::InferenceContext(const Model& model, uint32_t n_ctx, const ContextOptions& options)
    : model_(model), n_ctx_(n_ctx), impl_(std::make_unique<Impl>(model.config(), n_ctx, options)) {}

size_t InferenceContext::kv_cache_bytes() const { return impl_->kv.bytes(); }

InferenceContext::~InferenceContext() = default;

Result<std::unique_ptr<InferenceContext>> InferenceContext::create(const Model& model,
                                                                  const ContextOptions& options) {
  const uint32_t n_ctx = options.n_ctx == 0 ? model.config().n_ctx_train : options.n_ctx;
  if (n_ctx == 0 || n_ctx > (1u << 24)) {
    return make_error(ErrorCode::InvalidRequest, "context size " + std::to_string(n_ctx) + " is out of range");
  }
  if (options.n_threads < 1 || options.n_threads > 1024) {
    return make_error(ErrorCode::InvalidRequest, "thread count " + std::to_string(options.n_threads) +
                                                     " is out of range");
  }
  if (options.kv_type != TensorType::F32 && options.kv_type != TensorType::F16) {
    return make_error(ErrorCode::InvalidRequest, "KV cache type " + std::string(type_traits(options.kv_type).name) +
                                                     " is not supported (F16, F32)");
  }
  return std::unique_ptr<InferenceContext>(new InferenceContext(model, n_ctx, options));
}

Result<std::span<const float>> InferenceContext::eval(std::span<const int32_t> tokens) {
  const ModelConfig& c = model_.config();
  if (tokens.empty()) return make_error(ErrorCode::InvalidRequest, "eval: no tokens");
  if (tokens.size() > n_ctx_ - n_past_) {
    return make_error(ErrorCode::ContextLengthExceeded,
                      "context full: " + std::to_string(n_past_) + " + " + std::to_string(tokens.size()) +
                          " tokens do not fit " + std::to_string(n_ctx_) + " positions");
  }
  for (int32_t id : tokens) {
    if (id < 0 || static_cast<uint32_t>(id) >= c.n_vocab) {
      return make_error(ErrorCode::InvalidRequest,
                        "token id " + std::to_string(id) + " is outside the vocabulary (" + std::to_string(c.n_vocab) + ")");
    }
  }
  Impl& s = *impl_;
  const size_t T = tokens.size();
  s.reserve(c, T);
  const size_t n_embd = c.n_embd, n_ff = c.n_ff, hd = c.head_dim;
  const size_t q_dim = c.n_head * hd, kv_dim = c.n_head_kv * hd;
  const size_t group = c.n_head / c.n_head_kv;
  const float att_scale = 1.0f / std::sqrt(static_cast<float>(hd));
  ThreadPool& pool = s.pool;

  // x (T, n_embd) = token_embd[tokens]
  for (size_t t = 0; t < T; ++t) {
    dequantize_row(model_.token_embd().type, model_.token_embd().row(static_cast<size_t>(tokens[t])),
                   s.x.data() + t * n_embd, n_embd);
  }

  for (uint32_t il = 0; il < c.n_layer; ++il) {
    const LayerWeights& L = model_.layers()[il];

    // xb (T, n_embd) = rms_norm(x) * attn_norm
    for (size_t t = 0; t < T; ++t) cpu::rms_norm(&s.x[t * n_embd], L.attn_norm, c.rms_eps, n_embd, &s.xb[t * n_embd]);

    // q (T, n_head * hd), k (T, n_head_kv * hd), v (T, n_head_kv * hd)
    cpu::matmul(L.wq, s.xb.data(), T, s.q.data(), pool);
    cpu::matmul(L.wk, s.xb.data(), T, s.k.data(), pool);
    cpu::matmul(L.wv, s.xb.data(), T, s.v.data(), pool);
    if (L.bq != nullptr) {
      for (size_t t = 0; t < T; ++t) {
        cpu::add(&s.q[t * q_dim], L.bq, q_dim);
        cpu::add(&s.k[t * kv_dim], L.bk, kv_dim);
        cpu::add(&s.v[t * kv_dim], L.bv, kv_dim);
      }
    }

    // Rotate q and k per head at their positions; append k (kv_dim) and v (kv_dim) rows to
    // the cache (n_ctx, kv_dim).
    for (size_t t = 0; t < T; ++t) {
      const auto pos = static_cast<float>(n_past_ + t);
      for (size_t h = 0; h < c.n_head; ++h) {
        cpu::rope(&s.q[t * q_dim + h * hd], c.n_rot, pos, c.rope_freq_base, c.rope_freq_scale, model_.rope_freqs(),
                  c.rope_neox);
      }
      for (size_t h = 0; h < c.n_head_kv; ++h) {
        cpu::rope(&s.k[t * kv_dim + h * hd], c.n_rot, pos, c.rope_freq_base, c.rope_freq_scale, model_.rope_freqs(),
                  c.rope_neox);
      }
      s.kv.store(il, static_cast<uint32_t>(n_past_ + t), &s.k[t * kv_dim], &s.v[t * kv_dim]);
    }

    // att (T, n_head * hd): causal attention of each query head over its KV head's
    // positions 0 .. n_past + t.
    pool.run([&](int ith, int nth) {
      float* scores = &s.scores[static_cast<size_t>(ith) * n_ctx_];
      for (size_t job = static_cast<size_t>(ith); job < T * c.n_head; job += static_cast<size_t>(nth)) {
        const size_t t = job / c.n_head, h = job % c.n_head;
        const size_t kv_off = (h / group) * hd;
        const size_t n_pos = n_past_ + t + 1;
        const float* qh = &s.q[t * q_dim + h * hd];
        float* out = &s.att[t * q_dim + h * hd];
        if (s.kv.type() == TensorType::F16) {
          cpu::attend_f16(qh, n_pos, hd, att_scale, scores, out, [&](size_t p) { return s.kv.k16(il, static_cast<uint32_t>(p)) + kv_off; },
                          [&](size_t p) { return s.kv.v16(il, static_cast<uint32_t>(p)) + kv_off; });
        } else {
          cpu::attend_f32(qh, n_pos, hd, att_scale, scores, out, [&](size_t p) { return s.kv.k32(il, static_cast<uint32_t>(p)) + kv_off; },
                          [&](size_t p) { return s.kv.v32(il, static_cast<uint32_t>(p)) + kv_off; });
        }
      }
    });

    // x (T, n_embd) += att · wo
    cpu::matmul(L.wo, s.att.data(), T, s.xb.data(), pool);
    cpu::add(s.x.data(), s.xb.data(), T * n_embd);

    // xb (T, n_embd) = rms_norm(x) * ffn_norm; gate, up (T, n_ff); x += (silu(gate) * up) · w_down
    for (size_t t = 0; t < T; ++t) cpu::rms_norm(&s.x[t * n_embd], L.ffn_norm, c.rms_eps, n_embd, &s.xb[t * n_embd]);
    cpu::matmul(L.w_gate, s.xb.data(), T, s.gate.data(), pool);
    cpu::matmul(L.w_up, s.xb.data(), T, s.up.data(), pool);
    cpu::swiglu(s.gate.data(), s.up.data(), T * n_ff);
    cpu::matmul(L.w_down, s.gate.data(), T, s.xb.data(), pool);
    cpu::add(s.x.data(), s.xb.data(), T * n_embd);
  }

  // logits (n_vocab) = rms_norm(x[T - 1]) * output_norm · output
  float* last = &s.x[(T - 1) * n_embd];
  cpu::rms_norm(last, model_.output_norm(), c.rms_eps, n_embd, s.xb.data());
  cpu::matmul(model_.output(), s.xb.data(), 1, s.logits.data(), pool);

  n_past_ += static_cast<uint32_t>(T);
  return std::span<const float>(s.logits);
}

}  // namespace hearth::localnode
