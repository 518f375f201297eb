// The forward pass through each of its paths on tiny random-weight models: every CPU kernel
// level, both mat-vec precisions, the batched (GEMM) and token-by-token (mat-vec) paths, the
// Q8_0 KV cache, thread counts, and prompts longer than one internal batch, against the
// double-precision reference of tiny_model.hpp or against each other.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hearth/localnode/context.hpp"
#include "hearth/localnode/model.hpp"
#include "tiny_model_load.hpp"

namespace hearth::localnode {
namespace {

using testing::TinyConfig;
using testing::TinyWeights;

double max_diff(std::span<const float> got, const std::vector<double>& want) {
  double m = 0;
  for (size_t i = 0; i < got.size(); ++i) m = std::max(m, std::fabs(got[i] - want[i]));
  return m;
}

std::vector<float> copy(std::span<const float> s) {
  return {s.begin(), s.end()};
}

const std::vector<int32_t> kTokens = {1, 5, 17, 3, 42, 8, 8, 30, 11, 2, 40};

// Logits after the whole prompt as one batch and after each token fed one at a time.
struct Logits {
  std::vector<float> batch;
  std::vector<std::vector<float>> steps;
};

Logits run(const Model& model, ContextOptions o) {
  o.threaded_min_work = 0;  // every thread, however small the model
  Logits r;
  auto ctx = InferenceContext::create(model, o);
  EXPECT_TRUE(ctx.ok()) << ctx.error().message;
  if (!ctx.ok()) return r;
  auto logits = (*ctx)->eval(kTokens);
  EXPECT_TRUE(logits.ok());
  r.batch = copy(*logits);
  (*ctx)->reset();
  for (int32_t t : kTokens) {
    auto step = (*ctx)->eval(std::span<const int32_t>(&t, 1));
    EXPECT_TRUE(step.ok());
    r.steps.push_back(copy(*step));
  }
  return r;
}

std::vector<CpuKernels> supported_levels() {
  std::vector<CpuKernels> out;
  for (CpuKernels k : {CpuKernels::Scalar, CpuKernels::Avx2, CpuKernels::Avx512,
                       CpuKernels::Avx512Vnni, CpuKernels::Amx}) {
    TinyConfig c;
    TinyWeights w;
    auto model = testing::load_tiny(c, w);
    if (InferenceContext::create(*model, {.n_ctx = 8, .kernels = k}).ok()) out.push_back(k);
  }
  return out;
}

// Every level and both precisions against the reference: f32 products to 1e-4; 8-bit
// activations of Q8_0 matrices within 2 % of the largest logit (measured: up to 1.2 %).
TEST(ForwardPaths, EveryKernelLevelAndPrecisionMatchesTheReference) {
  for (TensorType type : {TensorType::F32, TensorType::F16, TensorType::Q8_0}) {
    TinyConfig c;
    c.matrix_type = type;
    TinyWeights w;
    auto model = testing::load_tiny(c, w);
    ASSERT_NE(model, nullptr);
    const auto want = testing::reference_forward(c, w, kTokens);
    double scale = 0;  // the largest logit (~15)
    for (const auto& step : want) {
      for (double v : step) scale = std::max(scale, std::fabs(v));
    }
    for (CpuKernels level : supported_levels()) {
      for (MatmulPrecision p : {MatmulPrecision::Float, MatmulPrecision::Int8}) {
        const double tol =
            p == MatmulPrecision::Int8 && type == TensorType::Q8_0 ? 0.02 * scale : 1e-4;
        const Logits r = run(*model, {.n_ctx = c.n_ctx,
                                      .n_threads = 2,
                                      .kv_type = TensorType::F32,
                                      .precision = p,
                                      .kernels = level});
        const std::string what = std::string(type_traits(type).name) + " level " +
                                 std::to_string(static_cast<int>(level)) + " precision " +
                                 std::to_string(static_cast<int>(p));
        // The batch of 11 takes the GEMM path, in f32 whatever the precision (but on the AMX
        // level, Int8 Q8_0: 8-bit, as generated tokens), and the logits come from a mat-vec of
        // the last token.
        EXPECT_LT(max_diff(r.batch, want.back()), tol) << what;
        for (size_t i = 0; i < kTokens.size(); ++i)
          EXPECT_LT(max_diff(r.steps[i], want[i]), tol) << what << " step " << i;
      }
    }
  }
}

// On the AMX level an Int8 prompt multiplies as generated tokens do, so the prompt in one batch
// and the prompt fed a token at a time give the same logits, bit for bit.
TEST(ForwardPaths, AmxPromptsMultiplyAsGeneratedTokens) {
  TinyConfig c;
  c.matrix_type = TensorType::Q8_0;
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  const auto levels = supported_levels();
  if (std::find(levels.begin(), levels.end(), CpuKernels::Amx) == levels.end()) {
    GTEST_SKIP() << "this CPU (or OS) offers no AMX";
  }
  const Logits r = run(*model, {.n_ctx = c.n_ctx,
                                .n_threads = 2,
                                .precision = MatmulPrecision::Int8,
                                .kernels = CpuKernels::Amx});
  ASSERT_FALSE(r.batch.empty());
  EXPECT_EQ(r.batch, r.steps.back());
  // On a level without it, the f32 GEMM and the mat-vecs round differently.
  const Logits v = run(*model, {.n_ctx = c.n_ctx,
                                .n_threads = 2,
                                .precision = MatmulPrecision::Int8,
                                .kernels = CpuKernels::Avx512Vnni});
  EXPECT_NE(v.batch, v.steps.back());
}

// Each output row is computed by one thread in a fixed order, so the thread count changes
// nothing, bit for bit.
TEST(ForwardPaths, ThreadCountsGiveIdenticalLogits) {
  TinyConfig c;
  c.matrix_type = TensorType::Q8_0;
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  for (MatmulPrecision p : {MatmulPrecision::Float, MatmulPrecision::Int8}) {
    const Logits one = run(*model, {.n_ctx = c.n_ctx, .n_threads = 1, .precision = p});
    for (int threads : {2, 3, 5}) {
      const Logits many = run(*model, {.n_ctx = c.n_ctx, .n_threads = threads, .precision = p});
      EXPECT_EQ(many.batch, one.batch) << threads << " threads";
      EXPECT_EQ(many.steps, one.steps) << threads << " threads";
    }
  }
}

// A Q8_0 cache (head_dim 32) holds 34 bytes per 32 values.
TEST(ForwardPaths, Q8_0KvCache) {
  TinyConfig c;
  c.n_head = 2;
  c.n_head_kv = 1;
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  auto ctx = InferenceContext::create(
      *model, {.n_ctx = c.n_ctx, .n_threads = 2, .kv_type = TensorType::Q8_0});
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_EQ((*ctx)->kv_cache_bytes(),
            c.n_ctx * model->summary(TensorType::Q8_0).kv_bytes_per_token);
  EXPECT_EQ(model->summary(TensorType::Q8_0).kv_bytes_per_token, 2u * 2 * 1 * 34);
  EXPECT_EQ(model->summary(TensorType::F16).kv_bytes_per_token,
            model->summary(2).kv_bytes_per_token);
  // 8-bit keys and values: within 1 % of the largest logit (measured 0.5 %).
  const auto want = testing::reference_forward(c, w, kTokens);
  double scale = 0;
  for (const auto& step : want) {
    for (double v : step) scale = std::max(scale, std::fabs(v));
  }
  const Logits r = run(*model, {.n_ctx = c.n_ctx, .n_threads = 2, .kv_type = TensorType::Q8_0});
  EXPECT_LT(max_diff(r.batch, want.back()), 0.01 * scale);
  for (size_t i = 0; i < kTokens.size(); ++i) {
    EXPECT_LT(max_diff(r.steps[i], want[i]), 0.01 * scale) << "step " << i;
  }

  // head_dim 16 cannot be cut into blocks of 32.
  TinyConfig narrow;
  TinyWeights w2;
  auto m2 = testing::load_tiny(narrow, w2);
  auto bad = InferenceContext::create(*m2, {.n_ctx = 8, .kv_type = TensorType::Q8_0});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("multiple of 32"), std::string::npos) << bad.error().message;
}

// A prompt longer than one internal batch (512 tokens) gives the logits of the same prompt
// fed in two evals.
TEST(ForwardPaths, LongPromptsRunInBatches) {
  TinyConfig c;
  c.n_ctx = 700;
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  std::vector<int32_t> prompt(600);
  for (size_t i = 0; i < prompt.size(); ++i)
    prompt[i] = static_cast<int32_t>((i * 7 + 3) % c.n_vocab);
  auto whole =
      InferenceContext::create(*model, {.n_ctx = c.n_ctx, .n_threads = 2, .threaded_min_work = 0});
  auto split =
      InferenceContext::create(*model, {.n_ctx = c.n_ctx, .n_threads = 2, .threaded_min_work = 0});
  ASSERT_TRUE(whole.ok() && split.ok());
  auto a = (*whole)->eval(prompt);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*split)->eval(std::span<const int32_t>(prompt.data(), 250)).ok());
  auto b = (*split)->eval(std::span<const int32_t>(prompt.data() + 250, 350));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*whole)->n_past(), 600u);
  EXPECT_EQ(copy(*a), copy(*b));
}

TEST(ForwardPaths, UnsupportedKernelLevelIsAnError) {
  TinyConfig c;
  TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  const auto levels = supported_levels();
  ASSERT_FALSE(levels.empty());
  EXPECT_EQ(levels.front(), CpuKernels::Scalar);
  for (CpuKernels k :
       {CpuKernels::Avx2, CpuKernels::Avx512, CpuKernels::Avx512Vnni, CpuKernels::Amx}) {
    if (std::find(levels.begin(), levels.end(), k) != levels.end()) continue;
    auto ctx = InferenceContext::create(*model, {.n_ctx = 8, .kernels = k});
    ASSERT_FALSE(ctx.ok());
    EXPECT_NE(ctx.error().message.find("does not support"), std::string::npos);
  }
  auto ctx = InferenceContext::create(*model, {.n_ctx = 8});
  ASSERT_TRUE(ctx.ok());
  EXPECT_FALSE((*ctx)->backend_name().empty());
}

}  // namespace
}  // namespace hearth::localnode
