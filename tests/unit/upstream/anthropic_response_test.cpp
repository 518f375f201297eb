#include <gtest/gtest.h>

#include "hearth/upstream/anthropic_translate.hpp"

namespace hearth::upstream {
namespace {

const Json kTextMessage = {
    {"id", "msg_1"},
    {"type", "message"},
    {"role", "assistant"},
    {"model", "claude-3-5-haiku-20241022"},
    {"content", {{{"type", "text"}, {"text", "Hello"}}, {{"type", "text"}, {"text", " there"}}}},
    {"stop_reason", "end_turn"},
    {"stop_sequence", nullptr},
    {"usage", {{"input_tokens", 12}, {"output_tokens", 5}}}};

TEST(AnthropicResponse, TranslatesATextMessage) {
  auto completion = from_anthropic_message(kTextMessage, Endpoint::ChatCompletions, 1700000000);
  ASSERT_TRUE(completion.ok());
  EXPECT_EQ(*completion,
            (Json{{"id", "msg_1"},
                  {"object", "chat.completion"},
                  {"created", 1700000000},
                  {"model", "claude-3-5-haiku-20241022"},
                  {"choices",
                   {{{"index", 0},
                     {"message", {{"role", "assistant"}, {"content", "Hello there"}}},
                     {"logprobs", nullptr},
                     {"finish_reason", "stop"}}}},
                  {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 5}, {"total_tokens", 17}}}}));
}

TEST(AnthropicResponse, TranslatesToolUseIntoToolCalls) {
  Json message = kTextMessage;
  message["content"] = {{{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "get_weather"},
                         {"input", {{"city", "Paris"}}}}};
  message["stop_reason"] = "tool_use";
  auto completion = from_anthropic_message(message, Endpoint::ChatCompletions, 1);
  ASSERT_TRUE(completion.ok());
  const Json& choice = (*completion)["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_TRUE(choice["message"]["content"].is_null());
  EXPECT_EQ(choice["message"]["tool_calls"],
            (Json{{{"id", "toolu_1"},
                   {"type", "function"},
                   {"function", {{"name", "get_weather"}, {"arguments", R"({"city":"Paris"})"}}}}}));
}

TEST(AnthropicResponse, AnswersCompletionsInTextCompletionShape) {
  auto completion = from_anthropic_message(kTextMessage, Endpoint::Completions, 5);
  ASSERT_TRUE(completion.ok());
  EXPECT_EQ((*completion)["object"], "text_completion");
  EXPECT_EQ((*completion)["choices"][0]["text"], "Hello there");
  EXPECT_EQ((*completion)["choices"][0]["finish_reason"], "stop");
}

TEST(AnthropicResponse, MapsFinishReasons) {
  const std::pair<Json, Json> cases[] = {
      {"end_turn", "stop"},       {"stop_sequence", "stop"},     {"max_tokens", "length"},
      {"tool_use", "tool_calls"}, {"refusal", "content_filter"}, {nullptr, nullptr},
  };
  for (const auto& [stop_reason, finish_reason] : cases) {
    EXPECT_EQ(finish_reason_from_anthropic(stop_reason), finish_reason) << stop_reason;
  }
}

TEST(AnthropicResponse, CountsCachedTokensAsPrompt) {
  EXPECT_EQ(usage_from_anthropic({{"input_tokens", 10},
                                  {"cache_read_input_tokens", 100},
                                  {"cache_creation_input_tokens", 5},
                                  {"output_tokens", 3}}),
            (Json{{"prompt_tokens", 115}, {"completion_tokens", 3}, {"total_tokens", 118}}));
}

TEST(AnthropicResponse, RejectsAMalformedMessage) {
  auto completion = from_anthropic_message({{"id", "x"}}, Endpoint::ChatCompletions, 1);
  ASSERT_FALSE(completion.ok());
  EXPECT_EQ(completion.error().code, ErrorCode::UpstreamError);
}

// Feeds events and returns every chunk produced.
std::vector<Json> feed_all(AnthropicStreamTranslator& translator,
                           const std::vector<std::pair<std::string, Json>>& events) {
  std::vector<Json> chunks;
  for (const auto& [name, data] : events) {
    auto out = translator.feed(name, data);
    EXPECT_TRUE(out.ok()) << name << ": " << out.error().message;
    if (!out.ok()) break;
    for (auto& chunk : *out) chunks.push_back(chunk);
  }
  return chunks;
}

const Json kMessageStart = {{"type", "message_start"},
                            {"message",
                             {{"id", "msg_9"},
                              {"type", "message"},
                              {"role", "assistant"},
                              {"model", "claude-x"},
                              {"content", Json::array()},
                              {"usage", {{"input_tokens", 25}, {"output_tokens", 1}}}}}};

Json text_delta(const char* text) {
  return {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "text_delta"}, {"text", text}}}};
}

TEST(AnthropicStream, TranslatesTextStream) {
  AnthropicStreamTranslator translator(Endpoint::ChatCompletions, /*include_usage=*/true, 42);
  auto chunks = feed_all(
      translator,
      {{"message_start", kMessageStart},
       {"content_block_start", {{"index", 0}, {"content_block", {{"type", "text"}, {"text", ""}}}}},
       {"ping", {{"type", "ping"}}},
       {"content_block_delta", text_delta("Hel")},
       {"content_block_delta", text_delta("lo")},
       {"content_block_stop", {{"index", 0}}},
       {"message_delta", {{"delta", {{"stop_reason", "end_turn"}}}, {"usage", {{"output_tokens", 2}}}}},
       {"message_stop", {{"type", "message_stop"}}}});
  ASSERT_EQ(chunks.size(), 5u);
  for (const auto& chunk : chunks) {
    EXPECT_EQ(chunk["id"], "msg_9");
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["created"], 42);
    EXPECT_EQ(chunk["model"], "claude-x");
  }
  EXPECT_EQ(chunks[0]["choices"][0]["delta"], (Json{{"role", "assistant"}, {"content", ""}}));
  EXPECT_EQ(chunks[1]["choices"][0]["delta"], (Json{{"content", "Hel"}}));
  EXPECT_EQ(chunks[2]["choices"][0]["delta"], (Json{{"content", "lo"}}));
  EXPECT_TRUE(chunks[2]["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(chunks[3]["choices"][0]["delta"], Json::object());
  EXPECT_EQ(chunks[3]["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(chunks[4]["choices"], Json::array());
  EXPECT_EQ(chunks[4]["usage"], (Json{{"prompt_tokens", 25}, {"completion_tokens", 2}, {"total_tokens", 27}}));
  EXPECT_TRUE(translator.finished());
}

TEST(AnthropicStream, TranslatesToolUseWithJsonDeltas) {
  AnthropicStreamTranslator translator(Endpoint::ChatCompletions, /*include_usage=*/false, 1);
  auto chunks = feed_all(
      translator,
      {{"message_start", kMessageStart},
       {"content_block_start",
        {{"index", 1},
         {"content_block", {{"type", "tool_use"}, {"id", "toolu_7"}, {"name", "get_weather"}, {"input", Json::object()}}}}},
       {"content_block_delta",
        {{"index", 1}, {"delta", {{"type", "input_json_delta"}, {"partial_json", "{\"city\":"}}}}},
       {"content_block_delta",
        {{"index", 1}, {"delta", {{"type", "input_json_delta"}, {"partial_json", "\"Paris\"}"}}}}},
       {"content_block_stop", {{"index", 1}}},
       {"message_delta", {{"delta", {{"stop_reason", "tool_use"}}}, {"usage", {{"output_tokens", 9}}}}},
       {"message_stop", Json::object()}});
  ASSERT_EQ(chunks.size(), 5u);  // role, tool start, 2 argument deltas, finish; no usage
  EXPECT_EQ(chunks[1]["choices"][0]["delta"],
            (Json{{"tool_calls",
                   {{{"index", 0},
                     {"id", "toolu_7"},
                     {"type", "function"},
                     {"function", {{"name", "get_weather"}, {"arguments", ""}}}}}}}));
  EXPECT_EQ(chunks[2]["choices"][0]["delta"],
            (Json{{"tool_calls", {{{"index", 0}, {"function", {{"arguments", "{\"city\":"}}}}}}}));
  EXPECT_EQ(chunks[3]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "\"Paris\"}");
  EXPECT_EQ(chunks[4]["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_TRUE(translator.finished());
}

TEST(AnthropicStream, MapsMaxTokensToLength) {
  AnthropicStreamTranslator translator(Endpoint::ChatCompletions, false, 1);
  auto chunks = feed_all(translator, {{"message_start", kMessageStart},
                                      {"message_delta", {{"delta", {{"stop_reason", "max_tokens"}}}}}});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1]["choices"][0]["finish_reason"], "length");
  EXPECT_FALSE(translator.finished());
}

TEST(AnthropicStream, StreamsCompletionsAsTextCompletionChunks) {
  AnthropicStreamTranslator translator(Endpoint::Completions, false, 1);
  auto chunks = feed_all(translator, {{"message_start", kMessageStart},
                                      {"content_block_delta", text_delta("Once")},
                                      {"message_delta", {{"delta", {{"stop_reason", "end_turn"}}}}},
                                      {"message_stop", Json::object()}});
  ASSERT_EQ(chunks.size(), 2u);  // no role chunk for text completions
  EXPECT_EQ(chunks[0]["object"], "text_completion");
  EXPECT_EQ(chunks[0]["choices"][0]["text"], "Once");
  EXPECT_EQ(chunks[1]["choices"][0]["finish_reason"], "stop");
}

TEST(AnthropicStream, ErrorEventIsAnUpstreamError) {
  AnthropicStreamTranslator translator(Endpoint::ChatCompletions, false, 1);
  ASSERT_TRUE(translator.feed("message_start", kMessageStart).ok());
  auto out = translator.feed(
      "error", {{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::UpstreamError);
  EXPECT_NE(out.error().message.find("Overloaded"), std::string::npos);
}

TEST(AnthropicStream, RejectsEventsBeforeMessageStart) {
  AnthropicStreamTranslator translator(Endpoint::ChatCompletions, false, 1);
  EXPECT_TRUE(translator.feed("ping", Json::object()).ok());
  auto out = translator.feed("content_block_delta", text_delta("x"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::UpstreamError);
}

TEST(AnthropicStream, IgnoresUnknownEventsAndThinking) {
  AnthropicStreamTranslator translator(Endpoint::ChatCompletions, false, 1);
  ASSERT_TRUE(translator.feed("message_start", kMessageStart).ok());
  auto out = translator.feed("future_event", {{"x", 1}});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
  out = translator.feed("content_block_delta",
                        {{"index", 0}, {"delta", {{"type", "thinking_delta"}, {"thinking", "hmm"}}}});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
}

TEST(AnthropicResponse, WrongJsonTypesFromTheUpstreamAreErrors) {
  Json message = kTextMessage;
  message["id"] = 5;
  auto completion = from_anthropic_message(message, Endpoint::ChatCompletions, 1);
  ASSERT_FALSE(completion.ok());
  EXPECT_EQ(completion.error().code, ErrorCode::UpstreamError);

  AnthropicStreamTranslator translator(Endpoint::ChatCompletions, false, 1);
  auto out = translator.feed("message_start", {{"message", {{"id", 5}}}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::UpstreamError);
}

}  // namespace
}  // namespace hearth::upstream
