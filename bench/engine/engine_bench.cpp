// Engine speed on one model: prefill of a fixed batch of token ids and greedy decode, in
// tokens/s, as one JSON line. Token ids are fixed (no tokenizer needed), so any supported
// model file works. Usage:
//   hearth_bench_engine MODEL [threads=2] [n_prompt=64] [n_gen=64] [reps=3]
//                       [precision=int8|float] [kv=f16|q8_0|f32]
//                       [kernels=auto|scalar|avx2|avx512|avx512-vnni|amx|vulkan]
// Besides the medians it prints the best and worst run and the peak RSS of the process.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "hearth/localnode/context.hpp"
#include "hearth/localnode/generate.hpp"
#include "hearth/localnode/model.hpp"

namespace ln = hearth::localnode;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL [threads] [n_prompt] [n_gen] [reps]\n", argv[0]);
    return 2;
  }
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const int n_prompt = argc > 3 ? std::atoi(argv[3]) : 64;
  const int n_gen = argc > 4 ? std::atoi(argv[4]) : 64;
  const int reps = argc > 5 ? std::atoi(argv[5]) : 3;
  const std::string precision = argc > 6 ? argv[6] : "int8";
  const std::string kv = argc > 7 ? argv[7] : "f16";
  const std::string kernels = argc > 8 ? argv[8] : "auto";
  if (threads < 1 || n_prompt < 1 || n_gen < 1 || reps < 1) {
    std::fprintf(stderr, "threads, n_prompt, n_gen and reps must be positive\n");
    return 2;
  }
  ln::ContextOptions opt;
  opt.n_ctx = static_cast<uint32_t>(n_prompt + n_gen + 1);
  opt.n_threads = threads;
  opt.precision = precision == "float" ? ln::MatmulPrecision::Float : ln::MatmulPrecision::Int8;
  opt.kv_type = kv == "q8_0"  ? ln::TensorType::Q8_0
                : kv == "f32" ? ln::TensorType::F32
                              : ln::TensorType::F16;
  opt.kernels = ln::cpu_kernels_from_name(kernels).value_or(ln::CpuKernels::Auto);
  if (kernels == "vulkan") opt.backend = ln::Backend::Vulkan;  // bench/vulkan

  auto file = ln::GgufFile::open(argv[1]);
  if (!file) return std::fprintf(stderr, "%s\n", file.error().message.c_str()), 1;
  auto model = ln::Model::load(std::move(file).value());
  if (!model) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
  const auto& cfg = (*model)->config();
  auto ctx = ln::InferenceContext::create(**model, opt);
  if (!ctx) return std::fprintf(stderr, "%s\n", ctx.error().message.c_str()), 1;

  std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
  for (int i = 0; i < n_prompt; ++i)
    prompt[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7919 + 1) % cfg.n_vocab);

  using Clock = std::chrono::steady_clock;
  // CPU seconds of the whole process (all threads, spinning included): on a shared machine
  // wall time also counts time other processes ran, so both are reported.
  auto cpu_seconds = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
  };
  std::vector<double> pp, tg, pp_cpu, tg_cpu;
  for (int rep = 0; rep < reps; ++rep) {
    (*ctx)->reset();
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    auto logits = (*ctx)->eval(prompt);
    if (!logits) return std::fprintf(stderr, "%s\n", logits.error().message.c_str()), 1;
    pp.push_back(n_prompt / std::chrono::duration<double>(Clock::now() - t0).count());
    pp_cpu.push_back(cpu_seconds() - c0);
    t0 = Clock::now();
    c0 = cpu_seconds();
    for (int i = 0; i < n_gen; ++i) {
      const int32_t next = ln::argmax(*logits);
      logits = (*ctx)->eval(std::span<const int32_t>(&next, 1));
      if (!logits) return std::fprintf(stderr, "%s\n", logits.error().message.c_str()), 1;
    }
    tg.push_back(n_gen / std::chrono::duration<double>(Clock::now() - t0).count());
    tg_cpu.push_back(cpu_seconds() - c0);
  }
  std::sort(pp_cpu.begin(), pp_cpu.end());
  std::sort(tg_cpu.begin(), tg_cpu.end());
  std::sort(pp.begin(), pp.end());
  std::sort(tg.begin(), tg.end());
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "{\"model\":\"%s\",\"threads\":%d,\"n_prompt\":%d,\"n_gen\":%d,\"reps\":%d,"
      "\"precision\":\"%s\",\"kv\":\"%s\",\"kernels\":\"%s\","
      "\"prefill_tokens_per_s_median\":%.1f,\"prefill_min\":%.1f,\"prefill_max\":%.1f,"
      "\"decode_tokens_per_s_median\":%.1f,\"decode_min\":%.1f,\"decode_max\":%.1f,"
      "\"prefill_cpu_s_median\":%.3f,\"decode_cpu_s_median\":%.3f,"
      "\"kv_cache_bytes\":%zu,\"peak_rss_bytes\":%ld}\n",
      argv[1], threads, n_prompt, n_gen, reps, precision.c_str(), kv.c_str(),
      std::string((*ctx)->backend_name()).c_str(), pp[pp.size() / 2], pp.front(), pp.back(),
      tg[tg.size() / 2], tg.front(), tg.back(), pp_cpu[pp_cpu.size() / 2],
      tg_cpu[tg_cpu.size() / 2], (*ctx)->kv_cache_bytes(), ru.ru_maxrss * 1024L);
  return 0;
}
