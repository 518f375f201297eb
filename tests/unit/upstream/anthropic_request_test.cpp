#include "hearth/upstream/anthropic_translate.hpp"

#include <gtest/gtest.h>

namespace hearth::upstream {
namespace {

ChatRequest request_for(Json body, Endpoint endpoint = Endpoint::ChatCompletions) {
  ChatRequest request;
  request.endpoint = endpoint;
  request.model = "claude-3-5-haiku-latest";
  request.stream = body.value("stream", false);
  request.body = std::move(body);
  return request;
}

struct TranslationCase {
  const char* name;
  Json body;
  Json expected;  // the whole Messages API body
};

TEST(AnthropicRequest, TranslatesTable) {
  const Json user_hi = Json::array({{{"role", "user"}, {"content", "Hi"}}});
  const std::vector<TranslationCase> cases = {
      {"minimal_gets_default_max_tokens",
       {{"model", "public"}, {"messages", user_hi}},
       {{"model", "claude-3-5-haiku-latest"}, {"messages", user_hi}, {"max_tokens", 4096}}},
      {"system_and_developer_become_top_level_system",
       {{"messages",
         {{{"role", "system"}, {"content", "Be brief."}},
          {{"role", "developer"}, {"content", {{{"type", "text"}, {"text", "Use French."}}}}},
          {{"role", "user"}, {"content", "Hi"}}}}},
       {{"model", "claude-3-5-haiku-latest"},
        {"system", "Be brief.\n\nUse French."},
        {"messages", user_hi},
        {"max_tokens", 4096}}},
      {"sampling_stop_user_and_limits",
       {{"messages", user_hi},
        {"max_completion_tokens", 50},
        {"temperature", 0.2},
        {"top_p", 0.9},
        {"stop", "END"},
        {"user", "alice"},
        {"seed", 7},
        {"frequency_penalty", 0.5}},
       {{"model", "claude-3-5-haiku-latest"},
        {"messages", user_hi},
        {"max_tokens", 50},
        {"temperature", 0.2},
        {"top_p", 0.9},
        {"stop_sequences", {"END"}},
        {"metadata", {{"user_id", "alice"}}}}},
      {"stop_array_and_legacy_max_tokens",
       {{"messages", user_hi}, {"max_tokens", 20}, {"stop", {"a", "b"}}, {"stream", true}},
       {{"model", "claude-3-5-haiku-latest"},
        {"messages", user_hi},
        {"max_tokens", 20},
        {"stop_sequences", {"a", "b"}},
        {"stream", true}}},
      {"images_by_data_url_and_by_url",
       {{"messages",
         {{{"role", "user"},
           {"content",
            {{{"type", "text"}, {"text", "What is this?"}},
             {{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,iVBORw0KGgo="}}}},
             {{"type", "image_url"}, {"image_url", {{"url", "https://example.com/cat.jpg"}, {"detail", "low"}}}}}}}}}},
       {{"model", "claude-3-5-haiku-latest"},
        {"messages",
         {{{"role", "user"},
           {"content",
            {{{"type", "text"}, {"text", "What is this?"}},
             {{"type", "image"},
              {"source", {{"type", "base64"}, {"media_type", "image/png"}, {"data", "iVBORw0KGgo="}}}},
             {{"type", "image"}, {"source", {{"type", "url"}, {"url", "https://example.com/cat.jpg"}}}}}}}}},
        {"max_tokens", 4096}}},
      {"tools_and_forced_function",
       {{"messages", user_hi},
        {"tools",
         {{{"type", "function"},
           {"function",
            {{"name", "get_weather"},
             {"description", "Weather for a city"},
             {"parameters", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}}},
          {{"type", "function"}, {"function", {{"name", "now"}}}}}},
        {"tool_choice", {{"type", "function"}, {"function", {{"name", "get_weather"}}}}}},
       {{"model", "claude-3-5-haiku-latest"},
        {"messages", user_hi},
        {"max_tokens", 4096},
        {"tools",
         {{{"name", "get_weather"},
           {"description", "Weather for a city"},
           {"input_schema", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}},
          {{"name", "now"}, {"input_schema", {{"type", "object"}, {"properties", Json::object()}}}}}},
        {"tool_choice", {{"type", "tool"}, {"name", "get_weather"}}}}},
      {"tool_choice_required_and_no_parallel",
       {{"messages", user_hi},
        {"tools", {{{"type", "function"}, {"function", {{"name", "f"}}}}}},
        {"tool_choice", "required"},
        {"parallel_tool_calls", false}},
       {{"model", "claude-3-5-haiku-latest"},
        {"messages", user_hi},
        {"max_tokens", 4096},
        {"tools", {{{"name", "f"}, {"input_schema", {{"type", "object"}, {"properties", Json::object()}}}}}},
        {"tool_choice", {{"type", "any"}, {"disable_parallel_tool_use", true}}}}},
      {"assistant_tool_calls_and_merged_tool_results",
       {{"messages",
         {{{"role", "user"}, {"content", "Weather in Paris and Rome?"}},
          {{"role", "assistant"},
           {"content", nullptr},
           {"tool_calls",
            {{{"id", "call_1"}, {"type", "function"},
              {"function", {{"name", "get_weather"}, {"arguments", R"({"city":"Paris"})"}}}},
             {{"id", "call_2"}, {"type", "function"},
              {"function", {{"name", "get_weather"}, {"arguments", R"({"city":"Rome"})"}}}}}}},
          {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "18C"}},
          {{"role", "tool"}, {"tool_call_id", "call_2"}, {"content", "24C"}},
          {{"role", "assistant"}, {"content", "Paris 18C, Rome 24C."}},
          {{"role", "user"}, {"content", "Thanks"}}}}},
       {{"model", "claude-3-5-haiku-latest"},
        {"messages",
         {{{"role", "user"}, {"content", "Weather in Paris and Rome?"}},
          {{"role", "assistant"},
           {"content",
            {{{"type", "tool_use"}, {"id", "call_1"}, {"name", "get_weather"}, {"input", {{"city", "Paris"}}}},
             {{"type", "tool_use"}, {"id", "call_2"}, {"name", "get_weather"}, {"input", {{"city", "Rome"}}}}}}},
          {{"role", "user"},
           {"content",
            {{{"type", "tool_result"}, {"tool_use_id", "call_1"}, {"content", "18C"}},
             {{"type", "tool_result"}, {"tool_use_id", "call_2"}, {"content", "24C"}}}}},
          {{"role", "assistant"}, {"content", "Paris 18C, Rome 24C."}},
          {{"role", "user"}, {"content", "Thanks"}}}},
        {"max_tokens", 4096}}},
      {"assistant_text_before_tool_call",
       {{"messages",
         {{{"role", "user"}, {"content", "Hi"}},
          {{"role", "assistant"},
           {"content", "Let me check."},
           {"tool_calls",
            {{{"id", "c"}, {"type", "function"}, {"function", {{"name", "now"}, {"arguments", ""}}}}}}}}}},
       {{"model", "claude-3-5-haiku-latest"},
        {"messages",
         {{{"role", "user"}, {"content", "Hi"}},
          {{"role", "assistant"},
           {"content",
            {{{"type", "text"}, {"text", "Let me check."}},
             {{"type", "tool_use"}, {"id", "c"}, {"name", "now"}, {"input", Json::object()}}}}}}},
        {"max_tokens", 4096}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto translated = to_anthropic_request(request_for(c.body));
    ASSERT_TRUE(translated.ok()) << translated.error().message;
    EXPECT_EQ(*translated, c.expected) << translated->dump(2);
  }
}

TEST(AnthropicRequest, TypedMaxTokensWins) {
  ChatRequest request = request_for({{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"max_tokens", 9}});
  request.max_tokens = 33;
  auto translated = to_anthropic_request(request);
  ASSERT_TRUE(translated.ok());
  EXPECT_EQ((*translated)["max_tokens"], 33);
}

TEST(AnthropicRequest, WrapsACompletionsPromptAsOneUserMessage) {
  auto translated = to_anthropic_request(
      request_for({{"prompt", "Once upon a time"}, {"max_tokens", 16}}, Endpoint::Completions));
  ASSERT_TRUE(translated.ok());
  EXPECT_EQ(*translated, (Json{{"model", "claude-3-5-haiku-latest"},
                               {"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}},
                               {"max_tokens", 16}}));
}

TEST(AnthropicRequest, RejectsWhatCannotBeTranslated) {
  struct Case {
    const char* name;
    Json body;
    ErrorCode code;
    const char* param;
  };
  const Json user_hi = Json::array({{{"role", "user"}, {"content", "Hi"}}});
  const std::vector<Case> cases = {
      {"no_messages", Json::object(), ErrorCode::InvalidRequest, "messages"},
      {"bad_tool_arguments",
       {{"messages",
         {{{"role", "assistant"},
           {"tool_calls", {{{"id", "c"}, {"function", {{"name", "f"}, {"arguments", "{oops"}}}}}}}}}},
       ErrorCode::InvalidRequest, "messages[0].tool_calls[0].function.arguments"},
      {"tool_without_id", {{"messages", {{{"role", "tool"}, {"content", "x"}}}}}, ErrorCode::InvalidRequest,
       "messages[0].tool_call_id"},
      {"n_above_one", {{"messages", user_hi}, {"n", 2}}, ErrorCode::UpstreamRejected, "n"},
      {"audio_part",
       {{"messages", {{{"role", "user"}, {"content", {{{"type", "input_audio"}, {"input_audio", Json::object()}}}}}}}},
       ErrorCode::UpstreamRejected, "messages[0].content[0].type"},
      {"bad_tool_choice", {{"messages", user_hi}, {"tool_choice", 3}}, ErrorCode::InvalidRequest, "tool_choice"},
      {"image_data_not_base64",
       {{"messages",
         {{{"role", "user"},
           {"content", {{{"type", "image_url"}, {"image_url", {{"url", "data:image/png,raw"}}}}}}}}}},
       ErrorCode::InvalidRequest, "messages[0].content[0].image_url.url"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto translated = to_anthropic_request(request_for(c.body));
    ASSERT_FALSE(translated.ok());
    EXPECT_EQ(translated.error().code, c.code);
    EXPECT_EQ(translated.error().param, c.param);
  }
}

TEST(AnthropicRequest, WrongJsonTypesAreErrorsNotExceptions) {
  const std::vector<Json> bodies = {
      {{"messages",
        {{{"role", "assistant"},
          {"tool_calls", {{{"id", "c"}, {"function", {{"name", "f"}, {"arguments", {{"a", 1}}}}}}}}}}}},
      {{"messages", {{{"role", "user"}, {"content", {{{"type", 7}}}}}}}},
      {{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"tools", {{{"type", 1}}}}},
  };
  for (const auto& body : bodies) {
    auto translated = to_anthropic_request(request_for(body));
    EXPECT_FALSE(translated.ok()) << body.dump();
  }
}

}  // namespace
}  // namespace hearth::upstream
