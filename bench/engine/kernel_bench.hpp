#pragma once
// What the single-kernel benchmarks (hearth_bench_matvec, hearth_bench_gemm) share: random
// Q8_0 weights too large for the caches, and a timing loop.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace hearth::bench {

// The K and TOKENS every kernel benchmark takes first. False, with `usage` (its %s is the
// program) or the problem printed, unless K is a positive multiple of 32 and TOKENS positive.
inline bool parse_k_tokens(int argc, char** argv, const char* usage, size_t& k, size_t& n_tok) {
  if (argc < 3) {
    std::fprintf(stderr, usage, argv[0]);
    return false;
  }
  k = std::strtoul(argv[1], nullptr, 10);
  n_tok = std::strtoul(argv[2], nullptr, 10);
  if (k == 0 || k % 32 != 0 || n_tok == 0) {
    std::fprintf(stderr, "K must be a positive multiple of 32; TOKENS positive\n");
    return false;
  }
  return true;
}

// About 64 MiB of random Q8_0 rows, K wide, a multiple of `multiple` of them, so that every
// pass streams them from memory as the engine does; block scales ~2^-7.
inline std::vector<uint8_t> random_q8_0_rows(size_t k, size_t multiple, std::mt19937& rng,
                                             size_t& n_rows) {
  const size_t row_bytes = k / 32 * 34;
  n_rows = (64u << 20) / row_bytes / multiple * multiple;
  std::vector<uint8_t> w(n_rows * row_bytes);
  for (auto& b : w) b = static_cast<uint8_t>(rng());
  for (size_t b = 0; b < w.size(); b += 34) w[b] = 0, w[b + 1] = 0x20;
  return w;
}

// Runs pass() once to warm up, then for `seconds`; returns passes per second.
template <class Pass>
double passes_per_s(Pass&& pass, double seconds) {
  pass();
  size_t passes = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    pass();
    ++passes;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return static_cast<double>(passes) / elapsed;
}

}  // namespace hearth::bench
