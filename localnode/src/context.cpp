#include "hearth/localnode/context.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cpu/attention.hpp"
#include "cpu/kernels.hpp"
#include "cpu/matmul.hpp"
#include "cpu/ops.hpp"
#include "kv_cache.hpp"
#include "thread_pool.hpp"

namespace hearth::localnode {
namespace {

// Tokens per forward pass: a longer batch runs as several, which bounds the activation
// buffers (llama.cpp's micro-batch has the same size).
constexpr size_t kMaxBatch = 512;

cpu::Isa to_isa(CpuKernels k) {
  switch (k) {
    case CpuKernels::Scalar:
      return cpu::Isa::Scalar;
    case CpuKernels::Avx2:
      return cpu::Isa::Avx2;
    case CpuKernels::Avx512:
      return cpu::Isa::Avx512;
    case CpuKernels::Avx512Vnni:
      return cpu::Isa::Avx512Vnni;
    case CpuKernels::Auto:
      break;
  }
  return cpu::best_isa();
}

}  // namespace

struct InferenceContext::Impl {
  Impl(const Model& m, uint32_t ctx_size, const ContextOptions& o)
      : model(m),
        c(m.config()),
        n_ctx(ctx_size),
        ks(cpu::kernel_set(to_isa(o.kernels))),
        precision(o.precision == MatmulPrecision::Int8 ? cpu::Precision::Int8
                                                       : cpu::Precision::Float),
        pool(o.n_threads),
        kv(c.n_layer, ctx_size, static_cast<size_t>(c.n_head_kv) * c.head_dim, o.kv_type),
        scores(static_cast<size_t>(pool.size()) * ctx_size),
        qtmp(static_cast<size_t>(pool.size()) * c.head_dim),
        logits(c.n_vocab),
        weight_bytes(m.summary().weight_bytes),
        threaded_min_bytes(o.threaded_min_bytes) {}

  // Grows the per-batch buffers to hold `n_tokens` rows.
  void reserve(size_t n_tokens) {
    if (n_tokens <= batch) return;
    batch = n_tokens;
    const size_t q_dim = static_cast<size_t>(c.n_head) * c.head_dim;
    const size_t kv_dim = static_cast<size_t>(c.n_head_kv) * c.head_dim;
    x.assign(n_tokens * c.n_embd, 0.0f);
    xb.assign(n_tokens * std::max<size_t>(c.n_embd, q_dim), 0.0f);
    q.assign(n_tokens * q_dim, 0.0f);
    k.assign(n_tokens * kv_dim, 0.0f);
    v.assign(n_tokens * kv_dim, 0.0f);
    att.assign(n_tokens * q_dim, 0.0f);
    gate.assign(n_tokens * c.n_ff, 0.0f);
    up.assign(n_tokens * c.n_ff, 0.0f);
    rope.assign(n_tokens * c.n_rot, 0.0f);
    mm.reserve(std::max({static_cast<size_t>(c.n_embd), q_dim, static_cast<size_t>(c.n_ff)}),
               n_tokens, pool.size());
  }

  void forward(const int32_t* tokens, size_t T, uint32_t n_past, bool want_logits, int ith);

  const Model& model;
  const ModelConfig& c;
  uint32_t n_ctx;
  const cpu::KernelSet& ks;
  cpu::Precision precision;
  ThreadPool pool;
  KvCache kv;
  std::vector<float> scores;  // (n_threads, n_ctx)
  std::vector<float> qtmp;    // (n_threads, head_dim)
  std::vector<float> logits;  // (n_vocab)
  uint64_t weight_bytes;
  uint64_t threaded_min_bytes;
  size_t batch = 0;
  std::vector<float> x, xb, q, k, v, att, gate, up, rope;
  cpu::MatmulScratch mm;
};

// One batch of T tokens at positions n_past .. n_past + T - 1, run by every thread of the pool
// (this one: ith) as a sequence of phases whose units the threads claim dynamically.
void InferenceContext::Impl::forward(const int32_t* tokens, size_t T, uint32_t n_past,
                                     bool want_logits, int ith) {
  const size_t n_embd = c.n_embd, n_ff = c.n_ff, hd = c.head_dim;
  const size_t q_dim = c.n_head * hd, kv_dim = c.n_head_kv * hd;
  const size_t group = c.n_head / c.n_head_kv;
  const float att_scale = 1.0f / std::sqrt(static_cast<float>(hd));
  ThreadPool::Phases phases(pool);
  auto plan = [&](size_t n_tokens, size_t n, std::initializer_list<const Weight*> readers) {
    return cpu::plan_input(ks, precision, n_tokens, n, {readers.begin(), readers.size()});
  };
  // The products reading `in`: its preparation (unless a per-token step already made it), then
  // the output rows.
  auto products = [&](const cpu::InputPlan& p, const float* in, bool prepared,
                      std::initializer_list<cpu::MatmulOut> outs) {
    if (!prepared)
      phases.run(cpu::prepare_units(p), [&](size_t u) { cpu::prepare_unit(ks, p, in, mm, u); });
    const std::span<const cpu::MatmulOut> o(outs.begin(), outs.size());
    phases.run(cpu::matmul_units(p, o),
               [&](size_t u) { cpu::matmul_unit(ks, precision, p, o, in, mm, ith, u); });
  };

  // x (T, n_embd) = token_embd[tokens]; rope (T, n_rot) = the angles of each position.
  phases.run(T, [&](size_t t) {
    dequantize_row(model.token_embd().type, model.token_embd().row(static_cast<size_t>(tokens[t])),
                   &x[t * n_embd], n_embd);
    cpu::rope_angles(static_cast<float>(n_past + t), c.n_rot, c.rope_freq_base, c.rope_freq_scale,
                     model.rope_freqs(), &rope[t * c.n_rot]);
  });

  for (uint32_t il = 0; il < c.n_layer; ++il) {
    const LayerWeights& L = model.layers()[il];

    // Per token: x += the previous layer's ffn output (xb); xb (T, n_embd) = rms_norm(x) *
    // attn_norm, quantized for the mat-vecs.
    const cpu::InputPlan p_qkv = plan(T, n_embd, {&L.wq, &L.wk, &L.wv});
    phases.run(T, [&](size_t t) {
      if (il > 0) cpu::add(&x[t * n_embd], &xb[t * n_embd], n_embd);
      cpu::rms_norm(&x[t * n_embd], L.attn_norm, c.rms_eps, n_embd, &xb[t * n_embd]);
      if (!p_qkv.gemm) cpu::prepare_unit(ks, p_qkv, xb.data(), mm, t);
    });

    // q (T, n_head * hd), k (T, n_head_kv * hd), v (T, n_head_kv * hd)
    products(p_qkv, xb.data(), !p_qkv.gemm,
             {{&L.wq, q.data()}, {&L.wk, k.data()}, {&L.wv, v.data()}});

    // Per (token, head): biases, rotation; k and v heads go to the cache (n_ctx, kv_dim).
    const size_t heads = c.n_head + c.n_head_kv;
    phases.run(T * heads, [&](size_t j) {
      const size_t t = j / heads, h = j % heads;
      const float* angles = &rope[t * c.n_rot];
      if (h < c.n_head) {
        float* qh = &q[t * q_dim + h * hd];
        if (L.bq != nullptr) cpu::add(qh, L.bq + h * hd, hd);
        cpu::rope(qh, c.n_rot, angles, c.rope_neox);
        return;
      }
      const size_t kh = h - c.n_head;
      float* kr = &k[t * kv_dim + kh * hd];
      float* vr = &v[t * kv_dim + kh * hd];
      if (L.bk != nullptr) {
        cpu::add(kr, L.bk + kh * hd, hd);
        cpu::add(vr, L.bv + kh * hd, hd);
      }
      cpu::rope(kr, c.n_rot, angles, c.rope_neox);
      kv.store(ks, il, static_cast<uint32_t>(n_past + t), kh * hd, hd, kr, vr);
    });

    // att (T, n_head * hd): each query head over its KV head's positions 0 .. n_past + t.
    const cpu::AttentionScratch scratch{&scores[static_cast<size_t>(ith) * n_ctx],
                                        &qtmp[static_cast<size_t>(ith) * hd]};
    phases.run(T * c.n_head, [&](size_t j) {
      const size_t t = j / c.n_head, h = j % c.n_head;
      cpu::attend(ks, kv, il, (h / group) * hd, n_past + t + 1, hd, att_scale,
                  &q[t * q_dim + h * hd], &att[t * q_dim + h * hd], scratch);
    });

    // xb (T, n_embd) = att · wo
    products(plan(T, q_dim, {&L.wo}), att.data(), false, {{&L.wo, xb.data()}});

    // Per token: x += xb; xb = rms_norm(x) * ffn_norm, quantized for the mat-vecs.
    const cpu::InputPlan p_ffn = plan(T, n_embd, {&L.w_gate, &L.w_up});
    phases.run(T, [&](size_t t) {
      cpu::add(&x[t * n_embd], &xb[t * n_embd], n_embd);
      cpu::rms_norm(&x[t * n_embd], L.ffn_norm, c.rms_eps, n_embd, &xb[t * n_embd]);
      if (!p_ffn.gemm) cpu::prepare_unit(ks, p_ffn, xb.data(), mm, t);
    });

    // gate, up (T, n_ff) = xb · w_gate, xb · w_up; gate = silu(gate) * up
    products(p_ffn, xb.data(), !p_ffn.gemm, {{&L.w_gate, gate.data()}, {&L.w_up, up.data()}});
    const cpu::InputPlan p_down = plan(T, n_ff, {&L.w_down});
    if (p_down.gemm) {
      const size_t chunk = 4096;
      phases.run((T * n_ff + chunk - 1) / chunk, [&](size_t u) {
        const size_t e0 = u * chunk, e1 = std::min(T * n_ff, e0 + chunk);
        ks.swiglu(&gate[e0], &up[e0], e1 - e0);
      });
    } else {
      phases.run(T, [&](size_t t) {
        ks.swiglu(&gate[t * n_ff], &up[t * n_ff], n_ff);
        cpu::prepare_unit(ks, p_down, gate.data(), mm, t);
      });
    }

    // xb (T, n_embd) = gate · w_down (added to x by the next step)
    products(p_down, gate.data(), !p_down.gemm, {{&L.w_down, xb.data()}});
  }

  if (!want_logits) return;
  // logits (n_vocab) = rms_norm(x[T - 1] + xb[T - 1]) * output_norm · output
  const cpu::InputPlan p_out = plan(1, n_embd, {&model.output()});
  phases.run(1, [&](size_t) {
    float* last = &x[(T - 1) * n_embd];
    cpu::add(last, &xb[(T - 1) * n_embd], n_embd);
    cpu::rms_norm(last, model.output_norm(), c.rms_eps, n_embd, xb.data());
    cpu::prepare_unit(ks, p_out, xb.data(), mm, 0);
  });
  products(p_out, xb.data(), true, {{&model.output(), logits.data()}});
}

InferenceContext::InferenceContext(const Model& model, uint32_t n_ctx,
                                   const ContextOptions& options)
    : model_(model), n_ctx_(n_ctx), impl_(std::make_unique<Impl>(model, n_ctx, options)) {}

size_t InferenceContext::kv_cache_bytes() const {
  return impl_->kv.bytes();
}

std::string_view InferenceContext::kernels_name() const {
  return cpu::isa_name(impl_->ks.isa);
}

InferenceContext::~InferenceContext() = default;

Result<std::unique_ptr<InferenceContext>> InferenceContext::create(const Model& model,
                                                                   const ContextOptions& options) {
  const ModelConfig& c = model.config();
  const uint32_t n_ctx = options.n_ctx == 0 ? c.n_ctx_train : options.n_ctx;
  if (n_ctx == 0 || n_ctx > (1u << 24)) {
    return make_error(ErrorCode::InvalidRequest,
                      "context size " + std::to_string(n_ctx) + " is out of range");
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
  if (!cpu::isa_supported(to_isa(options.kernels))) {
    return make_error(ErrorCode::InvalidRequest, std::string("this CPU does not support the ") +
                                                     cpu::isa_name(to_isa(options.kernels)) +
                                                     " kernels");
  }
  return std::unique_ptr<InferenceContext>(new InferenceContext(model, n_ctx, options));
}

Result<std::span<const float>> InferenceContext::eval(std::span<const int32_t> tokens) {
  const ModelConfig& c = model_.config();
  if (tokens.empty()) return make_error(ErrorCode::InvalidRequest, "eval: no tokens");
  if (tokens.size() > n_ctx_ - n_past_) {
    return make_error(ErrorCode::ContextLengthExceeded, "context full: " + std::to_string(n_past_) +
                                                            " + " + std::to_string(tokens.size()) +
                                                            " tokens do not fit " +
                                                            std::to_string(n_ctx_) + " positions");
  }
  for (int32_t id : tokens) {
    if (id < 0 || static_cast<uint32_t>(id) >= c.n_vocab) {
      return make_error(ErrorCode::InvalidRequest, "token id " + std::to_string(id) +
                                                       " is outside the vocabulary (" +
                                                       std::to_string(c.n_vocab) + ")");
    }
  }
  Impl& s = *impl_;
  s.reserve(std::min(tokens.size(), kMaxBatch));
  // Batches of at most kMaxBatch tokens; the logits come from the last.
  for (size_t at = 0; at < tokens.size(); at += kMaxBatch) {
    const size_t T = std::min(kMaxBatch, tokens.size() - at);
    const bool last = at + T == tokens.size();
    // A pass crosses ~10 barriers per layer: a small one runs on one thread.
    const int n_threads = s.weight_bytes * T >= s.threaded_min_bytes ? s.pool.size() : 1;
    s.pool.run([&](int ith, int) { s.forward(tokens.data() + at, T, n_past_, last, ith); },
               n_threads);
    n_past_ += static_cast<uint32_t>(T);
  }
  return std::span<const float>(s.logits);
}

}  // namespace hearth::localnode
