// The local node's scheduler under load: N streams kept busy (a closed loop: when one ends,
// the next request starts), each a fixed prompt and G greedy tokens (end-of-generation
// banned, so every stream runs its full length). Prints one JSON line: aggregate decode
// tokens/s over the run and the time to first token p50/p99 of every request. Usage:
//   hearth_bench_local MODEL [streams=8] [requests=32] [n_prompt=32] [n_gen=64] [threads=2]
//                      [prefill_chunk=64] [kernels=auto|scalar|avx2|avx512|avx512-vnni|amx]

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <vector>

#include "hearth/localnode/scheduler.hpp"

namespace ln = hearth::localnode;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s MODEL [streams] [requests] [n_prompt] [n_gen] [threads] "
                 "[prefill_chunk] [kernels]\n",
                 argv[0]);
    return 2;
  }
  const int streams = argc > 2 ? std::atoi(argv[2]) : 8;
  const int requests = argc > 3 ? std::atoi(argv[3]) : 32;
  const int n_prompt = argc > 4 ? std::atoi(argv[4]) : 32;
  const int n_gen = argc > 5 ? std::atoi(argv[5]) : 64;
  const int threads = argc > 6 ? std::atoi(argv[6]) : 2;
  const int chunk = argc > 7 ? std::atoi(argv[7]) : 64;
  const auto kernels = ln::cpu_kernels_from_name(argc > 8 ? argv[8] : "auto");
  if (!kernels) return std::fprintf(stderr, "unknown kernel level %s\n", argv[8]), 2;
  if (streams < 1 || requests < streams || n_prompt < 1 || n_gen < 1 || threads < 1 || chunk < 1) {
    std::fprintf(stderr, "bad arguments\n");
    return 2;
  }

  auto file = ln::GgufFile::open(argv[1]);
  if (!file) return std::fprintf(stderr, "%s\n", file.error().message.c_str()), 1;
  auto tokenizer = ln::Tokenizer::from_gguf(*file);
  if (!tokenizer) return std::fprintf(stderr, "%s\n", tokenizer.error().message.c_str()), 1;
  auto model = ln::Model::load(std::move(file).value());
  if (!model) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
  const uint32_t n_ctx = static_cast<uint32_t>(n_prompt + n_gen + 1);
  auto ctx = ln::InferenceContext::create(**model, {.n_ctx = n_ctx,
                                                    .n_seq = static_cast<uint32_t>(streams),
                                                    .n_threads = threads,
                                                    .kernels = *kernels});
  if (!ctx) return std::fprintf(stderr, "%s\n", ctx.error().message.c_str()), 1;

  std::mutex mutex;
  std::condition_variable cv;
  std::vector<double> ttft_ms;
  ln::Scheduler scheduler(**ctx, *tokenizer,
                          {.kv_budget_bytes = std::numeric_limits<uint64_t>::max() / 2,
                           .prefill_chunk = static_cast<uint32_t>(chunk)});

  // Token ids fixed and spread over the vocabulary; end-of-generation banned.
  std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
  for (int i = 0; i < n_prompt; ++i) prompt[i] = static_cast<int32_t>((i * 7919 + 13) % static_cast<int>(tokenizer->n_vocab()));
  ln::GenerationJob job{prompt, {}, {n_gen, {}}};
  job.sampling.logit_bias.emplace_back(tokenizer->eos(), -std::numeric_limits<float>::infinity());

  struct Running {
    std::shared_ptr<ln::Generation> gen;
    Clock::time_point submitted;
    bool first = false;
  };
  std::vector<Running> running;
  int submitted = 0, finished = 0;
  uint64_t generated = 0;
  auto submit = [&] {
    auto gen = scheduler.submit(job, [&] { cv.notify_all(); });
    if (!gen) {
      std::fprintf(stderr, "refused: %s\n", gen.error().message.c_str());
      std::exit(1);
    }
    running.push_back({*gen, Clock::now(), false});
    ++submitted;
  };

  const auto t0 = Clock::now();
  std::unique_lock lock(mutex);
  for (int i = 0; i < streams; ++i) submit();
  while (finished < requests) {
    cv.wait_for(lock, std::chrono::milliseconds(5));
    for (size_t i = 0; i < running.size();) {
      ln::Generation::Output out = running[i].gen->take();
      if (!running[i].first && (!out.text.empty() || out.done)) {
        running[i].first = true;
        ttft_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - running[i].submitted).count());
      }
      if (out.error) return std::fprintf(stderr, "%s\n", out.error->message.c_str()), 1;
      if (!out.done) {
        ++i;
        continue;
      }
      generated += out.completion_tokens;
      ++finished;
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      if (submitted < requests) submit();
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::sort(ttft_ms.begin(), ttft_ms.end());
  auto pct = [&](double p) { return ttft_ms[std::min(ttft_ms.size() - 1, static_cast<size_t>(p * ttft_ms.size()))]; };
  const auto stats = scheduler.stats();
  std::printf(
      "{\"streams\":%d,\"requests\":%d,\"n_prompt\":%d,\"n_gen\":%d,\"threads\":%d,\"kernels\":\"%s\","
      "\"tokens_per_s\":%.1f,\"ttft_p50_ms\":%.1f,\"ttft_p99_ms\":%.1f,\"prefill_tokens_per_s\":%.1f,"
      "\"decode_tokens_per_s\":%.1f,\"seconds\":%.2f}\n",
      streams, requests, n_prompt, n_gen, threads, std::string((*ctx)->backend_name()).c_str(),
      static_cast<double>(generated) / seconds, pct(0.5), pct(0.99), stats.prefill_tokens_per_s,
      stats.decode_tokens_per_s, seconds);
  return 0;
}
