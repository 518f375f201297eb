#include "hearth/localnode/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace hearth::localnode {
namespace {

Error option_error(const std::string& what) {
  return make_error(ErrorCode::InvalidRequest, what);
}

struct Candidate {
  int32_t id;
  double logit;  // scaled by 1 / temperature; later the unnormalised probability
};

// Most likely first, then the lowest id: a strict total order, so every selection below is
// deterministic.
bool more_likely(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// A double in [0, 1) from 53 random bits (the same on every standard library).
double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

Result<Sampler> Sampler::create(SamplerOptions o, size_t n_vocab) {
  if (n_vocab == 0) return option_error("the vocabulary is empty");
  if (!std::isfinite(o.temperature) || o.temperature < 0)
    return option_error("temperature must be >= 0");
  if (o.top_k < 0) return option_error("top_k must be >= 0");
  if (!(o.top_p >= 0 && o.top_p <= 1)) return option_error("top_p must be between 0 and 1");
  if (!(o.min_p >= 0 && o.min_p <= 1)) return option_error("min_p must be between 0 and 1");
  if (!std::isfinite(o.repeat_penalty) || o.repeat_penalty <= 0)
    return option_error("repeat_penalty must be > 0");
  if (!std::isfinite(o.frequency_penalty))
    return option_error("frequency_penalty must be a number");
  if (!std::isfinite(o.presence_penalty)) return option_error("presence_penalty must be a number");
  if (o.penalty_last_n < -1) return option_error("penalty_last_n must be >= -1 (-1: all tokens)");
  for (const auto& [id, bias] : o.logit_bias) {
    if (id < 0 || static_cast<size_t>(id) >= n_vocab) {
      return option_error("logit bias for token " + std::to_string(id) +
                          ": outside the vocabulary of " + std::to_string(n_vocab));
    }
    if (std::isnan(bias) || bias == INFINITY) {
      return option_error("logit bias for token " + std::to_string(id) +
                          " must be a number or -inf");
    }
  }
  return Sampler(std::move(o));
}

Sampler::Sampler(SamplerOptions options) : options_(std::move(options)), rng_(options_.seed) {}

void Sampler::reset() {
  history_.clear();
  rng_.seed(options_.seed);
}

void Sampler::accept(int32_t id) {
  if (options_.penalty_last_n == 0) return;
  history_.push_back(id);
  if (options_.penalty_last_n > 0 &&
      history_.size() > static_cast<size_t>(options_.penalty_last_n)) {
    history_.pop_front();
  }
}

std::vector<float> Sampler::adjusted(std::span<const float> logits) const {
  const bool penalise =
      !history_.empty() && (options_.repeat_penalty != 1.0f || options_.frequency_penalty != 0.0f ||
                            options_.presence_penalty != 0.0f);
  if (options_.logit_bias.empty() && !penalise) return {};
  std::vector<float> out(logits.begin(), logits.end());
  for (const auto& [id, bias] : options_.logit_bias) {
    if (static_cast<size_t>(id) < out.size()) out[static_cast<size_t>(id)] += bias;
  }
  if (!penalise) return out;

  // Count each seen token once per occurrence in the window.
  std::vector<int32_t> seen(history_.begin(), history_.end());
  std::sort(seen.begin(), seen.end());
  for (size_t i = 0; i < seen.size();) {
    size_t j = i;
    while (j < seen.size() && seen[j] == seen[i]) ++j;
    const auto id = static_cast<size_t>(seen[i]);
    if (id < out.size()) {
      float& l = out[id];
      l = l > 0 ? l / options_.repeat_penalty : l * options_.repeat_penalty;
      l -= static_cast<float>(j - i) * options_.frequency_penalty + options_.presence_penalty;
    }
    i = j;
  }
  return out;
}

std::vector<TokenProb> Sampler::candidates(std::span<const float> logits) const {
  // Temperature; banned (-inf) and NaN logits are never candidates.
  std::vector<Candidate> c;
  c.reserve(logits.size());
  const double inv_t = 1.0 / static_cast<double>(options_.temperature);
  double max = -INFINITY;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isnan(logits[i]) || logits[i] == -INFINITY) continue;
    const double l = static_cast<double>(logits[i]) * inv_t;
    c.push_back({static_cast<int32_t>(i), l});
    max = std::max(max, l);
  }
  if (c.empty()) return {};
  if (max == INFINITY) {  // +inf outweighs everything: those tokens alone, equally likely
    std::erase_if(c, [](const Candidate& x) { return x.logit != INFINITY; });
    for (auto& x : c) x.logit = 0;
    max = 0;
  }

  // Top-k.
  const auto k = static_cast<size_t>(options_.top_k);
  if (k > 0 && k < c.size()) {
    std::nth_element(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(k - 1), c.end(),
                     more_likely);
    c.resize(k);
  }

  // Softmax (unnormalised: the most likely has weight 1).
  double sum = 0;
  for (auto& x : c) {
    x.logit = std::exp(x.logit - max);
    sum += x.logit;
  }

  // Min-p: weights are relative to the most likely token already. Top-p keeps the most
  // likely tokens whose mass (of the top-k distribution) reaches p; both keep a most-likely
  // prefix, so applying min-p first and then cutting that prefix is the same as top-p then
  // min-p, and sorts fewer tokens.
  if (options_.min_p > 0) {
    const double threshold = static_cast<double>(options_.min_p);
    std::erase_if(c, [&](const Candidate& x) { return x.logit < threshold; });
  }
  if (options_.top_p < 1.0f) {
    const double target = static_cast<double>(options_.top_p) * sum;
    // Sort a growing prefix until it holds the mass.
    for (size_t m = std::min<size_t>(c.size(), 64);; m = std::min(c.size(), m * 8)) {
      std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(m), c.end(),
                        more_likely);
      double mass = 0;
      size_t keep = 0;
      while (keep < m && mass < target) mass += c[keep++].logit;
      if (mass >= target || m == c.size()) {
        c.resize(std::max<size_t>(keep, 1));
        break;
      }
    }
  }

  std::vector<TokenProb> out;
  out.reserve(c.size());
  for (const auto& x : c) out.push_back({x.id, static_cast<float>(x.logit)});
  return out;
}

int32_t argmax(std::span<const float> logits) {
  size_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[best] || (std::isnan(logits[best]) && !std::isnan(logits[i]))) best = i;
  }
  return static_cast<int32_t>(best);
}

bool Sampler::argmax_only() const {
  return options_.temperature == 0.0f && options_.logit_bias.empty() &&
         options_.repeat_penalty == 1.0f && options_.frequency_penalty == 0.0f &&
         options_.presence_penalty == 0.0f;
}

int32_t Sampler::sample(std::span<const float> logits) {
  const std::vector<float> adj = adjusted(logits);
  const std::span<const float> l = adj.empty() ? logits : std::span<const float>(adj);
  if (options_.temperature == 0.0f) return argmax(l);
  const std::vector<TokenProb> c = candidates(l);
  if (c.empty()) return argmax(l);
  double total = 0;
  for (const auto& x : c) total += static_cast<double>(x.p);
  double u = uniform01(rng_) * total;
  for (const auto& x : c) {
    u -= static_cast<double>(x.p);
    if (u < 0) return x.id;
  }
  return c.back().id;
}

std::vector<TokenProb> Sampler::distribution(std::span<const float> logits) const {
  const std::vector<float> adj = adjusted(logits);
  const std::span<const float> l = adj.empty() ? logits : std::span<const float>(adj);
  std::vector<TokenProb> c;
  if (options_.temperature > 0.0f) c = candidates(l);
  if (c.empty()) return {{argmax(l), 1.0f}};
  double total = 0;
  for (const auto& x : c) total += static_cast<double>(x.p);
  for (auto& x : c) x.p = static_cast<float>(static_cast<double>(x.p) / total);
  std::sort(c.begin(), c.end(), [](const TokenProb& a, const TokenProb& b) {
    return a.p > b.p || (a.p == b.p && a.id < b.id);
  });
  return c;
}

}  // namespace hearth::localnode
