#include "hearth/gateway/openai_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace hearth::gateway {
namespace {

struct InvalidCase {
  const char* name;
  Endpoint endpoint;
  const char* body;
  ErrorCode code;
  const char* param;
};

class DecodeInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(DecodeInvalid, NamesTheParam) {
  const auto& c = GetParam();
  auto result = decode_request(c.endpoint, c.body);
  ASSERT_FALSE(result.ok()) << c.body;
  EXPECT_EQ(result.error().code, c.code) << c.body;
  EXPECT_EQ(result.error().param, c.param) << c.body;
  EXPECT_FALSE(result.error().message.empty());
}

constexpr auto kChat = Endpoint::ChatCompletions;
constexpr auto kText = Endpoint::Completions;

INSTANTIATE_TEST_SUITE_P(
    Table, DecodeInvalid,
    ::testing::Values(
        InvalidCase{"not_json", kChat, "{\"model\":", ErrorCode::InvalidJson, ""},
        InvalidCase{"empty_body", kChat, "", ErrorCode::InvalidJson, ""},
        InvalidCase{"array_body", kChat, "[1,2]", ErrorCode::InvalidRequest, ""},
        InvalidCase{"string_body", kChat, "\"hi\"", ErrorCode::InvalidRequest, ""},
        InvalidCase{"model_missing", kChat, R"({"messages":[{"role":"user","content":"x"}]})",
                    ErrorCode::InvalidRequest, "model"},
        InvalidCase{"model_number", kChat, R"({"model":3,"messages":[]})",
                    ErrorCode::InvalidRequest, "model"},
        InvalidCase{"model_empty", kChat, R"({"model":"","messages":[]})",
                    ErrorCode::InvalidRequest, "model"},
        InvalidCase{"messages_missing", kChat, R"({"model":"m"})", ErrorCode::InvalidRequest,
                    "messages"},
        InvalidCase{"messages_empty", kChat, R"({"model":"m","messages":[]})",
                    ErrorCode::InvalidRequest, "messages"},
        InvalidCase{"messages_object", kChat, R"({"model":"m","messages":{}})",
                    ErrorCode::InvalidRequest, "messages"},
        InvalidCase{"message_not_object", kChat, R"({"model":"m","messages":["hi"]})",
                    ErrorCode::InvalidRequest, "messages[0]"},
        InvalidCase{"role_missing", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"content":"c"}]})",
                    ErrorCode::InvalidRequest, "messages[2].role"},
        InvalidCase{"role_unknown", kChat,
                    R"({"model":"m","messages":[{"role":"wizard","content":"a"}]})",
                    ErrorCode::InvalidRequest, "messages[0].role"},
        InvalidCase{"content_number", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":5}]})",
                    ErrorCode::InvalidRequest, "messages[0].content"},
        InvalidCase{"content_missing_user", kChat, R"({"model":"m","messages":[{"role":"user"}]})",
                    ErrorCode::InvalidRequest, "messages[0].content"},
        InvalidCase{"content_part_bad", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]})",
                    ErrorCode::InvalidRequest, "messages[0].content[0]"},
        InvalidCase{"stream_string", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"stream":"yes"})",
                    ErrorCode::InvalidRequest, "stream"},
        InvalidCase{"stream_options_array", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"stream_options":[]})",
                    ErrorCode::InvalidRequest, "stream_options"},
        InvalidCase{"include_usage_string", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"stream":true,"stream_options":{"include_usage":"y"}})",
                    ErrorCode::InvalidRequest, "stream_options.include_usage"},
        InvalidCase{"max_tokens_zero", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"max_tokens":0})",
                    ErrorCode::InvalidRequest, "max_tokens"},
        InvalidCase{"max_tokens_float", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"max_tokens":1.5})",
                    ErrorCode::InvalidRequest, "max_tokens"},
        InvalidCase{"max_completion_tokens_negative", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"max_completion_tokens":-3})",
                    ErrorCode::InvalidRequest, "max_completion_tokens"},
        InvalidCase{"max_tokens_huge", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"max_tokens":18446744073709551615})",
                    ErrorCode::InvalidRequest, "max_tokens"},
        InvalidCase{"temperature_high", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"temperature":2.5})",
                    ErrorCode::InvalidRequest, "temperature"},
        InvalidCase{"temperature_string", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"temperature":"hot"})",
                    ErrorCode::InvalidRequest, "temperature"},
        InvalidCase{"top_p_negative", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"top_p":-0.1})",
                    ErrorCode::InvalidRequest, "top_p"},
        InvalidCase{"n_zero", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"n":0})",
                    ErrorCode::InvalidRequest, "n"},
        InvalidCase{"prompt_missing", kText, R"({"model":"m"})", ErrorCode::InvalidRequest,
                    "prompt"},
        InvalidCase{"prompt_object", kText, R"({"model":"m","prompt":{}})",
                    ErrorCode::InvalidRequest, "prompt"},
        InvalidCase{"prompt_empty_array", kText, R"({"model":"m","prompt":[]})",
                    ErrorCode::InvalidRequest, "prompt"},
        InvalidCase{"prompt_mixed_bad", kText, R"({"model":"m","prompt":["a",{}]})",
                    ErrorCode::InvalidRequest, "prompt"},
        // Read from the text, as the tree would have it: a later duplicate wins, null is
        // absent, names may be spelled with escapes, and every part and message is looked at.
        InvalidCase{"model_duplicate_null", kChat,
                    R"({"model":"m","model":null,"messages":[{"role":"user","content":"a"}]})",
                    ErrorCode::InvalidRequest, "model"},
        InvalidCase{"stream_escaped_name", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"str\u0065am":1})",
                    ErrorCode::InvalidRequest, "stream"},
        InvalidCase{"role_null", kChat, R"({"model":"m","messages":[{"role":null,"content":"a"}]})",
                    ErrorCode::InvalidRequest, "messages[0].role"},
        InvalidCase{"role_number", kChat, R"({"model":"m","messages":[{"role":1,"content":"a"}]})",
                    ErrorCode::InvalidRequest, "messages[0].role"},
        InvalidCase{"content_object", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":{"type":"text"}}]})",
                    ErrorCode::InvalidRequest, "messages[0].content"},
        InvalidCase{"content_second_part_bad", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":[{"type":"text"},{"type":null},{"type":3}]}]})",
                    ErrorCode::InvalidRequest, "messages[0].content[1]"},
        InvalidCase{"content_part_not_object", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":[{"type":"text"},"x"]}]})",
                    ErrorCode::InvalidRequest, "messages[0].content[1]"},
        InvalidCase{"second_message_bad", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"},[]]})",
                    ErrorCode::InvalidRequest, "messages[1]"},
        InvalidCase{"nested_too_deep", kChat,
                    R"({"model":"m","messages":[{"role":"user","content":"a"}],"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})",
                    ErrorCode::InvalidRequest, ""},
        InvalidCase{"bom_then_array", kChat, "\xEF\xBB\xBF[]", ErrorCode::InvalidRequest, ""},
        InvalidCase{"two_values", kChat, R"({"model":"m"} {})", ErrorCode::InvalidJson, ""},
        InvalidCase{"bad_utf8", kChat,
                    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\xC3\"}]}",
                    ErrorCode::InvalidJson, ""}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(DecodeRequest, ValidChatKeepsUnknownFieldsAndSetsTypedOnes) {
  const char* body = R"({"model":"default","stream":true,"stream_options":{"include_usage":true},
    "max_tokens":16,"max_completion_tokens":32,"temperature":0.7,"top_p":1,"n":1,
    "tools":[{"type":"function","function":{"name":"f"}}],"seed":42,
    "messages":[{"role":"system","content":"be brief"},
                {"role":"user","content":[{"type":"text","text":"hi"}]},
                {"role":"assistant","content":null,"tool_calls":[]},
                {"role":"tool","content":"42","tool_call_id":"c1"}]})";
  auto result = decode_request(Endpoint::ChatCompletions, body);
  ASSERT_TRUE(result.ok()) << result.error().message;
  const auto& request = *result;
  EXPECT_EQ(request.endpoint, Endpoint::ChatCompletions);
  EXPECT_EQ(request.model, "default");
  EXPECT_TRUE(request.stream);
  EXPECT_TRUE(request.include_usage);
  EXPECT_EQ(request.max_tokens, 32);
  const auto messages = chat_messages(request.body.json());
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0].role, "system");
  EXPECT_EQ(messages[0].content, "be brief");
  EXPECT_TRUE(messages[1].content.is_array());
  EXPECT_TRUE(messages[2].content.is_null());
  EXPECT_EQ(request.body.json()["seed"], 42);
  EXPECT_EQ(request.body.json()["tools"][0]["function"]["name"], "f");
}

TEST(DecodeRequest, IncludeUsageOnlyCountsWhenStreaming) {
  auto result = decode_request(
      Endpoint::ChatCompletions,
      R"({"model":"m","messages":[{"role":"user","content":"a"}],"stream_options":{"include_usage":true}})");
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->stream);
  EXPECT_FALSE(result->include_usage);
}

TEST(DecodeRequest, NullsMeanAbsent) {
  auto result = decode_request(
      Endpoint::ChatCompletions,
      R"({"model":"m","messages":[{"role":"user","content":"a"}],"stream":null,"max_tokens":null,"temperature":null})");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_FALSE(result->stream);
  EXPECT_FALSE(result->max_tokens.has_value());
}

TEST(DecodeRequest, CompletionPromptShapes) {
  for (const char* prompt : {R"("once upon")", R"(["a","b"])", R"([1,2,3])", R"([[1,2],[3]])"}) {
    auto body = std::string(R"({"model":"m","max_tokens":5,"prompt":)") + prompt + "}";
    auto result = decode_request(Endpoint::Completions, body);
    ASSERT_TRUE(result.ok()) << prompt << ": " << result.error().message;
    EXPECT_EQ(result->endpoint, Endpoint::Completions);
    EXPECT_EQ(result->max_tokens, 5);
    EXPECT_EQ(result->body.json()["prompt"], Json::parse(prompt));
  }
}

// The body keeps the client's bytes; the tree made from them on demand is theirs.
TEST(DecodeRequest, KeepsTheClientsBytesAndMakesTheTreeOnDemand) {
  const std::string body =
      "\xEF\xBB\xBF { \"messages\" : [ {\"role\":\"user\", \"content\":\"caf\xC3\xA9 \\u00e9\"} ],"
      " \"model\" : \"m\\u00e9\", \"x\":{\"y\":[1,2.5,null]} } ";
  auto result = decode_request(Endpoint::ChatCompletions, body);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->model, "m\xC3\xA9");
  EXPECT_EQ(result->body.wire_text(), body);
  EXPECT_TRUE(result->body.is_object());
  EXPECT_EQ(result->body.json(), Json::parse(body));
}

// Where the model's value lies, for a proxy to swap, when that is certain.
TEST(DecodeRequest, NotesWhereTheModelLiesWhenThatIsCertain) {
  const std::string plain = R"({"messages":[{"role":"user","content":"a"}], "model" : "m\"x" })";
  auto decoded = decode_request(Endpoint::ChatCompletions, plain);
  ASSERT_TRUE(decoded.ok());
  ASSERT_TRUE(decoded->body.model_value().has_value());
  const auto [begin, end] = *decoded->body.model_value();
  EXPECT_EQ(plain.substr(begin, end - begin), R"("m\"x")");

  // Two members of the name, a name that may spell it with escapes: the proxy must look again.
  const std::pair<std::string, std::string> unsure[] = {
      {R"({"model":"a","messages":[{"role":"user","content":"a"}],"model":"b"})", "b"},
      {R"({"model":"a","messages":[{"role":"user","content":"a"}],"\u006dodel":"b"})", "b"},
      {R"({"model":"a","messages":[{"role":"user","content":"a"}],"x\n":1})", "a"}};
  for (const auto& [body, model] : unsure) {
    decoded = decode_request(Endpoint::ChatCompletions, body);
    ASSERT_TRUE(decoded.ok()) << body;
    EXPECT_EQ(decoded->model, model) << body;
    EXPECT_FALSE(decoded->body.model_value().has_value()) << body;
  }
}

TEST(DecodeRequest, RefusesDeepNestingBeforeParsing) {
  std::string body = R"({"model":"m","x":)" + std::string(1000, '[') + std::string(1000, ']') + "}";
  auto result = decode_request(Endpoint::ChatCompletions, body);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::InvalidRequest);
}

TEST(JsonTooDeep, IgnoresBracketsInStrings) {
  EXPECT_FALSE(json_too_deep(R"({"a":"[[[[[[[[[[\"[[[["})", 3));
  EXPECT_TRUE(json_too_deep(R"([[[[1]]]])", 3));
  EXPECT_FALSE(json_too_deep(R"([[[1]]])", 3));
}

TEST(ModelsList, HasTheOpenAiShape) {
  auto list = models_list({{"default", "hearth"}, {"tiny", "local"}}, 1700000000);
  EXPECT_EQ(list["object"], "list");
  ASSERT_EQ(list["data"].size(), 2u);
  EXPECT_EQ(list["data"][0], (Json{{"id", "default"}, {"object", "model"},
                                   {"created", 1700000000}, {"owned_by", "hearth"}}));
  EXPECT_EQ(list["data"][1]["owned_by"], "local");
}

TEST(DumpJson, ReplacesInvalidUtf8InsteadOfThrowing) {
  Json value = std::string("bad \xff byte");
  EXPECT_NO_THROW({ auto text = dump_json(value); EXPECT_NE(text.find("bad"), std::string::npos); });
}

}  // namespace
}  // namespace hearth::gateway
