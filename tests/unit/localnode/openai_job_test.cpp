// OpenAI requests to engine jobs and engine output to OpenAI objects, on a tiny SPM
// vocabulary built in memory.

#include "hearth/localnode/openai_job.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "hearth/localnode/gguf.hpp"
#include "tiny_model.hpp"

namespace hearth::localnode {
namespace {

struct Vocab {
  Vocab() {
    testing::TinyConfig c;
    c.with_vocab = true;
    testing::TinyWeights w;
    file = std::make_unique<GgufFile>(std::move(GgufFile::parse(testing::make_tiny_model(c, w), "tiny.gguf")).value());
    tokenizer = std::make_unique<Tokenizer>(std::move(Tokenizer::from_gguf(*file)).value());
    chat = std::make_unique<ChatTemplate>(ChatTemplate::from_jinja("", tokenizer->token_text(tokenizer->bos()), ""));
  }
  std::unique_ptr<GgufFile> file;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<ChatTemplate> chat;
};

ChatRequest request(Endpoint endpoint, Json body) {
  ChatRequest r;
  r.endpoint = endpoint;
  r.model = "tiny";
  if (body.contains("max_tokens")) r.max_tokens = body["max_tokens"].get<int64_t>();
  r.body = std::move(body);
  return r;
}

TEST(OpenAiJob, ReadsSamplingAndLimits) {
  Vocab v;
  auto job = job_from_request(
      request(Endpoint::Completions,
              {{"prompt", "ab"}, {"max_tokens", 7}, {"temperature", 0.5}, {"top_p", 0.9}, {"seed", 42},
               {"stop", {"x", "yz"}}, {"frequency_penalty", 0.5}, {"presence_penalty", -0.5},
               {"logit_bias", {{"3", 2.5}, {"4", -100}}}, {"top_k", 5}, {"min_p", 0.1}}),
      *v.tokenizer, *v.chat, 99);
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(job->limits.max_tokens, 7);
  EXPECT_EQ(job->limits.stop, (std::vector<std::string>{"x", "yz"}));
  EXPECT_FLOAT_EQ(job->sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(job->sampling.top_p, 0.9f);
  EXPECT_EQ(job->sampling.seed, 42u);
  EXPECT_EQ(job->sampling.top_k, 5);
  EXPECT_FLOAT_EQ(job->sampling.min_p, 0.1f);
  EXPECT_FLOAT_EQ(job->sampling.frequency_penalty, 0.5f);
  ASSERT_EQ(job->sampling.logit_bias.size(), 2u);
  EXPECT_EQ(job->sampling.logit_bias[0], (std::pair<int32_t, float>{3, 2.5f}));
  EXPECT_TRUE(std::isinf(job->sampling.logit_bias[1].second));  // -100 bans
  EXPECT_EQ(job->prompt, v.tokenizer->encode("ab", true));
}

TEST(OpenAiJob, DefaultsFollowOpenAi) {
  Vocab v;
  auto job = job_from_request(request(Endpoint::Completions, {{"prompt", "ab"}}), *v.tokenizer, *v.chat, 99);
  ASSERT_TRUE(job.ok());
  EXPECT_FLOAT_EQ(job->sampling.temperature, 1.0f);
  EXPECT_EQ(job->sampling.seed, 99u);       // drawn by the caller when the request names none
  EXPECT_EQ(job->limits.max_tokens, 0);     // the context decides
  EXPECT_TRUE(job->limits.stop.empty());
}

TEST(OpenAiJob, PromptsAsTextTokensOrOneElementArrays) {
  Vocab v;
  const auto text = v.tokenizer->encode("ab", true);
  for (const Json& prompt : {Json("ab"), Json::array({"ab"})}) {
    auto job = job_from_request(request(Endpoint::Completions, {{"prompt", prompt}}), *v.tokenizer, *v.chat, 1);
    ASSERT_TRUE(job.ok()) << prompt;
    EXPECT_EQ(job->prompt, text);
  }
  for (const Json& prompt : {Json::array({1, 5, 7}), Json::array({Json::array({1, 5, 7})})}) {
    auto job = job_from_request(request(Endpoint::Completions, {{"prompt", prompt}}), *v.tokenizer, *v.chat, 1);
    ASSERT_TRUE(job.ok()) << prompt;
    EXPECT_EQ(job->prompt, (std::vector<int32_t>{1, 5, 7}));
  }
}

TEST(OpenAiJob, ChatIsRenderedWithTheTemplate) {
  Vocab v;
  auto job = job_from_request(
      request(Endpoint::ChatCompletions,
              {{"messages", {{{"role", "developer"}, {"content", "be brief"}},
                             {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}}}}}}}),
      *v.tokenizer, *v.chat, 1);
  ASSERT_TRUE(job.ok()) << job.error().message;
  const std::vector<ChatTurn> turns = {{"system", "be brief"}, {"user", "ab"}};
  EXPECT_EQ(job->prompt, encode_chat(*v.tokenizer, *v.chat->render(turns, true)));
}

TEST(OpenAiJob, RefusalsNameTheField) {
  Vocab v;
  struct Case {
    Endpoint endpoint;
    Json body;
    ErrorCode code;
    std::string param;
  };
  const Json hi = {{{"role", "user"}, {"content", "hi"}}};
  const std::vector<Case> cases = {
      {Endpoint::Completions, {{"prompt", "a"}, {"temperature", 3}}, ErrorCode::InvalidRequest, "temperature"},
      {Endpoint::Completions, {{"prompt", "a"}, {"top_p", "x"}}, ErrorCode::InvalidRequest, "top_p"},
      {Endpoint::Completions, {{"prompt", "a"}, {"seed", 1.5}}, ErrorCode::InvalidRequest, "seed"},
      {Endpoint::Completions, {{"prompt", "a"}, {"stop", {"a", "b", "c", "d", "e"}}}, ErrorCode::InvalidRequest, "stop"},
      {Endpoint::Completions, {{"prompt", "a"}, {"logit_bias", {{"x", 1}}}}, ErrorCode::InvalidRequest, "logit_bias"},
      {Endpoint::Completions, {{"prompt", "a"}, {"max_tokens", 0}}, ErrorCode::InvalidRequest, "max_tokens"},
      {Endpoint::Completions, {{"prompt", "a"}, {"n", 2}}, ErrorCode::Unsupported, "n"},
      {Endpoint::Completions, {{"prompt", {"a", "b"}}}, ErrorCode::Unsupported, "prompt"},
      {Endpoint::Completions, {{"prompt", {1, 99999}}}, ErrorCode::InvalidRequest, "prompt"},
      {Endpoint::ChatCompletions, {{"messages", hi}, {"tools", {{{"type", "function"}}}}}, ErrorCode::Unsupported, "tools"},
      {Endpoint::ChatCompletions,
       {{"messages", {{{"role", "user"}, {"content", {{{"type", "image_url"}, {"image_url", {{"url", "x"}}}}}}}}}},
       ErrorCode::Unsupported, "messages[0].content"},
  };
  for (const Case& c : cases) {
    auto job = job_from_request(request(c.endpoint, c.body), *v.tokenizer, *v.chat, 1);
    ASSERT_FALSE(job.ok()) << c.body;
    EXPECT_EQ(job.error().code, c.code) << c.body;
    EXPECT_EQ(job.error().param, c.param) << c.body;
  }
}

TEST(OpenAiJob, ObjectsHaveOpenAisShape) {
  const ResponseHead chat{"chatcmpl-1", 1700000000, "tiny", Endpoint::ChatCompletions};
  const FinishReason length = FinishReason::Length;
  EXPECT_EQ(chunk_object(chat, "Hi", true, nullptr),
            Json::parse(R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"tiny",
              "choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":null}]})"));
  EXPECT_EQ(chunk_object(chat, "", false, &length)["choices"][0],
            Json::parse(R"({"index":0,"delta":{},"logprobs":null,"finish_reason":"length"})"));
  EXPECT_EQ(usage_chunk_object(chat, {3, 4, 7})["usage"], Json::parse(R"({"prompt_tokens":3,"completion_tokens":4,"total_tokens":7})"));
  EXPECT_TRUE(usage_chunk_object(chat, {3, 4, 7})["choices"].empty());
  const Json whole = completion_object(chat, "Hello", FinishReason::EndOfGeneration, {3, 2, 5});
  EXPECT_EQ(whole["object"], "chat.completion");
  EXPECT_EQ(whole["choices"][0]["message"], Json::parse(R"({"role":"assistant","content":"Hello"})"));
  EXPECT_EQ(whole["choices"][0]["finish_reason"], "stop");
  const ResponseHead text{"cmpl-1", 1, "tiny", Endpoint::Completions};
  EXPECT_EQ(chunk_object(text, "x", true, nullptr)["choices"][0]["text"], "x");
  EXPECT_EQ(completion_object(text, "x", FinishReason::Stop, {1, 1, 2})["object"], "text_completion");
  EXPECT_EQ(openai_finish_reason(FinishReason::ContextFull), "length");
}

}  // namespace
}  // namespace hearth::localnode
