// generate() on a tiny random model: stop sequences that span tokens end the text before
// them, the streamed chunks add up to the text, on_text can cancel, and sampling with a
// seed is reproducible. EOS and the other control tokens are banned with a logit bias so
// that every run generates its full length.

#include <gtest/gtest.h>

#include "hearth/localnode/generate.hpp"
#include "hearth/localnode/model.hpp"
#include "tiny_model.hpp"

namespace hearth::localnode {
namespace {

struct Fixture {
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<InferenceContext> ctx;
};

Fixture make() {
  testing::TinyConfig c;
  c.with_vocab = true;
  testing::TinyWeights w;
  auto file = GgufFile::parse(testing::make_tiny_model(c, w));
  EXPECT_TRUE(file.ok());
  Fixture f;
  auto tok = Tokenizer::from_gguf(*file);
  EXPECT_TRUE(tok.ok()) << tok.error().message;
  f.tokenizer = std::make_unique<Tokenizer>(std::move(tok).value());
  auto model = Model::load(std::move(file).value());
  EXPECT_TRUE(model.ok()) << model.error().message;
  f.model = std::move(model).value();
  auto ctx = InferenceContext::create(
      *f.model, {.n_ctx = c.n_ctx, .n_threads = 1, .kv_type = TensorType::F32});
  EXPECT_TRUE(ctx.ok());
  f.ctx = std::move(ctx).value();
  return f;
}

GenerateOptions base_options(int max_tokens) {
  GenerateOptions o;
  o.max_tokens = max_tokens;
  o.logit_bias = {{0, -INFINITY}, {1, -INFINITY}, {2, -INFINITY}};
  return o;
}

const std::vector<int32_t> kPrompt = {1, 7, 9};

TEST(GenerateText, StopSequencesSpanningTokensEndTheTextBeforeThem) {
  Fixture f = make();
  auto full = generate(*f.ctx, *f.tokenizer, kPrompt, base_options(12));
  ASSERT_TRUE(full.ok()) << full.error().message;
  ASSERT_EQ(full->tokens.size(), 12u);
  EXPECT_EQ(full->finish_reason, FinishReason::Length);
  EXPECT_EQ(full->text, f.tokenizer->decode(full->tokens));

  // A stop made of the last byte of the 3rd token's piece and the first of the 4th's.
  std::vector<std::string> pieces;
  for (int32_t id : full->tokens) pieces.push_back(f.tokenizer->token_to_piece(id));
  ASSERT_FALSE(pieces[2].empty());
  ASSERT_FALSE(pieces[3].empty());
  const std::string stop = pieces[2].substr(pieces[2].size() - 1) + pieces[3].substr(0, 1);
  const size_t at = full->text.find(stop);
  ASSERT_NE(at, std::string::npos);

  GenerateOptions o = base_options(12);
  o.stop = {"never appears \x01", stop};
  std::string streamed;
  o.on_text = [&](std::string_view chunk) {
    streamed += chunk;
    return true;
  };
  auto r = generate(*f.ctx, *f.tokenizer, kPrompt, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->finish_reason, FinishReason::Stop);
  EXPECT_EQ(r->text, full->text.substr(0, at));
  EXPECT_EQ(streamed, r->text);
  // Generation ended at the token that completed the stop text.
  EXPECT_LE(r->tokens.size(), 4u);
  EXPECT_EQ(r->tokens,
            std::vector<int32_t>(full->tokens.begin(),
                                 full->tokens.begin() + static_cast<long>(r->tokens.size())));
}

TEST(GenerateText, StreamedChunksAddUpAndOnTextCanCancel) {
  Fixture f = make();
  GenerateOptions o = base_options(10);
  std::vector<std::string> chunks;
  o.on_text = [&](std::string_view chunk) {
    chunks.emplace_back(chunk);
    return chunks.size() < 3;
  };
  auto r = generate(*f.ctx, *f.tokenizer, kPrompt, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->finish_reason, FinishReason::Cancelled);
  EXPECT_EQ(chunks.size(), 3u);
  std::string joined;
  for (const auto& c : chunks) joined += c;
  EXPECT_EQ(joined, r->text);
  EXPECT_LT(r->tokens.size(), 10u);
}

TEST(GenerateText, SamplingWithASeedIsReproducibleAndFiltersApply) {
  Fixture f = make();
  GenerateOptions o = base_options(16);
  o.temperature = 1.2f;
  o.top_k = 8;
  o.top_p = 0.9f;
  o.min_p = 0.02f;
  o.repeat_penalty = 1.3f;
  o.seed = 1234;
  auto a = generate(*f.ctx, *f.tokenizer, kPrompt, o);
  auto b = generate(*f.ctx, *f.tokenizer, kPrompt, o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tokens, b->tokens);
  EXPECT_EQ(a->text, b->text);
  // Banned tokens never appear, whatever is drawn.
  for (int32_t id : a->tokens) EXPECT_GT(id, 2);
  // Top-k 1 is greedy.
  GenerateOptions g = base_options(16);
  GenerateOptions k1 = g;
  k1.temperature = 5.0f;
  k1.top_k = 1;
  k1.seed = 99;
  auto greedy = generate(*f.ctx, *f.tokenizer, kPrompt, g);
  auto topk1 = generate(*f.ctx, *f.tokenizer, kPrompt, k1);
  ASSERT_TRUE(greedy.ok() && topk1.ok());
  EXPECT_EQ(greedy->tokens, topk1->tokens);
}

// A device's argmax stands in for greedy sampling, and only for it: with a bias, a penalty or
// a temperature the decoder samples the logits itself. (A wrong stand-in is told apart by
// giving one that is not the logits' argmax.)
TEST(GenerateText, TheDecoderTakesAGivenArgmaxOnlyWhenSamplingIsPlainGreedy) {
  Fixture f = make();
  const size_t n_vocab = f.model->config().n_vocab;
  std::vector<float> logits(n_vocab, 0.0f);
  logits[5] = 3.0f;  // the logits' argmax
  const int32_t given = 6;
  auto first_token = [&](const SamplerOptions& o) {
    auto d = SequenceDecoder::create(*f.tokenizer, n_vocab, o, {4, {}}, kPrompt);
    EXPECT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->argmax_only(), o.temperature == 0.0f && o.logit_bias.empty() && o.repeat_penalty == 1.0f);
    d->step(logits, 8, given);
    return d->tokens().at(0);
  };
  EXPECT_EQ(first_token({}), given);
  SamplerOptions biased;
  biased.logit_bias = {{0, -INFINITY}};
  EXPECT_EQ(first_token(biased), 5);
  SamplerOptions penalised;
  penalised.repeat_penalty = 1.1f;
  EXPECT_EQ(first_token(penalised), 5);
  SamplerOptions hot;
  hot.temperature = 1e-3f;  // all but certain to draw the argmax
  EXPECT_EQ(first_token(hot), 5);
}

TEST(GenerateText, BadSamplingOptionsAreErrors) {
  Fixture f = make();
  GenerateOptions o = base_options(4);
  o.top_p = 2.0f;
  auto r = generate(*f.ctx, *f.tokenizer, kPrompt, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("top_p"), std::string::npos);
  GenerateOptions b = base_options(4);
  b.logit_bias = {{100000, 1.0f}};
  EXPECT_FALSE(generate(*f.ctx, *f.tokenizer, kPrompt, b).ok());
}

}  // namespace
}  // namespace hearth::localnode
