#pragma once
// One generation with the embedded engine: prefill the prompt as a batch, then decode token
// by token with the Sampler, streaming complete UTF-8 text through the stop sequences, and
// timing both phases. Used by `hearth generate` and the golden tests.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hearth/core/result.hpp"
#include "hearth/localnode/context.hpp"
#include "hearth/localnode/sampler.hpp"
#include "hearth/localnode/sequence_decoder.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode {

// The sampling fields (temperature, top_k, ..., seed) come from SamplerOptions.
struct GenerateOptions : SamplerOptions {
  int max_tokens = 128;
  std::vector<std::string> stop;  // stop sequences: generation ends before the first one
  size_t n_top_logits = 10;       // how many of the highest raw logits after the prompt to keep
  // Called with each chunk of text as it becomes final (never inside a UTF-8 character,
  // never part of a stop sequence); return false to stop generating.
  std::function<bool(std::string_view)> on_text;
};

struct TopLogit {
  int32_t id = 0;
  float logit = 0.0f;
};

struct GenerateResult {
  std::vector<int32_t> prompt_tokens;
  // Generated, without the prompt; an end-of-generation token ends it and is left out; the
  // token that completed a stop sequence is kept.
  std::vector<int32_t> tokens;
  std::string text;                  // the generated text, up to (not including) a stop sequence
  std::vector<TopLogit> top_logits;  // after the prompt, highest first
  FinishReason finish_reason = FinishReason::Length;
  bool stopped_at_eog = false;
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;
};

// Feeds `prompt_tokens` to a fresh context state (ctx is reset) and samples up to
// max_tokens more. `tokenizer` supplies the end-of-generation ids and the text. Errors: bad
// options (named), an empty or too long prompt, or an engine error.
[[nodiscard]] Result<GenerateResult> generate(InferenceContext& ctx, const Tokenizer& tokenizer,
                                              std::vector<int32_t> prompt_tokens,
                                              const GenerateOptions& options);

// Feeds `prompt` to sequence `seq` as prompt tokens, in batches of at most max_batch(), and
// returns the logits after its last token.
[[nodiscard]] Result<std::span<const float>> prefill(InferenceContext& ctx, uint32_t seq,
                                                     std::span<const int32_t> prompt);

// The k highest logits, highest first (ties: lower id first).
std::vector<TopLogit> top_k_logits(std::span<const float> logits, size_t k);

}  // namespace hearth::localnode
