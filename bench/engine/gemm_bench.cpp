// The prefill GEMM alone, one thread, on random Q8_0 weights: GMAC/s of the best kernel level's
// f32 GEMM over panels of 32 weight rows times TOKENS packed activations, as the engine's
// matmul units call it, and of the whole unit with the panel's dequantize-and-pack before it.
// The weights (64 MiB) are too large for the caches, as in a prefill.
// Usage: hearth_bench_gemm K TOKENS [SECONDS]
// Prints one JSON line.

#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "cpu/kernels.hpp"
#include "kernel_bench.hpp"

using namespace hearth::localnode;
using namespace hearth::localnode::cpu;

int main(int argc, char** argv) {
  size_t k = 0, n_tok = 0;
  if (!hearth::bench::parse_k_tokens(argc, argv, "usage: %s K TOKENS [SECONDS]\n", k, n_tok)) return 2;
  const double seconds = argc > 3 ? std::strtod(argv[3], nullptr) : 2.0;
  const KernelSet& ks = kernel_set(best_isa());
  const TypeKernels& tk = ks.of(TensorType::Q8_0);
  if (tk.pack == nullptr || ks.gemm_f32 == nullptr) {
    std::fprintf(stderr, "this kernel level has no Q8_0 panel packing\n");
    return 1;
  }

  std::mt19937 rng(1);
  size_t n_rows = 0;
  const std::vector<uint8_t> w = hearth::bench::random_q8_0_rows(k, kGemmRows, rng, n_rows);
  const size_t row_bytes = k / 32 * 34;
  const size_t tp = (n_tok + 15) / 16 * 16;
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> ap(k * tp, 0.0f);
  for (size_t i = 0; i < k; ++i) {
    for (size_t t = 0; t < n_tok; ++t) ap[packed_act_index(t, i, k)] = normal(rng);
  }
  std::vector<float> panel(panel_floats(k)), y(n_tok * n_rows);

  // One panel packed once, multiplied over and over: the GEMM alone. Then every panel packed
  // and multiplied, the next one's weights prefetched: the matmul unit.
  const auto timed = [&](auto&& pass, size_t macs_per_pass) {
    return static_cast<double>(macs_per_pass) * hearth::bench::passes_per_s(pass, seconds) / 1e9;
  };
  tk.pack(w.data(), row_bytes, kGemmRows, k, panel.data());
  const double gemm = timed(
      [&] {
        ks.gemm_f32(panel.data(), kGemmRows, ap.data(), tp, n_tok, k, y.data(), n_rows, nullptr, 0);
      },
      kGemmRows * k * n_tok);
  const double unit = timed(
      [&] {
        for (size_t r0 = 0; r0 < n_rows; r0 += kGemmRows) {
          tk.pack(w.data() + r0 * row_bytes, row_bytes, kGemmRows, k, panel.data());
          const bool last = r0 + kGemmRows >= n_rows;
          ks.gemm_f32(panel.data(), kGemmRows, ap.data(), tp, n_tok, k, y.data() + r0, n_rows,
                      last ? nullptr : w.data() + (r0 + kGemmRows) * row_bytes,
                      last ? 0 : kGemmRows * row_bytes);
        }
      },
      n_rows * k * n_tok);
  std::printf(
      "{\"kernels\":\"%s\",\"k\":%zu,\"tokens\":%zu,\"gemm_gmac_per_s\":%.2f,\"unit_gmac_per_s\":%."
      "2f,"
      "\"checksum\":%g}\n",
      isa_name(ks.isa), k, n_tok, gemm, unit, static_cast<double>(y[0]));
}
