// Engine speed on one model: prefill of a fixed batch of token ids and greedy decode, in
// tokens/s, as one JSON line. Token ids are fixed (no tokenizer needed), so any supported
// model file works. Usage: hearth_bench_engine MODEL [threads=2] [n_prompt=64] [n_gen=64] [reps=3]

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

  auto file = ln::GgufFile::open(argv[1]);
  if (!file) return std::fprintf(stderr, "%s\n", file.error().message.c_str()), 1;
  auto model = ln::Model::load(std::move(file).value());
  if (!model) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
  const auto& cfg = (*model)->config();
  auto ctx = ln::InferenceContext::create(
      **model, {.n_ctx = static_cast<uint32_t>(n_prompt + n_gen + 1), .n_threads = threads});
  if (!ctx) return std::fprintf(stderr, "%s\n", ctx.error().message.c_str()), 1;

  std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
  for (int i = 0; i < n_prompt; ++i) prompt[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7919 + 1) % cfg.n_vocab);

  using Clock = std::chrono::steady_clock;
  std::vector<double> pp, tg;
  for (int rep = 0; rep < reps; ++rep) {
    (*ctx)->reset();
    auto t0 = Clock::now();
    auto logits = (*ctx)->eval(prompt);
    if (!logits) return std::fprintf(stderr, "%s\n", logits.error().message.c_str()), 1;
    pp.push_back(n_prompt / std::chrono::duration<double>(Clock::now() - t0).count());
    t0 = Clock::now();
    for (int i = 0; i < n_gen; ++i) {
      const int32_t next = ln::argmax(*logits);
      logits = (*ctx)->eval(std::span<const int32_t>(&next, 1));
      if (!logits) return std::fprintf(stderr, "%s\n", logits.error().message.c_str()), 1;
    }
    tg.push_back(n_gen / std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(pp.begin(), pp.end());
  std::sort(tg.begin(), tg.end());
  std::printf("{\"model\":\"%s\",\"threads\":%d,\"n_prompt\":%d,\"n_gen\":%d,\"reps\":%d,"
              "\"prefill_tokens_per_s_median\":%.1f,\"decode_tokens_per_s_median\":%.1f}\n",
              argv[1], threads, n_prompt, n_gen, reps, pp[pp.size() / 2], tg[tg.size() / 2]);
  return 0;
}
