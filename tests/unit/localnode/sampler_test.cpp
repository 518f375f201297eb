// The Sampler on small logit vectors: each filter's effect on the distribution, the
// penalties and the bias, greedy ties, seeded reproducibility, the empirical distribution
// of draws, and option validation.

#include "hearth/localnode/sampler.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace hearth::localnode {
namespace {

// Logits whose softmax is exactly `p` (up to rounding).
std::vector<float> logits_for(const std::vector<double>& p) {
  std::vector<float> l;
  for (double x : p) l.push_back(static_cast<float>(std::log(x)));
  return l;
}

Sampler make(SamplerOptions o, size_t n_vocab = 4) {
  auto s = Sampler::create(std::move(o), n_vocab);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(s).value();
}

// id -> probability, for comparing distributions.
std::map<int32_t, double> as_map(const std::vector<TokenProb>& d) {
  std::map<int32_t, double> m;
  for (const auto& x : d) m[x.id] = x.p;
  return m;
}

void expect_distribution(const std::vector<TokenProb>& got, const std::map<int32_t, double>& want) {
  const auto g = as_map(got);
  ASSERT_EQ(g.size(), want.size());
  for (const auto& [id, p] : want) {
    ASSERT_TRUE(g.count(id)) << "token " << id << " missing";
    EXPECT_NEAR(g.at(id), p, 1e-5) << "token " << id;
  }
}

const std::vector<double> kP = {0.5, 0.3, 0.15, 0.05};

TEST(Sampler, GreedyPicksTheHighestLogitLowestIdOnTies) {
  Sampler s = make({});
  EXPECT_EQ(s.sample(std::vector<float>{1, 3, 3, 2}), 1);
  EXPECT_EQ(s.sample(std::vector<float>{NAN, -1, 0.5f, 0.5f}), 2);
  const auto d = s.distribution(std::vector<float>{1, 3, 3, 2});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, 1);
  EXPECT_EQ(d[0].p, 1.0f);
}

TEST(Sampler, TemperatureScalesTheDistribution) {
  expect_distribution(make({.temperature = 1.0f}).distribution(logits_for(kP)),
                      {{0, 0.5}, {1, 0.3}, {2, 0.15}, {3, 0.05}});
  // T = 2: p ~ sqrt(p).
  double z = 0;
  for (double p : kP) z += std::sqrt(p);
  expect_distribution(make({.temperature = 2.0f}).distribution(logits_for(kP)),
                      {{0, std::sqrt(0.5) / z},
                       {1, std::sqrt(0.3) / z},
                       {2, std::sqrt(0.15) / z},
                       {3, std::sqrt(0.05) / z}});
  // The distribution is sorted, most likely first.
  const auto d = make({.temperature = 1.0f}).distribution(logits_for(kP));
  EXPECT_EQ(d.front().id, 0);
  EXPECT_EQ(d.back().id, 3);
}

TEST(Sampler, TopKKeepsTheKMostLikely) {
  expect_distribution(make({.temperature = 1.0f, .top_k = 2}).distribution(logits_for(kP)),
                      {{0, 0.5 / 0.8}, {1, 0.3 / 0.8}});
  expect_distribution(make({.temperature = 1.0f, .top_k = 1}).distribution(logits_for(kP)),
                      {{0, 1.0}});
  EXPECT_EQ(make({.temperature = 1.0f, .top_k = 10}).distribution(logits_for(kP)).size(), 4u);
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingTheMass) {
  // 0.5 < 0.7 <= 0.5 + 0.3
  expect_distribution(make({.temperature = 1.0f, .top_p = 0.7f}).distribution(logits_for(kP)),
                      {{0, 0.5 / 0.8}, {1, 0.3 / 0.8}});
  expect_distribution(make({.temperature = 1.0f, .top_p = 0.9f}).distribution(logits_for(kP)),
                      {{0, 0.5 / 0.95}, {1, 0.3 / 0.95}, {2, 0.15 / 0.95}});
  expect_distribution(make({.temperature = 1.0f, .top_p = 0.0f}).distribution(logits_for(kP)),
                      {{0, 1.0}});
  // After top-k, top-p measures the mass of the renormalised top-k distribution.
  expect_distribution(
      make({.temperature = 1.0f, .top_k = 2, .top_p = 0.6f}).distribution(logits_for(kP)),
      {{0, 1.0}});
}

TEST(Sampler, TopPOverALargeVocabularySortsOnlyWhatItNeeds) {
  // 5000 equally likely tokens: top-p 0.9 keeps exactly 4500 of them, the lowest ids.
  const std::vector<float> flat(5000, 0.0f);
  const auto d = make({.temperature = 1.0f, .top_p = 0.9f}, flat.size()).distribution(flat);
  ASSERT_EQ(d.size(), 4500u);
  for (const auto& x : d) EXPECT_LT(x.id, 4500);
}

TEST(Sampler, MinPDropsTokensFarBelowTheBest) {
  // Threshold 0.4 x 0.5 = 0.2: keeps 0.5 and 0.3.
  expect_distribution(make({.temperature = 1.0f, .min_p = 0.4f}).distribution(logits_for(kP)),
                      {{0, 0.5 / 0.8}, {1, 0.3 / 0.8}});
  // Threshold 0.1: keeps 0.15 too.
  expect_distribution(make({.temperature = 1.0f, .min_p = 0.2f}).distribution(logits_for(kP)),
                      {{0, 0.5 / 0.95}, {1, 0.3 / 0.95}, {2, 0.15 / 0.95}});
  // With top-p the smaller of the two sets wins.
  expect_distribution(
      make({.temperature = 1.0f, .top_p = 0.6f, .min_p = 0.2f}).distribution(logits_for(kP)),
      {{0, 0.5 / 0.8}, {1, 0.3 / 0.8}});
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits) {
  Sampler s = make({.repeat_penalty = 2.0f});
  // Seen tokens 0 and 1: 3 -> 1.5 and 2.5 -> 1.25, both below token 2's 2.0.
  s.accept(0);
  s.accept(1);
  EXPECT_EQ(s.sample(std::vector<float>{3.0f, 2.5f, 2.0f, -1.0f}), 2);
  Sampler n = make({.repeat_penalty = 2.0f});
  n.accept(3);
  // Token 3's -1 becomes -2, below token 2's -1.5.
  EXPECT_EQ(n.sample(std::vector<float>{-3.0f, -3.0f, -1.5f, -1.0f}), 2);
}

TEST(Sampler, FrequencyAndPresencePenalties) {
  // Frequency: 0.4 per occurrence; token 0 seen 3 times loses 1.2 and falls behind token 1.
  Sampler f = make({.frequency_penalty = 0.4f});
  for (int i = 0; i < 3; ++i) f.accept(0);
  EXPECT_EQ(f.sample(std::vector<float>{2.0f, 1.0f, 0.0f, 0.0f}), 1);
  Sampler f2 = make({.frequency_penalty = 0.4f});
  f2.accept(0);
  f2.accept(0);
  EXPECT_EQ(f2.sample(std::vector<float>{2.0f, 1.0f, 0.0f, 0.0f}), 0);  // loses 0.8 only
  // Presence: once, however often.
  Sampler p = make({.presence_penalty = 0.9f});
  for (int i = 0; i < 5; ++i) p.accept(0);
  EXPECT_EQ(p.sample(std::vector<float>{2.0f, 1.0f, 0.0f, 0.0f}), 0);
  Sampler p2 = make({.presence_penalty = 1.1f});
  p2.accept(0);
  EXPECT_EQ(p2.sample(std::vector<float>{2.0f, 1.0f, 0.0f, 0.0f}), 1);
  // The distribution shows the penalised logits.
  Sampler d = make({.temperature = 1.0f, .presence_penalty = static_cast<float>(std::log(2.0))});
  d.accept(0);
  expect_distribution(d.distribution(logits_for({0.4, 0.2, 0.2, 0.2})),
                      {{0, 0.25}, {1, 0.25}, {2, 0.25}, {3, 0.25}});
}

TEST(Sampler, PenaltiesLookOnlyAtTheLastNTokens) {
  Sampler s = make({.repeat_penalty = 100.0f, .penalty_last_n = 2});
  s.accept(0);  // falls out of the window
  s.accept(1);
  s.accept(2);
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 1.5f, 1.5f, 0.5f}), 0);
  // 0 turns the penalties off; -1 keeps everything.
  Sampler off = make({.repeat_penalty = 100.0f, .penalty_last_n = 0});
  off.accept(1);
  EXPECT_EQ(off.sample(std::vector<float>{1.0f, 1.5f, 0.0f, 0.0f}), 1);
  Sampler all = make({.repeat_penalty = 100.0f, .penalty_last_n = -1});
  all.accept(1);
  for (int i = 0; i < 500; ++i) all.accept(3);
  EXPECT_EQ(all.sample(std::vector<float>{1.0f, 1.5f, 0.0f, 0.0f}), 0);
  // reset() forgets the history.
  all.reset();
  EXPECT_EQ(all.sample(std::vector<float>{1.0f, 1.5f, 0.0f, 0.0f}), 1);
}

TEST(Sampler, LogitBiasPromotesAndBans) {
  EXPECT_EQ(make({.logit_bias = {{3, 10.0f}}}).sample(std::vector<float>{3, 2, 1, 0}), 3);
  EXPECT_EQ(make({.logit_bias = {{0, -INFINITY}}}).sample(std::vector<float>{3, 2, 1, 0}), 1);
  // A banned token is never drawn.
  Sampler s = make({.temperature = 1.5f, .logit_bias = {{0, -INFINITY}}, .seed = 3});
  for (int i = 0; i < 200; ++i) EXPECT_NE(s.sample(logits_for(kP)), 0);
  expect_distribution(
      make({.temperature = 1.0f, .logit_bias = {{0, -INFINITY}}}).distribution(logits_for(kP)),
      {{1, 0.6}, {2, 0.3}, {3, 0.1}});
  // Every token banned: no crash, the lowest id.
  Sampler all =
      make({.temperature = 1.0f,
            .logit_bias = {{0, -INFINITY}, {1, -INFINITY}, {2, -INFINITY}, {3, -INFINITY}}});
  EXPECT_EQ(all.sample(logits_for(kP)), 0);
}

TEST(Sampler, TheSameSeedGivesTheSameTokens) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i)
    logits[i] = static_cast<float>(std::sin(static_cast<double>(i)));
  auto draws = [&](uint64_t seed) {
    Sampler s =
        make({.temperature = 1.0f, .top_k = 500, .top_p = 0.95f, .min_p = 0.01f, .seed = seed},
             logits.size());
    std::vector<int32_t> out;
    for (int i = 0; i < 100; ++i) out.push_back(s.sample(logits));
    return out;
  };
  EXPECT_EQ(draws(7), draws(7));
  EXPECT_NE(draws(7), draws(8));
  // reset() restarts the sequence.
  Sampler s = make({.temperature = 1.0f, .seed = 11}, logits.size());
  std::vector<int32_t> a, b;
  for (int i = 0; i < 50; ++i) a.push_back(s.sample(logits));
  s.reset();
  for (int i = 0; i < 50; ++i) b.push_back(s.sample(logits));
  EXPECT_EQ(a, b);
}

TEST(Sampler, DrawsFollowTheDistribution) {
  Sampler s = make({.temperature = 1.0f, .seed = 42});
  std::vector<int> count(4, 0);
  const int n = 20000;
  const auto logits = logits_for(kP);
  for (int i = 0; i < n; ++i) ++count[static_cast<size_t>(s.sample(logits))];
  for (size_t i = 0; i < 4; ++i)
    EXPECT_NEAR(count[i] / static_cast<double>(n), kP[i], 0.015) << "token " << i;
  // With top-k 2 the other tokens never appear.
  Sampler k = make({.temperature = 1.0f, .top_k = 2, .seed = 42});
  for (int i = 0; i < 1000; ++i) EXPECT_LT(k.sample(logits), 2);
}

TEST(Sampler, RejectsBadOptions) {
  auto error = [](SamplerOptions o) {
    auto s = Sampler::create(std::move(o), 4);
    return s.ok() ? std::string("ok") : s.error().message;
  };
  EXPECT_EQ(error({}), "ok");
  EXPECT_NE(error({.temperature = -1.0f}).find("temperature"), std::string::npos);
  EXPECT_NE(error({.temperature = NAN}).find("temperature"), std::string::npos);
  EXPECT_NE(error({.top_k = -1}).find("top_k"), std::string::npos);
  EXPECT_NE(error({.top_p = 1.5f}).find("top_p"), std::string::npos);
  EXPECT_NE(error({.min_p = -0.1f}).find("min_p"), std::string::npos);
  EXPECT_NE(error({.repeat_penalty = 0.0f}).find("repeat_penalty"), std::string::npos);
  EXPECT_NE(error({.frequency_penalty = INFINITY}).find("frequency_penalty"), std::string::npos);
  EXPECT_NE(error({.penalty_last_n = -2}).find("penalty_last_n"), std::string::npos);
  EXPECT_NE(error({.logit_bias = {{4, 1.0f}}}).find("outside the vocabulary"), std::string::npos);
  EXPECT_NE(error({.logit_bias = {{1, NAN}}}).find("logit bias"), std::string::npos);
}

}  // namespace
}  // namespace hearth::localnode
