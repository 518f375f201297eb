#include "cpu/matmul.hpp"

#include <algorithm>

namespace hearth::localnode::cpu {
namespace {

size_t round_up(size_t n, size_t m) {
  return (n + m - 1) / m * m;
}

}  // namespace

InputPlan plan_input(const KernelSet& ks, Precision p, size_t n_tokens, size_t n,
                     std::span<const Weight* const> readers, bool gemm, size_t q_row0) {
  InputPlan plan;
  plan.n_tokens = n_tokens;
  plan.n = n;
  plan.row_multiple = ks.gemv_row_multiple;
  plan.q_row0 = q_row0;
  if (gemm && ks.int8_prompts && p == Precision::Int8) {
    gemm = !std::all_of(readers.begin(), readers.end(), [&](const Weight* w) {
      return ks.of(w->type).gemv_q8_multi != nullptr && ks.of(w->type).act == ActFormat::Q8x32;
    });
  }
  if (gemm) {
    plan.gemm = true;
    plan.tp = round_up(n_tokens, 16);
    return plan;
  }
  if (p == Precision::Int8) {
    for (const Weight* w : readers) {
      const ActFormat f = ks.of(w->type).act;
      plan.q8x32 |= f == ActFormat::Q8x32;
      plan.q8x256 |= f == ActFormat::Q8x256;
      plan.arrange |= f == ActFormat::Q8x32 && ks.of(w->type).gemv_q8_multi != nullptr;
    }
  }
  plan.arrange &= ks.arrange_q8x32 != nullptr && n_tokens > 1;
  return plan;
}

void MatmulScratch::reserve(size_t n_max, size_t n_tokens_max, int n_threads, bool with_arranged) {
  const size_t n_blocks = round_up(n_max, 256);
  q8x32.resize(n_tokens_max * act_row_bytes(ActFormat::Q8x32, n_blocks));
  q8x256.resize(n_tokens_max * act_row_bytes(ActFormat::Q8x256, n_blocks));
  // Two plans share a step: the second's groups start after the first's last.
  arranged.resize(with_arranged ? arranged_bytes(n_blocks, n_tokens_max + 16) : 0);
  packed.resize(n_max * round_up(n_tokens_max, 16));
  rows.resize(static_cast<size_t>(n_threads));
  for (auto& r : rows) r.resize(panel_floats(n_max) + kGemmRows * n_max);
}

namespace {

// k values per packing unit.
constexpr size_t kPackChunk = 64;

}  // namespace

size_t prepare_units(const InputPlan& plan) {
  return plan.gemm ? (plan.n + kPackChunk - 1) / kPackChunk : plan.n_tokens;
}

namespace {

// Where a plan's rows start in the scratch's tile layout: after those of a plan before it in
// the same step (q_row0 rows).
uint8_t* arranged_rows(MatmulScratch& s, const InputPlan& plan) {
  return s.arranged.data() + arranged_bytes(plan.n, plan.q_row0);
}

}  // namespace

void prepare_unit(const KernelSet& ks, const InputPlan& plan, const float* x, MatmulScratch& s,
                  size_t u) {
  const size_t n = plan.n, T = plan.n_tokens;
  if (plan.gemm) {
    // x packed (packed_act_index), zero-padded to tp tokens, for k in this unit's range.
    const size_t k0 = u * kPackChunk, k1 = std::min(n, k0 + kPackChunk);
    float* ap = s.packed.data();
    for (size_t t = 0; t < plan.tp; ++t) {
      float* to = ap + packed_act_index(t, 0, n);
      for (size_t k = k0; k < k1; ++k) to[k * 16] = t < T ? x[t * n + k] : 0.0f;
    }
    return;
  }
  // Token u's quantized rows (n_tokens, act_row_bytes).
  const size_t row = plan.q_row0 + u;
  if (plan.q8x32) {
    uint8_t* q = s.q8x32.data() + row * act_row_bytes(ActFormat::Q8x32, n);
    ks.quantize_q8x32(x + u * n, n, q);
    if (plan.arrange) ks.arrange_q8x32(q, n, u, arranged_rows(s, plan));
  }
  if (plan.q8x256)
    ks.quantize_q8x256(x + u * n, n, s.q8x256.data() + row * act_row_bytes(ActFormat::Q8x256, n));
}

namespace {

// Output rows [r0, r1) of one product.
void rows(const KernelSet& ks, Precision p, const InputPlan& plan, const MatmulOut& out,
          const float* x, MatmulScratch& s, int ith, size_t r0, size_t r1) {
  const Weight& w = *out.w;
  const size_t N = w.n_out, K = w.n_in, T = plan.n_tokens;
  float* y = out.y;
  const TypeKernels& tk = ks.of(w.type);
  if (plan.gemm) {
    // A panel of up to kGemmRows weight rows, then every token.
    float* panel = s.rows[static_cast<size_t>(ith)].data();
    float* tmp = panel + panel_floats(K);
    if (tk.pack != nullptr) {
      tk.pack(w.row(r0), w.row_bytes, r1 - r0, K, panel);
    } else if (w.type == TensorType::F32) {
      ks.pack_f32(reinterpret_cast<const float*>(w.row(r0)), K, r1 - r0, K, panel);
    } else {
      for (size_t r = r0; r < r1; ++r) tk.dequant(w.row(r), K, tmp + (r - r0) * K);
      ks.pack_f32(tmp, K, r1 - r0, K, panel);
    }
    // The weights of the next panel of this matrix stream in while this one computes.
    const size_t r2 = std::min(N, r1 + kGemmRows);
    ks.gemm_f32(panel, r1 - r0, s.packed.data(), plan.tp, T, K, y + r0, N, r1 < N ? w.row(r1) : nullptr,
                (r2 - r1) * w.row_bytes);
    return;
  }
  if (p == Precision::Int8 && tk.act != ActFormat::None) {
    const size_t rb = act_row_bytes(tk.act, K);
    const uint8_t* xq =
        (tk.act == ActFormat::Q8x32 ? s.q8x32.data() : s.q8x256.data()) + plan.q_row0 * rb;
    if (tk.gemv_q8_multi != nullptr && T > 1) {
      // The thread's GEMM panel buffer (at least 128 bytes per element) is free here.
      static_assert(kGemvMultiScratchPerElement + 64 <= kGemmRows * sizeof(float));
      auto* scratch = reinterpret_cast<uint8_t*>(s.rows[static_cast<size_t>(ith)].data());
      const uint8_t* arranged =
          plan.arrange && tk.act == ActFormat::Q8x32 ? arranged_rows(s, plan) : nullptr;
      tk.gemv_q8_multi(w.row(r0), w.row_bytes, r1 - r0, K, xq, rb, T, y + r0, N, scratch, arranged);
      return;
    }
    for (size_t t = 0; t < T; ++t)
      tk.gemv_q8(w.row(r0), w.row_bytes, r1 - r0, K, xq + t * rb, y + t * N + r0);
    return;
  }
  for (size_t t = 0; t < T; ++t)
    tk.gemv_f32(w.row(r0), w.row_bytes, r1 - r0, K, x + t * K, y + t * N + r0);
}

// Rows per unit: a GEMM panel, or a mat-vec's share of the weights, a multiple of the level's
// row group. Small enough that a preempted thread holds up little; long enough for the
// prefetchers and for claiming to cost nothing (bench/README.md has the paired runs):
// - one token: 64 KiB. One stream decoded 7 % (AMX) and 20 % (VNNI) faster than with 16 KiB
//   on a host that has both.
// - several tokens: 48 KiB, where a level may rearrange the activations once per call (the
//   int16 path does). With 8 tokens and three times the rows per call of 16 KiB,
//   `hearth_bench_matvec` ran ~6 % faster on rows of 576 and ~14 % on rows of 1536, and 8
//   decoding streams ~4 % faster end to end (9 paired runs).
size_t chunk_rows(const InputPlan& plan, const Weight& w) {
  if (plan.gemm) return kGemmRows;
  const size_t bytes = plan.n_tokens > 1 ? 49152 : 65536, m = plan.row_multiple;
  return std::clamp<size_t>((bytes / std::max<size_t>(w.row_bytes, 1) + m - 1) / m * m, m, 256);
}

size_t n_chunks(const InputPlan& plan, const Weight& w) {
  return (w.n_out + chunk_rows(plan, w) - 1) / chunk_rows(plan, w);
}

}  // namespace

size_t matmul_units(const InputPlan& plan, std::span<const MatmulOut> outs) {
  size_t total = 0;
  for (const MatmulOut& o : outs) total += n_chunks(plan, *o.w);
  return total;
}

void matmul_unit(const KernelSet& ks, Precision p, const InputPlan& plan,
                 std::span<const MatmulOut> outs, const float* x, MatmulScratch& s, int ith,
                 size_t u) {
  for (const MatmulOut& o : outs) {
    const size_t n = n_chunks(plan, *o.w);
    if (u < n) {
      const size_t r0 = u * chunk_rows(plan, *o.w);
      rows(ks, p, plan, o, x, s, ith, r0, std::min(o.w->n_out, r0 + chunk_rows(plan, *o.w)));
      return;
    }
    u -= n;
  }
}

}  // namespace hearth::localnode::cpu
