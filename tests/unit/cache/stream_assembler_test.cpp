// StreamAssembler: a stream as OpenAI sends it folds into the completion a non-streamed
// request would have got; broken or unfinished streams fold into nothing.

#include "hearth/cache/stream_assembler.hpp"

#include <gtest/gtest.h>

namespace hearth::cache {
namespace {

Json chunk(const std::string& choices, const std::string& extra = "") {
  return Json::parse(R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,)"
                     R"("model":"gpt-4o-mini","system_fingerprint":"fp_x",)" + extra +
                     R"("choices":)" + choices + "}");
}

TEST(StreamAssembler, ContentStream) {
  StreamAssembler assembler(1 << 20);
  assembler.add(chunk(R"([{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}])"));
  assembler.add(chunk(R"([{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}])"));
  assembler.add(chunk(R"([{"index":0,"delta":{"content":"lo."},"logprobs":null,"finish_reason":null}])"));
  assembler.add(chunk(R"([{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}])"));
  assembler.add(chunk("[]", R"("usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5},)"));
  auto body = assembler.completion();
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(*body, Json::parse(R"({"id":"chatcmpl-1","object":"chat.completion","created":1700000000,
      "model":"gpt-4o-mini","system_fingerprint":"fp_x",
      "choices":[{"index":0,"message":{"role":"assistant","content":"Hello."},"logprobs":null,"finish_reason":"stop"}],
      "usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})"));
}

TEST(StreamAssembler, ToolCallDeltasJoinByIndex) {
  StreamAssembler assembler(1 << 20);
  assembler.add(chunk(R"([{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null}])"));
  assembler.add(chunk(R"([{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":"}}]},"finish_reason":null}])"));
  assembler.add(chunk(R"([{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]},"finish_reason":null}])"));
  assembler.add(chunk(R"([{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"finish_reason":null}])"));
  assembler.add(chunk(R"([{"index":0,"delta":{},"finish_reason":"tool_calls"}])"));
  auto body = assembler.completion();
  ASSERT_TRUE(body.ok()) << body.error().message;
  const Json& message = (*body)["choices"][0]["message"];
  EXPECT_TRUE(message["content"].is_null());
  EXPECT_EQ(message["tool_calls"], Json::parse(R"([
      {"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}},
      {"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}])"));
  EXPECT_EQ((*body)["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_FALSE(body->contains("usage"));
}

TEST(StreamAssembler, LogprobsAreJoined) {
  StreamAssembler assembler(1 << 20);
  assembler.add(chunk(R"([{"index":0,"delta":{"content":"a"},"logprobs":{"content":[{"token":"a","logprob":-0.1}]},"finish_reason":null}])"));
  assembler.add(chunk(R"([{"index":0,"delta":{"content":"b"},"logprobs":{"content":[{"token":"b","logprob":-0.2}]},"finish_reason":"stop"}])"));
  auto body = assembler.completion();
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)["choices"][0]["logprobs"]["content"].size(), 2u);
}

TEST(StreamAssembler, WhatSpoilsTheResult) {
  {
    StreamAssembler unfinished(1 << 20);
    unfinished.add(chunk(R"([{"index":0,"delta":{"content":"Hel"},"finish_reason":null}])"));
    EXPECT_FALSE(unfinished.completion().ok()) << "a stream that broke before its finish";
  }
  {
    StreamAssembler empty(1 << 20);
    EXPECT_FALSE(empty.completion().ok());
  }
  {
    StreamAssembler errored(1 << 20);
    errored.add(chunk(R"([{"index":0,"delta":{"content":"x"},"finish_reason":null}])"));
    errored.add(Json::parse(R"({"error":{"message":"boom"}})"));
    errored.add(chunk(R"([{"index":0,"delta":{},"finish_reason":"stop"}])"));
    EXPECT_FALSE(errored.completion().ok());
  }
  {
    StreamAssembler malformed(1 << 20);
    malformed.add(chunk(R"([{"index":0,"delta":{"content":7},"finish_reason":null}])"));
    malformed.add(chunk(R"([{"index":0,"delta":{},"finish_reason":"stop"}])"));
    EXPECT_FALSE(malformed.completion().ok());
  }
  {
    StreamAssembler small(10);
    small.add(chunk(R"([{"index":0,"delta":{"content":"more than ten bytes"},"finish_reason":null}])"));
    small.add(chunk(R"([{"index":0,"delta":{},"finish_reason":"stop"}])"));
    EXPECT_FALSE(small.completion().ok()) << "over the entry limit";
  }
}

TEST(StreamAssembler, TextCompletionStream) {
  StreamAssembler assembler(1 << 20);
  assembler.add(Json::parse(R"({"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"text":"once ","index":0,"logprobs":null,"finish_reason":null}]})"));
  assembler.add(Json::parse(R"({"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"text":"upon","index":0,"logprobs":null,"finish_reason":"length"}]})"));
  auto body = assembler.completion();
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ((*body)["object"], "text_completion");
  EXPECT_EQ((*body)["choices"][0]["text"], "once upon");
  EXPECT_EQ((*body)["choices"][0]["finish_reason"], "length");
}

}  // namespace
}  // namespace hearth::cache
