#include "hearth/localnode/generate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

namespace hearth::localnode {
namespace {

using Clock = std::chrono::steady_clock;

double per_second(size_t n, Clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  return s > 0 ? static_cast<double>(n) / s : 0.0;
}

int32_t sample(std::span<const float> logits, float temperature, std::mt19937_64& rng) {
  const float max = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    p[i] = std::exp(static_cast<double>(logits[i] - max) / temperature);
    sum += p[i];
  }
  double r = std::uniform_real_distribution<double>(0.0, sum)(rng);
  for (size_t i = 0; i < p.size(); ++i) {
    r -= p[i];
    if (r <= 0) return static_cast<int32_t>(i);
  }
  return static_cast<int32_t>(p.size() - 1);
}

}  // namespace

int32_t argmax(std::span<const float> logits) {
  size_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[best]) best = i;
  }
  return static_cast<int32_t>(best);
}

std::vector<TopLogit> top_k_logits(std::span<const float> logits, size_t k) {
  std::vector<int32_t> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  k = std::min(k, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(), [&](int32_t a, int32_t b) {
    const float la = logits[static_cast<size_t>(a)], lb = logits[static_cast<size_t>(b)];
    return la > lb || (la == lb && a < b);
  });
  std::vector<TopLogit> out;
  for (size_t i = 0; i < k; ++i) out.push_back({ids[i], logits[static_cast<size_t>(ids[i])]});
  return out;
}

Result<GenerateResult> generate(InferenceContext& ctx, const Tokenizer& tokenizer, std::vector<int32_t> prompt_tokens,
                                const GenerateOptions& options) {
  if (prompt_tokens.empty()) return make_error(ErrorCode::InvalidRequest, "the prompt has no tokens");
  if (options.max_tokens < 0) return make_error(ErrorCode::InvalidRequest, "max_tokens must not be negative");
  if (!(options.temperature >= 0.0f)) return make_error(ErrorCode::InvalidRequest, "temperature must be >= 0");
  if (prompt_tokens.size() > ctx.n_ctx()) {
    return make_error(ErrorCode::ContextLengthExceeded, "the prompt has " + std::to_string(prompt_tokens.size()) +
                                                            " tokens; the context holds " + std::to_string(ctx.n_ctx()));
  }
  ctx.reset();
  GenerateResult r;
  r.prompt_tokens = std::move(prompt_tokens);
  std::mt19937_64 rng(options.seed);

  // Prefill the prompt as one batch.
  const auto t0 = Clock::now();
  auto logits = ctx.eval(r.prompt_tokens);
  if (!logits) return std::move(logits).error();
  r.prefill_tokens_per_s = per_second(r.prompt_tokens.size(), Clock::now() - t0);
  r.top_logits = top_k_logits(*logits, options.n_top_logits);

  // Decode until max_tokens, an end-of-generation token or a full context.
  const auto t1 = Clock::now();
  size_t n_decoded = 0;
  for (int i = 0; i < options.max_tokens; ++i) {
    const int32_t next = options.temperature == 0.0f ? argmax(*logits) : sample(*logits, options.temperature, rng);
    if (tokenizer.is_eog(next)) {
      r.stopped_at_eog = true;
      break;
    }
    r.tokens.push_back(next);
    r.text += tokenizer.token_to_piece(next);
    if (i + 1 == options.max_tokens || ctx.n_past() >= ctx.n_ctx()) break;
    logits = ctx.eval(std::span<const int32_t>(&r.tokens.back(), 1));
    if (!logits) return std::move(logits).error();
    ++n_decoded;
  }
  r.decode_tokens_per_s = per_second(n_decoded, Clock::now() - t1);
  return r;
}

}  // namespace hearth::localnode
