#include "hearth/localnode/generate.hpp"

#include <algorithm>
#include <chrono>

#include "hearth/localnode/detokenizer.hpp"
#include "hearth/localnode/stop_matcher.hpp"

namespace hearth::localnode {
namespace {

using Clock = std::chrono::steady_clock;

double per_second(size_t n, Clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  return s > 0 ? static_cast<double>(n) / s : 0.0;
}

}  // namespace

std::string_view to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::Length:
      return "length";
    case FinishReason::EndOfGeneration:
      return "eog";
    case FinishReason::Stop:
      return "stop";
    case FinishReason::ContextFull:
      return "context_full";
    case FinishReason::Cancelled:
      return "cancelled";
  }
  return "?";
}

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
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(),
                    [&](int32_t a, int32_t b) {
                      const float la = logits[static_cast<size_t>(a)],
                                  lb = logits[static_cast<size_t>(b)];
                      return la > lb || (la == lb && a < b);
                    });
  std::vector<TopLogit> out;
  for (size_t i = 0; i < k; ++i) out.push_back({ids[i], logits[static_cast<size_t>(ids[i])]});
  return out;
}

Result<GenerateResult> generate(InferenceContext& ctx, const Tokenizer& tokenizer,
                                std::vector<int32_t> prompt_tokens,
                                const GenerateOptions& options) {
  if (prompt_tokens.empty())
    return make_error(ErrorCode::InvalidRequest, "the prompt has no tokens");
  if (options.max_tokens < 0)
    return make_error(ErrorCode::InvalidRequest, "max_tokens must not be negative");
  if (prompt_tokens.size() > ctx.n_ctx()) {
    return make_error(ErrorCode::ContextLengthExceeded,
                      "the prompt has " + std::to_string(prompt_tokens.size()) +
                          " tokens; the context holds " + std::to_string(ctx.n_ctx()));
  }
  auto sampler = Sampler::create(options, ctx.model().config().n_vocab);
  if (!sampler) return std::move(sampler).error();
  ctx.reset();
  GenerateResult r;
  r.prompt_tokens = std::move(prompt_tokens);
  for (int32_t id : r.prompt_tokens) sampler->accept(id);

  // Text reaches the caller through the detokenizer (whole characters) and the stop
  // sequences (never part of one).
  Detokenizer detokenizer(tokenizer);
  StopMatcher stops(options.stop);
  bool cancelled = false;
  auto emit = [&](const std::string& chunk) {
    if (chunk.empty() || cancelled) return;
    r.text += chunk;
    if (options.on_text && !options.on_text(chunk)) cancelled = true;
  };

  // Prefill the prompt as one batch.
  const auto t0 = Clock::now();
  auto logits = ctx.eval(r.prompt_tokens);
  if (!logits) return std::move(logits).error();
  r.prefill_tokens_per_s = per_second(r.prompt_tokens.size(), Clock::now() - t0);
  r.top_logits = top_k_logits(*logits, options.n_top_logits);

  // Decode until max_tokens, an end-of-generation token, a stop sequence or a full context.
  const auto t1 = Clock::now();
  size_t n_decoded = 0;
  r.finish_reason = FinishReason::Length;
  for (int i = 0; i < options.max_tokens; ++i) {
    const int32_t next = sampler->sample(*logits);
    if (tokenizer.is_eog(next)) {
      r.stopped_at_eog = true;
      r.finish_reason = FinishReason::EndOfGeneration;
      break;
    }
    sampler->accept(next);
    r.tokens.push_back(next);
    emit(stops.push(detokenizer.push(next)));
    if (stops.stopped()) {
      r.finish_reason = FinishReason::Stop;
      break;
    }
    if (cancelled) {
      r.finish_reason = FinishReason::Cancelled;
      break;
    }
    if (i + 1 == options.max_tokens) break;
    if (ctx.n_past() >= ctx.n_ctx()) {
      r.finish_reason = FinishReason::ContextFull;
      break;
    }
    logits = ctx.eval(std::span<const int32_t>(&r.tokens.back(), 1));
    if (!logits) return std::move(logits).error();
    ++n_decoded;
  }
  r.decode_tokens_per_s = per_second(n_decoded, Clock::now() - t1);

  // The end of the stream: an unfinished character and any held-back text.
  if (!stops.stopped()) {
    emit(stops.push(detokenizer.flush()));
    if (stops.stopped()) r.finish_reason = FinishReason::Stop;
    emit(stops.flush());
  }
  return r;
}

}  // namespace hearth::localnode
