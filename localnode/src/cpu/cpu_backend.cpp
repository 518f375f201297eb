#include "cpu/cpu_backend.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <vector>

#include "cpu/attention.hpp"
#include "cpu/kernels.hpp"
#include "cpu/matmul.hpp"
#include "cpu/ops.hpp"
#include "hearth/localnode/sampler.hpp"
#include "kv_cache.hpp"
#include "thread_pool.hpp"

namespace hearth::localnode {
namespace {

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
    case CpuKernels::Amx:
      return cpu::Isa::Amx;
    case CpuKernels::Auto:
      break;
  }
  return cpu::best_isa();
}

class CpuBackend final : public ComputeBackend {
 public:
  CpuBackend(const Model& m, uint32_t ctx_size, const ContextOptions& o)
      : model(m),
        c(m.config()),
        n_ctx(ctx_size),
        ks(cpu::kernel_set(to_isa(o.kernels))),
        precision(o.precision == MatmulPrecision::Int8 ? cpu::Precision::Int8
                                                       : cpu::Precision::Float),
        kv_type(o.kv_type),
        pool(o.n_threads, o.background),
        kv(o.n_seq),
        scores(static_cast<size_t>(pool.size()) * ctx_size),
        qtmp(static_cast<size_t>(pool.size()) * c.head_dim),
        n_params(m.summary().n_params),
        threaded_min_work(o.threaded_min_work) {}

  Result<std::span<const float>> forward(const PassRows& rows) override {
    reserve_pass(rows.token.size(), rows.out.size());
    // A pass crosses ~10 barriers per layer: a small one runs on one thread.
    const int n_threads =
        n_params * rows.token.size() >= threaded_min_work ? pool.size() : 1;
    pool.run([&](int ith, int) { run_pass(rows, ith); }, n_threads);
    return std::span<const float>(logits.data(), rows.out.size() * c.n_vocab);
  }

  std::span<const int32_t> argmax(std::span<const float> out) override {
    argmax_.clear();
    for (size_t at = 0; at < out.size(); at += c.n_vocab) {
      argmax_.push_back(localnode::argmax(out.subspan(at, c.n_vocab)));
    }
    return argmax_;
  }

  Status reserve(uint32_t seq, uint32_t n_positions) override {
    auto& cache = kv[seq];
    if (n_positions == 0) {
      cache.reset();
    } else if (!cache || cache->n_ctx() != n_positions) {
      cache.reset();  // the old one goes first: the budget may not hold both
      cache = std::make_unique<KvCache>(c.n_layer, n_positions,
                                        static_cast<size_t>(c.n_head_kv) * c.head_dim, kv_type);
    }
    return {};
  }

  size_t kv_cache_bytes() const override {
    size_t bytes = 0;
    for (const auto& cache : kv) bytes += cache ? cache->bytes() : 0;
    return bytes;
  }

  Backend kind() const override { return Backend::Cpu; }
  std::string_view name() const override { return cpu::isa_name(ks.isa); }

 private:
  // Grows the per-pass buffers to hold `n_tokens` rows and `n_out` rows of logits.
  void reserve_pass(size_t n_tokens, size_t n_out) {
    if (logits.size() < n_out * c.n_vocab) logits.resize(n_out * c.n_vocab);
    if (n_tokens <= batch) return;
    batch = n_tokens;
    const size_t q_dim = static_cast<size_t>(c.n_head) * c.head_dim;
    const size_t kv_dim = static_cast<size_t>(c.n_head_kv) * c.head_dim;
    x.assign(n_tokens * c.n_embd, 0.0f);
    xb.assign(n_tokens * std::max<size_t>(c.n_embd, q_dim), 0.0f);
    xo.assign(n_tokens * c.n_embd, 0.0f);
    q.assign(n_tokens * q_dim, 0.0f);
    k.assign(n_tokens * kv_dim, 0.0f);
    v.assign(n_tokens * kv_dim, 0.0f);
    att.assign(n_tokens * q_dim, 0.0f);
    gate.assign(n_tokens * c.n_ff, 0.0f);
    up.assign(n_tokens * c.n_ff, 0.0f);
    rope.assign(n_tokens * c.n_rot, 0.0f);
    mm.reserve(std::max({static_cast<size_t>(c.n_embd), q_dim, static_cast<size_t>(c.n_ff)}),
               n_tokens, pool.size(), ks.arrange_q8x32 != nullptr);
  }

  void run_pass(const PassRows& rows, int ith);

  const Model& model;
  const ModelConfig& c;
  uint32_t n_ctx;
  const cpu::KernelSet& ks;
  cpu::Precision precision;
  TensorType kv_type;
  ThreadPool pool;
  std::vector<std::unique_ptr<KvCache>> kv;  // per sequence; null: none reserved
  std::vector<float> scores;  // (n_threads, n_ctx)
  std::vector<float> qtmp;    // (n_threads, head_dim)
  std::vector<float> logits;  // (rows out, n_vocab)
  std::vector<int32_t> argmax_;  // per row of logits
  uint64_t n_params;
  uint64_t threaded_min_work;
  size_t batch = 0;
  std::vector<float> x, xb, xo, q, k, v, att, gate, up, rope;
  cpu::MatmulScratch mm;
};

// One pass over the rows (T tokens of one or more sequences), run by every thread of the pool
// (this one: ith) as a sequence of phases whose units the threads claim dynamically.
void CpuBackend::run_pass(const PassRows& r, int ith) {
  const size_t T = r.token.size(), G = r.n_gemm;
  const size_t n_embd = c.n_embd, n_ff = c.n_ff, hd = c.head_dim;
  const size_t q_dim = c.n_head * hd, kv_dim = c.n_head_kv * hd;
  const size_t group = c.n_head / c.n_head_kv;
  const float att_scale = 1.0f / std::sqrt(static_cast<float>(hd));
  ThreadPool::Phases phases(pool);

  // An input of n elements per row, read by `readers`: its GEMM rows [0, G) and its mat-vec
  // rows [G, T).
  struct Plans {
    cpu::InputPlan gemm, matvec;
  };
  auto plan = [&](size_t n, std::initializer_list<const Weight*> readers) {
    const std::span<const Weight* const> rd(readers.begin(), readers.size());
    return Plans{cpu::plan_input(ks, precision, G, n, rd, true),
                 cpu::plan_input(ks, precision, T - G, n, rd, false, G)};
  };
  // Row t's share of the preparation, for a per-token step: quantizing a mat-vec row.
  auto prepare_row = [&](const Plans& p, const float* in, size_t t) {
    if (t >= G) cpu::prepare_unit(ks, p.matvec, in + G * p.matvec.n, mm, t - G);
  };
  // The products reading `in`: the GEMM packing and (unless a per-token step did it) the
  // mat-vec rows' preparation, then the output rows of both.
  auto products = [&](const Plans& p, const float* in, bool rows_prepared,
                      std::initializer_list<cpu::MatmulOut> outs) {
    const size_t n = p.gemm.n;
    const size_t pack = G > 0 ? cpu::prepare_units(p.gemm) : 0;
    const size_t quant = rows_prepared ? 0 : T - G;
    phases.run(pack + quant, [&](size_t u) {
      if (u < pack) {
        cpu::prepare_unit(ks, p.gemm, in, mm, u);
      } else {
        cpu::prepare_unit(ks, p.matvec, in + G * n, mm, u - pack);
      }
    });
    std::array<cpu::MatmulOut, 3> og{}, om{};
    size_t m = 0;
    for (const cpu::MatmulOut& o : outs) {
      og[m] = o;
      om[m] = {o.w, o.y + G * o.w->n_out};
      ++m;
    }
    const std::span<const cpu::MatmulOut> sg(og.data(), m), sm(om.data(), m);
    const size_t ug = G > 0 ? cpu::matmul_units(p.gemm, sg) : 0;
    const size_t um = T > G ? cpu::matmul_units(p.matvec, sm) : 0;
    phases.run(ug + um, [&](size_t u) {
      if (u < ug) {
        cpu::matmul_unit(ks, precision, p.gemm, sg, in, mm, ith, u);
      } else {
        cpu::matmul_unit(ks, precision, p.matvec, sm, in + G * n, mm, ith, u - ug);
      }
    });
  };

  // x (T, n_embd) = token_embd[tokens]; rope (T, n_rot) = the angles of each row's position.
  phases.run(T, [&](size_t t) {
    dequantize_row(model.token_embd().type, model.token_embd().row(static_cast<size_t>(r.token[t])),
                   &x[t * n_embd], n_embd);
    cpu::rope_angles(static_cast<float>(r.pos[t]), c.n_rot, c.rope_freq_base, c.rope_freq_scale,
                     model.rope_freqs(), &rope[t * c.n_rot]);
  });

  for (uint32_t il = 0; il < c.n_layer; ++il) {
    const LayerWeights& L = model.layers()[il];

    // Per token: x += the previous layer's ffn output (xb); xb (T, n_embd) = rms_norm(x) *
    // attn_norm, quantized for the mat-vecs.
    const Plans p_qkv = plan(n_embd, {&L.wq, &L.wk, &L.wv});
    phases.run(T, [&](size_t t) {
      if (il > 0) cpu::add(&x[t * n_embd], &xb[t * n_embd], n_embd);
      cpu::rms_norm(&x[t * n_embd], L.attn_norm, c.rms_eps, n_embd, &xb[t * n_embd]);
      prepare_row(p_qkv, xb.data(), t);
    });

    // q (T, n_head * hd), k (T, n_head_kv * hd), v (T, n_head_kv * hd)
    products(p_qkv, xb.data(), true, {{&L.wq, q.data()}, {&L.wk, k.data()}, {&L.wv, v.data()}});

    // Per (token, head): biases, rotation; k and v heads go to the row's sequence's cache
    // (n_ctx, kv_dim).
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
      kv[r.seq[t]]->store(ks, il, r.pos[t], kh * hd, hd, kr, vr);
    });

    // att (T, n_head * hd): each query head over its KV head's positions 0 .. pos[t].
    const cpu::AttentionScratch scratch{&scores[static_cast<size_t>(ith) * n_ctx],
                                        &qtmp[static_cast<size_t>(ith) * hd]};
    phases.run(T * c.n_head, [&](size_t j) {
      const size_t t = j / c.n_head, h = j % c.n_head;
      cpu::attend(ks, *kv[r.seq[t]], il, (h / group) * hd, r.pos[t] + 1, hd, att_scale,
                  &q[t * q_dim + h * hd], &att[t * q_dim + h * hd], scratch);
    });

    // xb (T, n_embd) = att · wo
    products(plan(q_dim, {&L.wo}), att.data(), false, {{&L.wo, xb.data()}});

    // Per token: x += xb; xb = rms_norm(x) * ffn_norm, quantized for the mat-vecs.
    const Plans p_ffn = plan(n_embd, {&L.w_gate, &L.w_up});
    phases.run(T, [&](size_t t) {
      cpu::add(&x[t * n_embd], &xb[t * n_embd], n_embd);
      cpu::rms_norm(&x[t * n_embd], L.ffn_norm, c.rms_eps, n_embd, &xb[t * n_embd]);
      prepare_row(p_ffn, xb.data(), t);
    });

    // gate, up (T, n_ff) = xb · w_gate, xb · w_up; per token: gate = silu(gate) * up
    products(p_ffn, xb.data(), true, {{&L.w_gate, gate.data()}, {&L.w_up, up.data()}});
    const Plans p_down = plan(n_ff, {&L.w_down});
    phases.run(T, [&](size_t t) {
      ks.swiglu(&gate[t * n_ff], &up[t * n_ff], n_ff);
      prepare_row(p_down, gate.data(), t);
    });

    // xb (T, n_embd) = gate · w_down (added to x by the next step)
    products(p_down, gate.data(), true, {{&L.w_down, xb.data()}});
  }

  // logits (R, n_vocab) = rms_norm(x[row] + xb[row]) * output_norm · output, for the R rows
  // asked for, by mat-vec.
  const size_t R = r.out.size();
  if (R == 0) return;
  const Weight* out_w = &model.output();
  const cpu::InputPlan p_out =
      cpu::plan_input(ks, precision, R, n_embd, std::span<const Weight* const>(&out_w, 1), false);
  phases.run(R, [&](size_t i) {
    float* last = &x[r.out[i] * n_embd];
    cpu::add(last, &xb[r.out[i] * n_embd], n_embd);
    cpu::rms_norm(last, model.output_norm(), c.rms_eps, n_embd, &xo[i * n_embd]);
    cpu::prepare_unit(ks, p_out, xo.data(), mm, i);
  });
  const cpu::MatmulOut o_out{out_w, logits.data()};
  const std::span<const cpu::MatmulOut> so(&o_out, 1);
  phases.run(cpu::matmul_units(p_out, so),
             [&](size_t u) { cpu::matmul_unit(ks, precision, p_out, so, xo.data(), mm, ith, u); });
}

}  // namespace

Result<std::unique_ptr<ComputeBackend>> make_cpu_backend(const Model& model, uint32_t n_ctx,
                                                         const ContextOptions& options) {
  if (!cpu::isa_supported(to_isa(options.kernels))) {
    return make_error(ErrorCode::InvalidRequest, std::string("this CPU does not support the ") +
                                                     cpu::isa_name(to_isa(options.kernels)) +
                                                     " kernels");
  }
  return std::unique_ptr<ComputeBackend>(new CpuBackend(model, n_ctx, options));
}

}  // namespace hearth::localnode
