#pragma once
// Picks the next token from a vector of logits: logit bias and repetition / frequency /
// presence penalties over the last tokens, then greedy (temperature 0) or a seeded draw
// after temperature, top-k, top-p and min-p. Pure apart from its own history and random
// state: one Sampler per generation, not thread-safe.

#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "hearth/core/result.hpp"

namespace hearth::localnode {

struct SamplerOptions {
  float temperature = 0.0f;  // 0: greedy (the highest logit, ties to the lowest id)
  int top_k = 0;             // keep the k most likely tokens; 0: all
  float top_p = 1.0f;        // keep the most likely tokens whose mass reaches p; 1: all
  float min_p = 0.0f;        // drop tokens less likely than min_p x the most likely; 0: none
  float repeat_penalty =
      1.0f;  // divide positive logits (multiply negative ones) of seen tokens; 1: off
  float frequency_penalty = 0.0f;  // subtract this x the times a token was seen
  float presence_penalty = 0.0f;   // subtract this once from every seen token
  int penalty_last_n = 64;  // how many of the last tokens count as seen; -1: all; 0: penalties off
  std::vector<std::pair<int32_t, float>> logit_bias =
      {};             // added to a token's logit (-inf bans it)
  uint64_t seed = 0;  // same seed, same logits: same tokens
};

// A candidate token and its probability.
struct TokenProb {
  int32_t id = 0;
  float p = 0.0f;
};

// Greedy pick: the highest logit, the lowest id among equals; NaN never wins.
int32_t argmax(std::span<const float> logits);

class Sampler {
 public:
  // Checks the options against the vocabulary size: errors name the bad option.
  [[nodiscard]] static Result<Sampler> create(SamplerOptions options, size_t n_vocab);

  // Picks a token from `logits` (n_vocab values). Call accept() with the token that is
  // actually used next, so that the penalties see it.
  int32_t sample(std::span<const float> logits);
  // Whether sample() is the plain argmax of the logits (greedy, no bias, no penalties), so a
  // device's argmax may stand in for it.
  bool argmax_only() const;
  // Adds a token to the history the penalties look at (prompt tokens included).
  void accept(int32_t id);
  // The candidates sample() draws from and their probabilities (summing to 1), most likely
  // first (ties: lowest id); greedy: the one token it picks, with probability 1.
  std::vector<TokenProb> distribution(std::span<const float> logits) const;
  // Forgets the history and restarts the random sequence from the seed.
  void reset();

  const SamplerOptions& options() const { return options_; }

 private:
  explicit Sampler(SamplerOptions options);
  // The logits after bias and penalties, or empty when neither changes anything.
  std::vector<float> adjusted(std::span<const float> logits) const;
  // The candidates after temperature and the filters, in no particular order; their p are
  // relative weights. Empty when every token is banned.
  std::vector<TokenProb> candidates(std::span<const float> logits) const;

  SamplerOptions options_;
  std::deque<int32_t> history_;  // at most penalty_last_n, unless -1
  std::mt19937_64 rng_;
};

}  // namespace hearth::localnode
