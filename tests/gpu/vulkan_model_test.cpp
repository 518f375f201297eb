// Whole models on the Vulkan backend: the synth-tiny file of every tensor type against the
// float64 forward pass in reference/synth-tiny-*.json, the real stories260K model against
// llama.cpp's greedy generation, batched sequences against each alone, and the backend
// choice. Runs on any Vulkan device; CI's is Mesa's lavapipe.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "hearth/localnode/context.hpp"
#include "hearth/localnode/generate.hpp"
#include "model/model_files.hpp"
#include "model/stories260k_reference.hpp"
#include "unit/localnode/tiny_model_load.hpp"
#include "vulkan/device.hpp"

namespace hearth::localnode {
namespace {

std::unique_ptr<Model> load(const std::filesystem::path& path) {
  auto file = GgufFile::open(path);
  EXPECT_TRUE(file.ok()) << file.error().message;
  if (!file) return nullptr;
  auto model = Model::load(std::move(file).value());
  EXPECT_TRUE(model.ok()) << model.error().message;
  return model ? std::move(model).value() : nullptr;
}

std::unique_ptr<InferenceContext> vulkan_context(const Model& model, ContextOptions o) {
  o.backend = Backend::Vulkan;
  auto ctx = InferenceContext::create(model, o);
  EXPECT_TRUE(ctx.ok()) << ctx.error().message;
  if (!ctx) return nullptr;
  EXPECT_EQ((*ctx)->backend(), Backend::Vulkan);
  return std::move(ctx).value();
}

class VulkanSynthTiny : public ::testing::TestWithParam<const char*> {};

// The prompt's logits within 1e-4 of the exact pass and of the CPU backend's (each measures
// 1.1e-5 to 1.6e-5 from the exact pass; they sum in different orders), then greedy decoding
// step by step (the mat-vec path and the KV cache) on the reference's tokens wherever the
// step's margin is clear.
TEST_P(VulkanSynthTiny, MatchesTheExactForwardPass) {
  const auto dir = testing::models_dir();
  const std::string type = GetParam();
  const auto path = dir / "synth-tiny" / ("synth-tiny-" + type + ".gguf");
  HEARTH_REQUIRE_MODEL_FILE(path);
  auto model = load(path);
  ASSERT_NE(model, nullptr);
  auto ctx = vulkan_context(*model, {.n_ctx = 64, .kv_type = TensorType::F32});
  ASSERT_NE(ctx, nullptr);
  auto cpu = InferenceContext::create(
      *model, {.n_ctx = 64, .n_threads = 2, .kv_type = TensorType::F32, .precision = MatmulPrecision::Float});
  ASSERT_TRUE(cpu.ok());
  const auto ref = testing::read_json(dir / "reference" / ("synth-tiny-" + type + ".json"));
  double max_diff = 0, max_cpu_diff = 0;
  int greedy_checked = 0;
  for (const auto& c : ref["cases"]) {
    const auto prompt = c["prompt_tokens"].get<std::vector<int32_t>>();
    const auto& exact = c["exact_f64"];
    const auto want = exact["logits_after_prompt"].get<std::vector<double>>();
    ctx->reset();
    auto logits = ctx->eval(prompt);
    ASSERT_TRUE(logits.ok()) << logits.error().message;
    ASSERT_EQ(logits->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) max_diff = std::max(max_diff, std::fabs((*logits)[i] - want[i]));
    (*cpu)->reset();
    auto on_cpu = (*cpu)->eval(prompt);
    ASSERT_TRUE(on_cpu.ok());
    for (size_t i = 0; i < want.size(); ++i) {
      max_cpu_diff = std::max(max_cpu_diff, static_cast<double>(std::fabs((*logits)[i] - (*on_cpu)[i])));
    }

    const auto greedy = exact["greedy_tokens"].get<std::vector<int32_t>>();
    const auto margins = exact["top1_top2_margin"].get<std::vector<double>>();
    // A few steps each: lavapipe takes milliseconds per dispatch.
    for (size_t step = 0; step < std::min<size_t>(greedy.size(), 6) && margins[step] > 1e-3; ++step) {
      EXPECT_EQ(argmax(*logits), greedy[step]) << type << " step " << step;
      ++greedy_checked;
      logits = ctx->eval(std::span<const int32_t>(&greedy[step], 1));
      ASSERT_TRUE(logits.ok()) << logits.error().message;
    }
  }
  EXPECT_LT(max_diff, 1e-4) << type;
  EXPECT_LT(max_cpu_diff, 1e-4) << type << " against the CPU backend";
  EXPECT_GT(greedy_checked, 4) << "too few clear greedy steps to test decoding";
  RecordProperty("max_abs_logit_diff", std::to_string(max_diff));
  RecordProperty("max_abs_logit_diff_cpu", std::to_string(max_cpu_diff));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, VulkanSynthTiny,
                         ::testing::Values("F32", "F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_1",
                                           "Q5_0", "Q4_K_M", "Q4_1", "Q4_0", "Q3_K_M", "Q2_K"));

// llama.cpp's greedy tokens and text on the real model, F16 KV cache, with the CPU backend's
// tolerance.
TEST(VulkanStories260K, GreedyGenerationMatchesLlamaCpp) {
  const auto dir = testing::models_dir();
  HEARTH_REQUIRE_MODEL_FILE(dir / "stories260K.gguf");
  const testing::LoadedModel loaded = testing::load_model_file(dir / "stories260K.gguf");
  ASSERT_NE(loaded.model, nullptr);
  auto ctx = vulkan_context(*loaded.model, {.n_ctx = 256});
  ASSERT_NE(ctx, nullptr);
  testing::expect_stories260k_greedy(*ctx, *loaded.tokenizer, 1e-3);
}

// Three sequences decoded in one batch give the logits each gives alone: a row's arithmetic
// does not depend on its neighbours (the scheduler relies on it).
TEST(VulkanBatch, SequencesInOneBatchMatchEachAlone) {
  const auto path = testing::models_dir() / "stories260K.gguf";
  HEARTH_REQUIRE_MODEL_FILE(path);
  auto model = load(path);
  ASSERT_NE(model, nullptr);
  const std::vector<std::vector<int32_t>> prompts = {
      {1, 403, 407, 261, 378}, {1, 200, 300}, {1, 50, 60, 70, 80, 90, 100, 110, 120, 130}};
  const int32_t next[] = {432, 17, 99};

  std::vector<std::vector<float>> alone;
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto ctx = vulkan_context(*model, {.n_ctx = 32});
    ASSERT_NE(ctx, nullptr);
    ASSERT_TRUE(ctx->eval(prompts[i]).ok());
    auto logits = ctx->eval(std::span<const int32_t>(&next[i], 1));
    ASSERT_TRUE(logits.ok());
    alone.emplace_back(logits->begin(), logits->end());
  }

  auto ctx = vulkan_context(*model, {.n_ctx = 32, .n_seq = 3});
  ASSERT_NE(ctx, nullptr);
  std::vector<SequenceTokens> prefill;
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(ctx->reserve(i, 32).ok());
    prefill.push_back({i, prompts[i], prompts[i].size() >= 8, false});
  }
  ASSERT_TRUE(ctx->eval(prefill).ok());
  std::vector<SequenceTokens> step;
  for (uint32_t i = 0; i < 3; ++i) step.push_back({i, std::span<const int32_t>(&next[i], 1), false, true});
  auto batched = ctx->eval(step);
  ASSERT_TRUE(batched.ok()) << batched.error().message;
  const size_t n_vocab = model->config().n_vocab;
  ASSERT_EQ(batched->size(), 3 * n_vocab);
  for (size_t i = 0; i < 3; ++i) {
    for (size_t j = 0; j < n_vocab; ++j) {
      ASSERT_NEAR((*batched)[i * n_vocab + j], alone[i][j], 1e-5) << "sequence " << i << " logit " << j;
    }
  }
}

// Passes asking for 1, 2, 4 and then 8 rows of logits grow the logits buffer each time (the
// driver may reuse a freed buffer's handle: a stale binding would leave these rows unwritten);
// every row, and its argmax, matches the CPU backend's.
TEST(VulkanBatch, LogitsRowsGrowingAcrossPassesMatchTheCpu) {
  const auto path = testing::models_dir() / "stories260K.gguf";
  HEARTH_REQUIRE_MODEL_FILE(path);
  auto model = load(path);
  ASSERT_NE(model, nullptr);
  const ContextOptions o{.n_ctx = 8, .n_seq = 15, .kv_type = TensorType::F32, .precision = MatmulPrecision::Float};
  auto gpu = vulkan_context(*model, o);
  ASSERT_NE(gpu, nullptr);
  auto cpu = InferenceContext::create(*model, o);
  ASSERT_TRUE(cpu.ok());
  std::vector<std::vector<int32_t>> prompts;
  for (int32_t i = 0; i < 15; ++i) prompts.push_back({1, 100 + 7 * i, 300 - 5 * i});
  uint32_t seq = 0;
  for (uint32_t rows : {1u, 2u, 4u, 8u}) {
    std::vector<SequenceTokens> batch;
    for (uint32_t i = 0; i < rows; ++i, ++seq) {
      ASSERT_TRUE(gpu->reserve(seq, 8).ok());
      ASSERT_TRUE((*cpu)->reserve(seq, 8).ok());
      batch.push_back({seq, prompts[seq], false, true});
    }
    auto want = (*cpu)->eval(batch);
    ASSERT_TRUE(want.ok());
    const std::vector<float> expected(want->begin(), want->end());
    auto got = gpu->eval(batch);
    ASSERT_TRUE(got.ok()) << got.error().message;
    ASSERT_EQ(got->size(), expected.size());
    for (size_t j = 0; j < expected.size(); ++j) {
      ASSERT_NEAR((*got)[j], expected[j], 1e-4) << rows << " rows, element " << j;
    }
    // Greedy sampling's choices, made on the device in the same pass.
    const size_t n_vocab = model->config().n_vocab;
    const std::span<const int32_t> chosen = gpu->argmax();
    ASSERT_EQ(chosen.size(), rows);
    for (size_t i = 0; i < rows; ++i) {
      EXPECT_EQ(chosen[i], argmax(std::span<const float>(expected).subspan(i * n_vocab, n_vocab))) << "row " << i;
    }
  }
}

TEST(VulkanBackendChoice, AutoTakesOnlyARealGpu) {
  const auto path = testing::models_dir() / "stories260K.gguf";
  HEARTH_REQUIRE_MODEL_FILE(path);
  auto model = load(path);
  ASSERT_NE(model, nullptr);
  auto ctx = InferenceContext::create(*model, {.n_ctx = 16, .backend = Backend::Auto});
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  const bool gpu = vulkan::Device::open(vulkan::DeviceChoice::GpuOnly).ok();
  EXPECT_EQ((*ctx)->backend(), gpu ? Backend::Vulkan : Backend::Cpu) << (*ctx)->backend_name();
}

TEST(VulkanBackendChoice, UnsupportedOptionsAreClearErrors) {
  const auto path = testing::models_dir() / "synth-tiny" / "synth-tiny-F32.gguf";
  HEARTH_REQUIRE_MODEL_FILE(path);
  auto model = load(path);
  ASSERT_NE(model, nullptr);
  auto q8 = InferenceContext::create(*model, {.n_ctx = 16, .kv_type = TensorType::Q8_0, .backend = Backend::Vulkan});
  ASSERT_FALSE(q8.ok());
  EXPECT_EQ(q8.error().code, ErrorCode::Unsupported);
  EXPECT_NE(q8.error().message.find("f16 or f32"), std::string::npos) << q8.error().message;
  // `auto` falls back to the CPU for what Vulkan cannot run.
  auto fallback = InferenceContext::create(*model, {.n_ctx = 16, .kv_type = TensorType::Q8_0, .backend = Backend::Auto});
  ASSERT_TRUE(fallback.ok()) << fallback.error().message;
  EXPECT_EQ((*fallback)->backend(), Backend::Cpu);
}

// The attention kernel reads K rows four elements at a time: head_dim 6 is refused, by name.
TEST(VulkanBackendChoice, AHeadDimNotAMultipleOfFourIsAClearError) {
  testing::TinyConfig c;
  c.n_embd = 24;
  c.n_rot = 6;  // 4 heads of 6
  testing::TinyWeights w;
  auto model = testing::load_tiny(c, w);
  ASSERT_NE(model, nullptr);
  ASSERT_EQ(model->config().head_dim, 6u);
  auto ctx = InferenceContext::create(*model, {.n_ctx = 16, .backend = Backend::Vulkan});
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().code, ErrorCode::Unsupported);
  EXPECT_NE(ctx.error().message.find("head_dim 6"), std::string::npos) << ctx.error().message;
  EXPECT_NE(ctx.error().message.find("multiple of 4"), std::string::npos) << ctx.error().message;
  auto fallback = InferenceContext::create(*model, {.n_ctx = 16, .backend = Backend::Auto});
  ASSERT_TRUE(fallback.ok()) << fallback.error().message;
  EXPECT_EQ((*fallback)->backend(), Backend::Cpu);
}

}  // namespace
}  // namespace hearth::localnode
