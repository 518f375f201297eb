#pragma once
// llama.cpp's greedy generation on the real stories260K model (reference/stories260K.json),
// checked against any InferenceContext: the CPU backend's test and the Vulkan backend's share
// it, so both answer to the same reference in the same way.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hearth/localnode/generate.hpp"
#include "model/model_files.hpp"

namespace hearth::localnode::testing {

// For each reference case: the same greedy tokens and text from its prompt tokens, the same
// top-5 ids after the prompt, and their logits within `tolerance`.
inline void expect_stories260k_greedy(InferenceContext& ctx, const Tokenizer& tokenizer,
                                      double tolerance) {
  const auto ref = read_json(models_dir() / "reference" / "stories260K.json");
  ASSERT_EQ(ref["cases"].size(), 4u);
  for (const auto& c : ref["cases"]) {
    SCOPED_TRACE(c["prompt"].get<std::string>());
    GenerateOptions opt;
    opt.max_tokens = static_cast<int>(c["greedy_tokens"].size());
    auto r = generate(ctx, tokenizer, c["prompt_tokens"].get<std::vector<int32_t>>(), opt);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->tokens, c["greedy_tokens"].get<std::vector<int32_t>>());
    EXPECT_EQ(r->text, c["greedy_text"].get<std::string>());
    const auto& top5 = c["top5_after_prompt"];
    ASSERT_GE(r->top_logits.size(), top5.size());
    for (size_t i = 0; i < top5.size(); ++i) {
      EXPECT_EQ(r->top_logits[i].id, top5[i]["id"].get<int32_t>()) << "rank " << i;
      EXPECT_NEAR(r->top_logits[i].logit, top5[i]["logit"].get<double>(), tolerance) << "rank " << i;
    }
  }
}

}  // namespace hearth::localnode::testing
