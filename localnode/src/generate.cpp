#include "hearth/localnode/generate.hpp"

#include <algorithm>
#include <chrono>


namespace hearth::localnode {
namespace {

using Clock = std::chrono::steady_clock;

double per_second(size_t n, Clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  return s > 0 ? static_cast<double>(n) / s : 0.0;
}

}  // namespace

Result<std::span<const float>> prefill(InferenceContext& ctx, uint32_t seq,
                                       std::span<const int32_t> prompt) {
  if (prompt.empty()) return make_error(ErrorCode::InvalidRequest, "the prompt has no tokens");
  Result<std::span<const float>> logits = std::span<const float>();
  for (size_t at = 0; at < prompt.size(); at += InferenceContext::max_batch()) {
    const size_t n = std::min(InferenceContext::max_batch(), prompt.size() - at);
    const SequenceTokens part{seq, prompt.subspan(at, n), true, at + n == prompt.size()};
    logits = ctx.eval(std::span<const SequenceTokens>(&part, 1));
    if (!logits) return logits;
  }
  return logits;
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
  if (prompt_tokens.size() > ctx.capacity(0)) {
    return make_error(ErrorCode::ContextLengthExceeded,
                      "the prompt has " + std::to_string(prompt_tokens.size()) +
                          " tokens; the context holds " + std::to_string(ctx.capacity(0)));
  }
  auto decoder = SequenceDecoder::create(tokenizer, ctx.model().config().n_vocab, options,
                                         {options.max_tokens, options.stop}, prompt_tokens);
  if (!decoder) return std::move(decoder).error();
  ctx.reset();
  GenerateResult r;
  r.prompt_tokens = std::move(prompt_tokens);

  // Prefill the prompt.
  const auto t0 = Clock::now();
  auto logits = prefill(ctx, 0, r.prompt_tokens);
  if (!logits) return std::move(logits).error();
  r.prefill_tokens_per_s = per_second(r.prompt_tokens.size(), Clock::now() - t0);
  r.top_logits = top_k_logits(*logits, options.n_top_logits);

  // Decode until the decoder finishes or the caller stops it.
  const auto t1 = Clock::now();
  size_t n_decoded = 0;
  while (!decoder->finished()) {
    const std::optional<int32_t> chosen =
        decoder->argmax_only() ? std::optional(ctx.argmax()[0]) : std::nullopt;
    SequenceDecoder::Step step = decoder->step(*logits, ctx.capacity(0) - ctx.n_past(), chosen);
    if (!step.text.empty()) {
      r.text += step.text;
      if (options.on_text && !options.on_text(step.text)) decoder->cancel();
    }
    if (!step.next || decoder->finished()) break;
    const SequenceTokens next{0, std::span<const int32_t>(&*step.next, 1), false, true};
    logits = ctx.eval(std::span<const SequenceTokens>(&next, 1));
    if (!logits) return std::move(logits).error();
    ++n_decoded;
  }
  r.decode_tokens_per_s = per_second(n_decoded, Clock::now() - t1);
  r.tokens = decoder->tokens();
  r.finish_reason = decoder->finish_reason();
  r.stopped_at_eog = r.finish_reason == FinishReason::EndOfGeneration;
  return r;
}

}  // namespace hearth::localnode
