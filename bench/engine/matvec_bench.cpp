// The batched Q8_0 mat-vec alone, one thread, on random weights: GMAC/s of the best kernel
// level's multi-token mat-vec (or, for one token, its one-token mat-vec) over a matrix too large
// for the caches, called ROWS_PER_CALL rows at a time as the engine's matmul units call it.
// Usage: hearth_bench_matvec K TOKENS [ROWS_PER_CALL] [SECONDS] [LEVEL]
// LEVEL: a kernel level by name (avx2, avx512, avx512-vnni, amx); the best one by default.
// Prints one JSON line.

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string_view>
#include <vector>

#include "cpu/kernels.hpp"
#include "kernel_bench.hpp"

using namespace hearth::localnode;
using namespace hearth::localnode::cpu;

int main(int argc, char** argv) {
  size_t k = 0, n_tok = 0;
  if (!hearth::bench::parse_k_tokens(
          argc, argv, "usage: %s K TOKENS [ROWS_PER_CALL] [SECONDS] [LEVEL]\n", k, n_tok))
    return 2;
  const size_t per_call = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 28;
  const double seconds = argc > 4 ? std::strtod(argv[4], nullptr) : 2.0;
  if (per_call == 0) {
    std::fprintf(stderr, "ROWS_PER_CALL must be positive\n");
    return 2;
  }
  Isa isa = best_isa();
  if (argc > 5) {
    bool known = false;
    for (Isa l : {Isa::Avx2, Isa::Avx512, Isa::Avx512Vnni, Isa::Amx}) {
      if (std::string_view(argv[5]) == isa_name(l) && isa_supported(l)) {
        isa = l;
        known = true;
      }
    }
    if (!known) {
      std::fprintf(stderr, "LEVEL %s: unknown or not supported by this CPU\n", argv[5]);
      return 2;
    }
  }
  const KernelSet& ks = kernel_set(isa);
  const TypeKernels& tk = ks.of(TensorType::Q8_0);
  if (n_tok > 1 && tk.gemv_q8_multi == nullptr) {
    std::fprintf(stderr, "this kernel level has no multi-token Q8_0 mat-vec\n");
    return 1;
  }

  std::mt19937 rng(1);
  size_t n_rows = 0;
  const std::vector<uint8_t> w = hearth::bench::random_q8_0_rows(k, per_call, rng, n_rows);
  const size_t row_bytes = k / 32 * 34;
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(k);
  const size_t rb = act_row_bytes(ActFormat::Q8x32, k);
  std::vector<uint8_t> xq(n_tok * rb);
  for (size_t t = 0; t < n_tok; ++t) {
    for (float& v : x) v = normal(rng);
    ks.quantize_q8x32(x.data(), k, xq.data() + t * rb);
  }
  // Laid out once, as the engine does per input, where the level has a layout of its own.
  std::vector<uint8_t> arranged(arranged_bytes(k, n_tok));
  if (ks.arrange_q8x32 != nullptr) {
    for (size_t t = 0; t < n_tok; ++t) ks.arrange_q8x32(xq.data() + t * rb, k, t, arranged.data());
  }
  std::vector<float> y(n_tok * n_rows);
  std::vector<uint8_t> scratch(kGemvMultiScratchPerElement * k + 64);

  const auto pass = [&] {
    for (size_t r0 = 0; r0 < n_rows; r0 += per_call) {
      if (n_tok == 1) {
        tk.gemv_q8(w.data() + r0 * row_bytes, row_bytes, per_call, k, xq.data(), y.data() + r0);
      } else {
        tk.gemv_q8_multi(w.data() + r0 * row_bytes, row_bytes, per_call, k, xq.data(), rb, n_tok,
                         y.data() + r0, n_rows, scratch.data(),
                         ks.arrange_q8x32 != nullptr ? arranged.data() : nullptr);
      }
    }
  };
  const double macs =
      static_cast<double>(n_rows * k * n_tok) * hearth::bench::passes_per_s(pass, seconds);
  std::printf(
      "{\"kernels\":\"%s\",\"k\":%zu,\"tokens\":%zu,\"rows_per_call\":%zu,\"gmac_per_s\":%.2f,"
      "\"checksum\":%g}\n",
      isa_name(ks.isa), k, n_tok, per_call, macs / 1e9, static_cast<double>(y[0]));
}
