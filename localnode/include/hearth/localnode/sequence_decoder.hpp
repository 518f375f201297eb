#pragma once
// The decoding side of one generation: turns the logits after each step into the next token
// and the text it completes — sampling, end-of-generation tokens, stop sequences that may span
// tokens, max_tokens and a full context — releasing text in whole UTF-8 characters and never
// any part of a stop sequence. `generate()` and the server's scheduler both decode through it,
// so that they give the same tokens. One per generation; not thread-safe.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hearth/core/result.hpp"
#include "hearth/localnode/detokenizer.hpp"
#include "hearth/localnode/sampler.hpp"
#include "hearth/localnode/stop_matcher.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode {

enum class FinishReason {
  Length,           // max_tokens reached
  EndOfGeneration,  // the model produced an end-of-generation token
  Stop,             // a stop sequence
  ContextFull,      // no room left in the context
  Cancelled,        // the caller stopped it
};
std::string_view to_string(FinishReason reason);

struct DecodeLimits {
  int max_tokens = 128;
  std::vector<std::string> stop;  // generation ends before the first one
};

class SequenceDecoder {
 public:
  // Checks the sampling options against the model's n_vocab (errors name the bad one); the
  // prompt's tokens count as seen for the penalties.
  [[nodiscard]] static Result<SequenceDecoder> create(const Tokenizer& tokenizer, size_t n_vocab,
                                                      const SamplerOptions& sampling,
                                                      DecodeLimits limits,
                                                      std::span<const int32_t> prompt);

  struct Step {
    std::string text;              // final text this step released (may be empty)
    std::optional<int32_t> next;   // the token to evaluate next; empty once finished
  };
  // Picks the token after `logits` (n_vocab values); `room` is how many more positions the
  // sequence's context holds after the tokens evaluated so far. `argmax`, the logits' argmax
  // computed elsewhere (a device's), is taken instead of sampling when argmax_only().
  Step step(std::span<const float> logits, uint32_t room, std::optional<int32_t> argmax = std::nullopt);
  // Whether sampling is the plain argmax of the logits (see Sampler::argmax_only).
  bool argmax_only() const { return sampler_.argmax_only(); }

  // Ends the generation at once (the caller stopped it), releasing nothing more.
  void cancel() { finish_ = FinishReason::Cancelled; }

  bool finished() const { return finish_.has_value(); }
  FinishReason finish_reason() const { return finish_.value_or(FinishReason::Length); }
  // Generated tokens, without an end-of-generation token; the one that completed a stop
  // sequence is kept.
  const std::vector<int32_t>& tokens() const { return tokens_; }

 private:
  SequenceDecoder(const Tokenizer& tokenizer, Sampler sampler, DecodeLimits limits);
  // Ends the generation; unless a stop sequence ended it, releases the held-back text.
  void finish(FinishReason reason, std::string& text);

  const Tokenizer* tokenizer_;
  Sampler sampler_;
  DecodeLimits limits_;
  Detokenizer detokenizer_;
  StopMatcher stops_;
  std::vector<int32_t> tokens_;
  std::optional<FinishReason> finish_;
};

}  // namespace hearth::localnode
