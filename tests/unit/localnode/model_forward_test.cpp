// The forward pass on tiny random-weight models written by the test, against a plain
// double-precision reference: batched prefill, token-by-token decode and several threads
// must all give the reference logits.

#include <gtest/gtest.h>

#include "hearth/localnode/context.hpp"
#include "hearth/localnode/generate.hpp"
#include "hearth/localnode/model.hpp"
#include "tiny_model_load.hpp"

namespace hearth::localnode {
namespace {

using testing::TinyConfig;
using testing::TinyWeights;

void expect_close(std::span<const float> got, const std::vector<double>& want, double tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  double max_diff = 0;
  for (size_t i = 0; i < got.size(); ++i) max_diff = std::max(max_diff, std::fabs(got[i] - want[i]));
  EXPECT_LT(max_diff, tol) << what;
}

const std::vector<int32_t> kTokens = {1, 5, 17, 3, 42, 8, 8, 30, 11};

void check_model(const TinyConfig& c, double tol = 1e-4, TensorType kv_type = TensorType::F32) {
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  const auto want = testing::reference_forward(c, w, kTokens);

  for (int threads : {1, 3}) {
    // Exact f32 products (the reference is exact; the 8-bit decode path is checked in
    // forward_paths_test.cpp), and every thread even on this tiny model.
    auto ctx = InferenceContext::create(*model, {.n_ctx = c.n_ctx,
                                                 .n_threads = threads,
                                                 .kv_type = kv_type,
                                                 .precision = MatmulPrecision::Float,
                                                 .threaded_min_work = 0});
    ASSERT_TRUE(ctx.ok());
    // The whole prompt as one batch.
    auto logits = (*ctx)->eval(kTokens);
    ASSERT_TRUE(logits.ok()) << logits.error().message;
    expect_close(*logits, want.back(), tol, "prefill, threads " + std::to_string(threads));
    // Token by token after a reset.
    (*ctx)->reset();
    for (size_t i = 0; i < kTokens.size(); ++i) {
      auto step = (*ctx)->eval(std::span<const int32_t>(&kTokens[i], 1));
      ASSERT_TRUE(step.ok());
      expect_close(*step, want[i], tol, "decode position " + std::to_string(i) + ", threads " + std::to_string(threads));
    }
    EXPECT_EQ((*ctx)->n_past(), kTokens.size());
    // A prefix batch, then the rest as a second batch.
    (*ctx)->reset();
    ASSERT_TRUE((*ctx)->eval(std::span<const int32_t>(kTokens.data(), 4)).ok());
    auto rest = (*ctx)->eval(std::span<const int32_t>(kTokens.data() + 4, kTokens.size() - 4));
    ASSERT_TRUE(rest.ok());
    expect_close(*rest, want.back(), tol, "two batches");
  }
}

TEST(ModelForward, LlamaGqaUntied) { check_model(TinyConfig{}); }

TEST(ModelForward, LlamaTiedOutput) {
  TinyConfig c;
  c.tied = true;
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  EXPECT_TRUE(model->config().tied_output);
  check_model(c);
}

TEST(ModelForward, LlamaMultiHeadAttentionPartialRope) {
  TinyConfig c;
  c.n_head_kv = 4;
  c.n_rot = 8;  // rotate half of each 16-wide head
  check_model(c);
}

TEST(ModelForward, LlamaRopeFrequencyFactors) {
  TinyConfig c;
  c.rope_freqs = true;
  check_model(c);
}

TEST(ModelForward, Qwen2BiasesAndNeoxRope) {
  TinyConfig c;
  c.arch = "qwen2";
  c.biases = true;
  check_model(c);
}

TEST(ModelForward, QuantizedAndHalfMatrices) {
  for (TensorType t : {TensorType::F16, TensorType::Q8_0}) {
    TinyConfig c;
    c.matrix_type = t;
    check_model(c);
  }
}

// An F16 cache rounds keys and values to half precision (relative error 2^-11).
TEST(ModelForward, HalfPrecisionKvCache) {
  TinyConfig c;
  check_model(c, 2e-2, TensorType::F16);
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  auto f16 = InferenceContext::create(*model, {.n_ctx = 10, .n_threads = 1, .kv_type = TensorType::F16});
  auto f32 = InferenceContext::create(*model, {.n_ctx = 10, .n_threads = 1, .kv_type = TensorType::F32});
  EXPECT_EQ((*f16)->kv_cache_bytes(), 10 * model->summary(2).kv_bytes_per_token);
  EXPECT_EQ((*f32)->kv_cache_bytes(), 10 * model->summary(4).kv_bytes_per_token);
}

TEST(ModelForward, SummaryReportsParametersAndKvBytes) {
  TinyConfig c;
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  const ModelSummary s = model->summary();
  EXPECT_EQ(s.architecture, "llama");
  EXPECT_EQ(s.name, "tiny");
  EXPECT_EQ(s.context_length, 64u);
  const uint64_t per_layer = 2 * 64 + 64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 96;  // norms, q, k+v, o, ffn
  EXPECT_EQ(s.n_params, 2u * 48 * 64 + 64 + 2 * per_layer);
  EXPECT_EQ(s.weight_bytes, s.n_params * 4);
  EXPECT_EQ(s.tensor_types.at("F32"), 3u + 2 * 9);
  EXPECT_EQ(s.kv_bytes_per_token, 2u * 2 * 2 * 16 * 4);  // 2 × n_layer × n_head_kv × head_dim × 4
  EXPECT_EQ(model->summary(2).kv_bytes_per_token, s.kv_bytes_per_token / 2);
  EXPECT_EQ(s.memory_bytes(10), s.weight_bytes + 10 * s.kv_bytes_per_token);
}

TEST(ModelForward, EvalRejectsBadInput) {
  TinyConfig c;
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  auto ctx = InferenceContext::create(*model, {.n_ctx = 8, .n_threads = 1});
  ASSERT_TRUE(ctx.ok());
  EXPECT_FALSE((*ctx)->eval(std::span<const int32_t>()).ok());
  const std::vector<int32_t> bad = {1, 48};
  auto r = (*ctx)->eval(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("token id 48"), std::string::npos);
  const std::vector<int32_t> nine(9, 1);
  auto full = (*ctx)->eval(nine);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ErrorCode::ContextLengthExceeded);
  EXPECT_EQ((*ctx)->n_past(), 0u);
  EXPECT_FALSE(InferenceContext::create(*model, {.n_ctx = 8, .n_threads = 0}).ok());
  EXPECT_FALSE(InferenceContext::create(*model, {.n_ctx = 8, .n_threads = 1, .kv_type = TensorType::Q4_0}).ok());
}

TEST(ModelLoad, ErrorsNameTheProblem) {
  auto load_error = [](const std::function<void(TinyConfig&)>& tweak,
                       const std::function<void(std::vector<uint8_t>&)>& corrupt = nullptr) {
    TinyConfig c;
    tweak(c);
    TinyWeights w;
    auto bytes = testing::make_tiny_model(c, w);
    if (corrupt) corrupt(bytes);
    auto file = GgufFile::parse(std::move(bytes), "tiny.gguf");
    if (!file.ok()) return file.error().message;
    auto m = Model::load(std::move(file).value());
    return m.ok() ? std::string("loaded") : m.error().message;
  };
  EXPECT_NE(load_error([](TinyConfig& c) { c.arch = "gpt2"; }).find("unsupported architecture gpt2"),
            std::string::npos);
  EXPECT_NE(load_error([](TinyConfig& c) { c.n_head_kv = 3; }).find("not a multiple of head_count_kv"),
            std::string::npos);
  // qwen2 without its biases.
  EXPECT_NE(load_error([](TinyConfig& c) { c.arch = "qwen2"; }).find("missing tensor 'blk.0.attn_q.bias'"),
            std::string::npos);
}

TEST(Generate, GreedyFollowsTheReferenceArgmax) {
  TinyConfig c;
  c.with_vocab = true;
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  auto tok = Tokenizer::from_gguf(model->file());
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  auto ctx = InferenceContext::create(*model, {.n_ctx = c.n_ctx, .n_threads = 2, .kv_type = TensorType::F32});
  ASSERT_TRUE(ctx.ok());
  GenerateOptions opt;
  opt.max_tokens = 6;
  const std::vector<int32_t> prompt = {1, 7, 9};
  auto r = generate(**ctx, *tok, prompt, opt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->prompt_tokens, prompt);
  ASSERT_EQ(r->top_logits.size(), 10u);

  // Replay with the reference: each greedy token is the reference argmax of its prefix.
  std::vector<int32_t> seq = prompt;
  auto ref = testing::reference_forward(c, w, seq);
  const auto& first = ref.back();
  EXPECT_NEAR(r->top_logits[0].logit, *std::max_element(first.begin(), first.end()), 1e-4);
  for (size_t i = 0; i < r->tokens.size(); ++i) {
    const std::vector<double> l = testing::reference_forward(c, w, seq).back();
    const auto best = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
    EXPECT_EQ(r->tokens[i], best) << "step " << i;
    seq.push_back(best);
  }
  if (!r->stopped_at_eog) {
    EXPECT_EQ(r->tokens.size(), 6u);
  }
  EXPECT_EQ(r->text, tok->decode(r->tokens));

  // Sampling with a seed is reproducible.
  opt.temperature = 1.0f;
  opt.seed = 99;
  auto s1 = generate(**ctx, *tok, prompt, opt);
  auto s2 = generate(**ctx, *tok, prompt, opt);
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_EQ(s1->tokens, s2->tokens);
}

TEST(Generate, TopLogitsAndArgmaxBreakTiesToTheLowestId) {
  const std::vector<float> l = {1.0f, 3.0f, 3.0f, -1.0f, 2.0f};
  EXPECT_EQ(argmax(l), 1);
  auto top = top_k_logits(l, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].id, 1);
  EXPECT_EQ(top[1].id, 2);
  EXPECT_EQ(top[2].id, 4);
  EXPECT_EQ(top_k_logits(l, 10).size(), 5u);
}

}  // namespace
}  // namespace hearth::localnode
