// Several sequences in one batch give each exactly the logits it gets alone: prompt chunks
// of different lengths mixed with generated tokens of other sequences, in any order, on
// every kernel level the CPU has and with both mat-vec precisions.

#include <gtest/gtest.h>

#include <vector>

#include "hearth/localnode/context.hpp"
#include "hearth/localnode/generate.hpp"
#include "hearth/localnode/model.hpp"
#include "tiny_model_load.hpp"

namespace hearth::localnode {
namespace {

using testing::TinyConfig;
using testing::TinyWeights;

const std::vector<std::vector<int32_t>> kPrompts = {
    {1, 5, 17, 3, 42, 8, 8, 30, 11, 2, 40, 7, 9},
    {1, 22},
    {1, 33, 12, 19, 4, 4, 4, 21, 16, 39, 27, 14, 6, 2, 2, 35, 44, 10, 3, 1},
};

// Prompt, then `n_gen` tokens of argmax decoding, alone: the logits after each step.
std::vector<std::vector<float>> alone(const Model& model, const ContextOptions& o,
                                      const std::vector<int32_t>& prompt, int n_gen) {
  auto ctx = InferenceContext::create(model, o);
  EXPECT_TRUE(ctx.ok());
  std::vector<std::vector<float>> out;
  auto logits = prefill(**ctx, 0, prompt);
  EXPECT_TRUE(logits.ok());
  out.emplace_back(logits->begin(), logits->end());
  for (int i = 0; i < n_gen; ++i) {
    const int32_t next = argmax(out.back());
    const SequenceTokens step{0, {&next, 1}, false, true};
    auto l = (*ctx)->eval(std::span<const SequenceTokens>(&step, 1));
    EXPECT_TRUE(l.ok());
    out.emplace_back(l->begin(), l->end());
  }
  return out;
}

// The same three sequences interleaved: prompts fed in chunks of `chunk` tokens, while the
// sequences whose prompt is done decode a token per step.
std::vector<std::vector<std::vector<float>>> batched(const Model& model, ContextOptions o,
                                                     size_t chunk, int n_gen) {
  o.n_seq = static_cast<uint32_t>(kPrompts.size());
  auto ctx = InferenceContext::create(model, o);
  EXPECT_TRUE(ctx.ok());
  const size_t n = kPrompts.size();
  std::vector<std::vector<std::vector<float>>> out(n);
  std::vector<size_t> fed(n, 0);
  std::vector<int32_t> next(n, 0);
  for (uint32_t s = 0; s < n; ++s) EXPECT_TRUE((*ctx)->reserve(s, o.n_ctx).ok());
  for (bool busy = true; busy;) {
    busy = false;
    std::vector<SequenceTokens> batch;
    std::vector<size_t> owner;
    // Reverse order, so that the rows of a sequence sit elsewhere than when alone.
    for (size_t s = n; s-- > 0;) {
      const auto& p = kPrompts[s];
      if (fed[s] < p.size()) {
        const size_t m = std::min(chunk, p.size() - fed[s]);
        batch.push_back({static_cast<uint32_t>(s), {p.data() + fed[s], m}, true, fed[s] + m == p.size()});
        fed[s] += m;
      } else if (out[s].size() <= static_cast<size_t>(n_gen)) {
        next[s] = argmax(out[s].back());
        batch.push_back({static_cast<uint32_t>(s), {&next[s], 1}, false, true});
      } else {
        continue;
      }
      busy = true;
    }
    if (batch.empty()) break;
    auto logits = (*ctx)->eval(batch);
    EXPECT_TRUE(logits.ok()) << logits.error().message;
    if (!logits.ok()) break;
    const size_t n_vocab = model.config().n_vocab;
    size_t row = 0;
    for (const SequenceTokens& part : batch) {
      if (!part.logits) continue;
      auto l = logits->subspan(row++ * n_vocab, n_vocab);
      out[part.seq].emplace_back(l.begin(), l.end());
    }
  }
  return out;
}

TEST(MultiSequenceBatch, EachSequenceGetsItsLogitsAlone) {
  for (TensorType type : {TensorType::F32, TensorType::Q8_0}) {
    TinyConfig c;
    c.matrix_type = type;
    TinyWeights w;
    auto model = testing::load_tiny(c, w);
    ASSERT_NE(model, nullptr);
    for (MatmulPrecision precision : {MatmulPrecision::Int8, MatmulPrecision::Float}) {
      for (int threads : {1, 3}) {
        ContextOptions o{.n_ctx = 48, .n_threads = threads, .precision = precision,
                         .threaded_min_work = 0};
        for (size_t chunk : {size_t{3}, size_t{8}, size_t{64}}) {
          const auto together = batched(*model, o, chunk, 6);
          for (size_t s = 0; s < kPrompts.size(); ++s) {
            const auto want = alone(*model, o, kPrompts[s], 6);
            ASSERT_EQ(together[s].size(), want.size());
            for (size_t i = 0; i < want.size(); ++i) {
              // Bit for bit: the batch changes nothing a sequence computes.
              EXPECT_EQ(together[s][i], want[i])
                  << type_traits(type).name << " threads " << threads << " chunk " << chunk
                  << " seq " << s << " step " << i;
            }
          }
        }
      }
    }
  }
}

TEST(MultiSequenceBatch, RejectsBadBatches) {
  TinyConfig c;
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  auto ctx = InferenceContext::create(*model, {.n_ctx = 8, .n_seq = 2});
  ASSERT_TRUE(ctx.ok());
  const std::vector<int32_t> two = {1, 2};
  // No KV cache reserved yet.
  const SequenceTokens first{0, two, true, true};
  auto none = (*ctx)->eval(std::span<const SequenceTokens>(&first, 1));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::ContextLengthExceeded);
  ASSERT_TRUE((*ctx)->reserve(0, 4).ok());
  EXPECT_EQ((*ctx)->capacity(0), 4u);
  EXPECT_FALSE((*ctx)->reserve(0, 9).ok());  // beyond n_ctx
  EXPECT_FALSE((*ctx)->reserve(2, 4).ok());  // no such sequence
  // The same sequence twice, and one out of range.
  const std::vector<SequenceTokens> twice = {{0, two, true, true}, {0, two, true, true}};
  EXPECT_FALSE((*ctx)->eval(twice).ok());
  const SequenceTokens far{5, two, true, true};
  EXPECT_FALSE((*ctx)->eval(std::span<const SequenceTokens>(&far, 1)).ok());
  // Room: 4 positions take 2 + 2, not a fifth.
  EXPECT_TRUE((*ctx)->eval(std::span<const SequenceTokens>(&first, 1)).ok());
  EXPECT_TRUE((*ctx)->eval(std::span<const SequenceTokens>(&first, 1)).ok());
  const std::vector<int32_t> one = {3};
  const SequenceTokens over{0, one, false, true};
  auto full = (*ctx)->eval(std::span<const SequenceTokens>(&over, 1));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ErrorCode::ContextLengthExceeded);
  EXPECT_EQ((*ctx)->n_past(0), 4u);
  // Freeing gives the memory back.
  ASSERT_TRUE((*ctx)->reserve(0, 0).ok());
  EXPECT_EQ((*ctx)->kv_cache_bytes(), 0u);
}

}  // namespace
}  // namespace hearth::localnode
