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
  auto ctx = InferenceContext::create(**model, {.n_ctx = 64, .n_threads = 2, .kv_type = TensorType::F32});
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
