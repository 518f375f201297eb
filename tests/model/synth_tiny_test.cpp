// Dequantization and the forward pass on llama.cpp-written files of every tensor type
// (synth-tiny/*.gguf) against the float64 recomputation in reference/synth-tiny-*.json
// (`exact_f64.logits_after_prompt`: ggml's own dequantization, unrounded activations, which
// is this engine's arithmetic with an F32 KV cache).

#include <gtest/gtest.h>

#include <cmath>

#include "hearth/localnode/context.hpp"
#include "hearth/localnode/generate.hpp"
#include "model_files.hpp"

namespace hearth::localnode {
namespace {

struct Case {
  const char* type;
  double tolerance;  // max |logit - exact| over all 512 logits of 4 prompts
};

class SynthTiny : public ::testing::TestWithParam<Case> {};

TEST_P(SynthTiny, LogitsMatchTheExactForwardPass) {
  const auto dir = testing::models_dir();
  const std::string type = GetParam().type;
  const auto path = dir / "synth-tiny" / ("synth-tiny-" + type + ".gguf");
  HEARTH_REQUIRE_MODEL_FILE(path);
  auto file = GgufFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  const auto ref = testing::read_json(dir / "reference" / ("synth-tiny-" + type + ".json"));
  // Every tensor has the type the reference lists.
  for (const auto& [name, t] : ref["tensor_types"].items()) {
    const GgufTensor* info = file->tensor(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(type_traits(info->type).name, t.get<std::string>()) << name;
  }
  auto model = Model::load(std::move(file).value());
  ASSERT_TRUE(model.ok()) << model.error().message;
  auto ctx = InferenceContext::create(
      **model, {.n_ctx = 64, .n_threads = 2, .kv_type = TensorType::F32, .precision = MatmulPrecision::Float});
  ASSERT_TRUE(ctx.ok());

  double max_diff = 0;
  for (const auto& c : ref["cases"]) {
    const auto prompt = c["prompt_tokens"].get<std::vector<int32_t>>();
    const auto want = c["exact_f64"]["logits_after_prompt"].get<std::vector<double>>();
    (*ctx)->reset();
    auto logits = (*ctx)->eval(prompt);
    ASSERT_TRUE(logits.ok()) << logits.error().message;
    ASSERT_EQ(logits->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) max_diff = std::max(max_diff, std::fabs((*logits)[i] - want[i]));
    // The first greedy step agrees wherever its margin is clear of the tolerance.
    const auto margins = c["exact_f64"]["top1_top2_margin"].get<std::vector<double>>();
    if (margins[0] > 10 * GetParam().tolerance) {
      EXPECT_EQ(argmax(*logits), c["exact_f64"]["greedy_tokens"][0].get<int32_t>());
    }
  }
  EXPECT_LT(max_diff, GetParam().tolerance) << type;
  RecordProperty("max_abs_logit_diff", std::to_string(max_diff));
}

// The default 8-bit activations round as llama.cpp does, so its logits (F32 KV run) are the
// reference. Most prompts agree to ~1e-5 (measured: 3 or 4 of 4 per type), but one different
// rounding of one int8 activation cascades (reference/README.md: 0.1 to 0.5 on about one
// prompt in four; measured here 0.25 on one prompt of Q8_0 and of Q3_K_M), so every prompt
// gets the README's bound (max 1.5 quantized, 0.05 F32 / F16; rms 0.3) and at least two of
// the four must agree to 1e-4. BF16 keeps f32 activations where llama.cpp rounds them to
// BF16 (measured gap 0.08 to 0.12): the README's 0.3.
TEST_P(SynthTiny, Int8LogitsMatchLlamaCpp) {
  const auto dir = testing::models_dir();
  const std::string type = GetParam().type;
  const auto path = dir / "synth-tiny" / ("synth-tiny-" + type + ".gguf");
  HEARTH_REQUIRE_MODEL_FILE(path);
  auto file = GgufFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  const auto ref = testing::read_json(dir / "reference" / ("synth-tiny-" + type + ".json"));
  auto model = Model::load(std::move(file).value());
  ASSERT_TRUE(model.ok()) << model.error().message;
  auto ctx = InferenceContext::create(
      **model, {.n_ctx = 64, .n_threads = 2, .kv_type = TensorType::F32, .precision = MatmulPrecision::Int8});
  ASSERT_TRUE(ctx.ok());
  const bool quantized = type != "F32" && type != "F16" && type != "BF16";
  const double bound = type == "BF16" ? 0.3 : quantized ? 1.5 : 0.05;
  int close = 0;
  std::string diffs;
  for (const auto& c : ref["cases"]) {
    const auto prompt = c["prompt_tokens"].get<std::vector<int32_t>>();
    const auto want = c["kv_f32"]["logits_after_prompt"].get<std::vector<double>>();
    (*ctx)->reset();
    auto logits = (*ctx)->eval(prompt);
    ASSERT_TRUE(logits.ok()) << logits.error().message;
    double max_diff = 0, sq = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      const double d = std::fabs((*logits)[i] - want[i]);
      max_diff = std::max(max_diff, d);
      sq += d * d;
    }
    const double rms = std::sqrt(sq / static_cast<double>(want.size()));
    EXPECT_LT(max_diff, bound) << type << " prompt " << c["prompt"];
    EXPECT_LT(rms, 0.3) << type << " prompt " << c["prompt"];
    close += max_diff < 1e-4;
    diffs += std::to_string(max_diff) + " ";
  }
  if (type != "BF16") {
    EXPECT_GE(close, 2) << type << ": max differences per prompt " << diffs;
  }
  RecordProperty("max_abs_logit_diff_per_prompt", diffs);
}

// Measured max differences are 1.3e-5 to 1.5e-5 for every type (the JSON rounds to 5
// decimals; the rest is f32 accumulation order), so one wrong scale in one block fails.
INSTANTIATE_TEST_SUITE_P(
    AllTypes, SynthTiny,
    ::testing::Values(Case{"F32", 1e-4}, Case{"F16", 1e-4}, Case{"BF16", 1e-4}, Case{"Q8_0", 1e-4},
                      Case{"Q6_K", 1e-4}, Case{"Q5_K_M", 1e-4}, Case{"Q5_1", 1e-4}, Case{"Q5_0", 1e-4},
                      Case{"Q4_K_M", 1e-4}, Case{"Q4_1", 1e-4}, Case{"Q4_0", 1e-4}, Case{"Q3_K_M", 1e-4},
                      Case{"Q2_K", 1e-4}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.type); });

}  // namespace
}  // namespace hearth::localnode
