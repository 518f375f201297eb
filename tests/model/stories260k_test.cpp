// Golden greedy generation on the real stories260K model against llama.cpp's outputs in
// reference/stories260K.json: the same prompt tokens, the same greedy tokens and text, the
// same top-5 ids, and the top-5 logits after the prompt within kLogitTolerance.

#include <gtest/gtest.h>

#include "model_files.hpp"
#include "stories260k_reference.hpp"

namespace hearth::localnode {
namespace {

// Both engines keep the KV cache in F16 and round q and the attention weights to F16, so a
// one-ulp f32 difference upstream of a rounding moves these logits (10 to 20) by ~1e-3. The
// engine therefore follows llama.cpp's rounding where it shows: the norm's mean rounded to
// f32, rotary angles by repeated f32 multiplication, attention scores summed exactly and
// values summed in 16 position lanes (cpu/kernels.hpp). Measured: max 4.3e-5 with the AVX2
// and AVX-512 kernels, 4.7e-4 with the scalar ones (their f32 dot products sum in another
// order).
constexpr double kLogitTolerance = 1e-3;

TEST(Stories260K, GreedyGenerationMatchesLlamaCpp) {
  const auto dir = testing::models_dir();
  HEARTH_REQUIRE_MODEL_FILE(dir / "stories260K.gguf");
  const testing::LoadedModel loaded = testing::load_model_file(dir / "stories260K.gguf");
  ASSERT_NE(loaded.model, nullptr);
  const Model* model = loaded.model.get();
  const Tokenizer* tok = loaded.tokenizer.get();
  const ModelSummary s = model->summary();
  EXPECT_EQ(s.architecture, "llama");
  EXPECT_EQ(s.context_length, 2048u);
  EXPECT_EQ(s.kv_bytes_per_token, 2u * 5 * 4 * 8 * 4);

  // The prompts tokenize as llama.cpp's did.
  const auto ref = testing::read_json(dir / "reference" / "stories260K.json");
  for (const auto& c : ref["cases"]) {
    EXPECT_EQ(tok->encode(c["prompt"].get<std::string>(), true),
              c["prompt_tokens"].get<std::vector<int32_t>>())
        << c["prompt"];
  }

  auto ctx = InferenceContext::create(*model, {.n_ctx = 256, .n_threads = 2});  // F16 KV, as llama.cpp
  ASSERT_TRUE(ctx.ok());
  testing::expect_stories260k_greedy(**ctx, *tok, kLogitTolerance);
}

}  // namespace
}  // namespace hearth::localnode
