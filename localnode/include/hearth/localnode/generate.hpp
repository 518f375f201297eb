#pragma once
// One generation with the embedded engine: prefill the prompt as a batch, then decode token
// by token with greedy or temperature sampling, timing both phases. Used by
// `hearth generate` and the golden tests.

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hearth/core/result.hpp"
#include "hearth/localnode/context.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode {

struct GenerateOptions {
  int max_tokens = 128;
  float temperature = 0.0f;  // 0: greedy (argmax, ties to the lowest id)
  uint64_t seed = 0;
  size_t n_top_logits = 10;  // how many of the highest raw logits after the prompt to keep
};

struct TopLogit {
  int32_t id = 0;
  float logit = 0.0f;
};

struct GenerateResult {
  std::vector<int32_t> prompt_tokens;
  std::vector<int32_t> tokens;   // generated, without the prompt; an end-of-generation token ends it and is left out
  std::string text;              // the generated tokens' pieces
  std::vector<TopLogit> top_logits;  // after the prompt, highest first
  bool stopped_at_eog = false;
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;
};

// Feeds `prompt_tokens` to a fresh context state (ctx is reset) and samples up to
// max_tokens more. `tokenizer` supplies the end-of-generation ids and the text.
[[nodiscard]] Result<GenerateResult> generate(InferenceContext& ctx, const Tokenizer& tokenizer,
                                              std::vector<int32_t> prompt_tokens, const GenerateOptions& options);

// The k highest logits, highest first (ties: lower id first).
std::vector<TopLogit> top_k_logits(std::span<const float> logits, size_t k);

// Greedy pick: the highest logit, the lowest id among equals.
int32_t argmax(std::span<const float> logits);

}  // namespace hearth::localnode
