// AnthropicUpstream against the FakeUpstream speaking the Messages API, over real sockets.

#include <chrono>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "fakes/fake_upstream.hpp"
#include "fakes/recording_sink.hpp"
#include "fakes/run_source.hpp"
#include "hearth/upstream/http_client.hpp"
#include "hearth/upstream/upstream_config.hpp"

namespace hearth::upstream {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::FakeBehavior;
using testing::FakeToolCall;
using testing::FakeUpstream;
using testing::RecordingSink;

constexpr const char* kKey = "sk-ant-test-key-0123456789";

class AnthropicUpstreamTest : public ::testing::Test {
 protected:
  UpstreamConfig config() const {
    UpstreamConfig c;
    c.name = "claude";
    c.kind = Kind::Anthropic;
    c.base_url = fake.base_url();
    c.api_key = kKey;
    c.timeouts = {Duration(1000), Duration(300), Duration(300), Duration(5000)};
    return c;
  }

  static ChatRequest chat(bool stream, bool include_usage = false) {
    ChatRequest request;
    request.model = "claude-3-5-haiku-latest";
    request.stream = stream;
    request.include_usage = include_usage;
    request.body = Json{{"model", "default"},
                    {"messages",
                     {{{"role", "system"}, {"content", "Be brief."}},
                      {{"role", "user"}, {"content", "Hi"}}}},
                    {"temperature", 0.5}};
    if (stream) request.body.edit()["stream"] = true;
    return request;
  }

  Status run(const ChatRequest& request, RecordingSink& sink) {
    auto source = make_upstream(config(), client);
    return testing::run_source(io, *source, request, sink);
  }

  asio::io_context io;
  FakeUpstream fake{FakeUpstream::Dialect::Anthropic};
  HttpClient client{io.get_executor()};
};

TEST_F(AnthropicUpstreamTest, TranslatesANonStreamedExchange) {
  RecordingSink sink;
  ASSERT_TRUE(run(chat(false), sink).ok());

  const auto sent = fake.last_request();
  EXPECT_EQ(sent.target, "/v1/messages");
  EXPECT_EQ(sent.header("x-api-key"), kKey);
  EXPECT_EQ(sent.header("anthropic-version"), "2023-06-01");
  EXPECT_EQ(sent.header("authorization"), "");
  EXPECT_EQ(sent.json, (Json{{"model", "claude-3-5-haiku-latest"},
                             {"system", "Be brief."},
                             {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                             {"max_tokens", 4096},
                             {"temperature", 0.5}}));

  ASSERT_TRUE(sink.completion().has_value());
  const Json& body = sink.completion()->body.json();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "claude-3-5-haiku-latest");
  EXPECT_EQ(body["choices"][0]["message"], (Json{{"role", "assistant"}, {"content", "Hello from the fake upstream."}}));
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(body["usage"], (Json{{"prompt_tokens", 11}, {"completion_tokens", 7}, {"total_tokens", 18}}));
  EXPECT_EQ(sink.route(), "upstream:claude");
}

TEST_F(AnthropicUpstreamTest, TranslatesToolUseNonStreamed) {
  fake.enqueue(FakeBehavior::answer_with_tools({FakeToolCall{"toolu_1", "get_weather", R"({"city":"Paris"})"}}));
  RecordingSink sink;
  ASSERT_TRUE(run(chat(false), sink).ok());
  const Json& choice = sink.completion()->body.json()["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_TRUE(choice["message"]["content"].is_null());
  EXPECT_EQ(choice["message"]["tool_calls"][0]["id"], "toolu_1");
  EXPECT_EQ(Json::parse(choice["message"]["tool_calls"][0]["function"]["arguments"].get<std::string>()),
            (Json{{"city", "Paris"}}));
}

TEST_F(AnthropicUpstreamTest, TranslatesAStream) {
  FakeBehavior behavior = FakeBehavior::stream(4, 2ms);
  behavior.text = "abcdefgh";
  fake.enqueue(behavior);
  RecordingSink sink;
  ASSERT_TRUE(run(chat(true, /*include_usage=*/true), sink).ok());
  EXPECT_EQ(fake.last_request().json["stream"], true);
  // role chunk, 4 text deltas, finish, usage
  ASSERT_EQ(sink.chunks().size(), 7u);
  EXPECT_EQ(sink.chunks()[0].data.json()["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(sink.streamed_text(), "abcdefgh");
  EXPECT_EQ(sink.chunks()[5].data.json()["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(sink.chunks()[6].data.json()["usage"]["completion_tokens"], 7);
  EXPECT_EQ(sink.chunks()[6].data.json()["usage"]["prompt_tokens"], 11);
}

TEST_F(AnthropicUpstreamTest, StreamsToolCallArguments) {
  FakeBehavior behavior = FakeBehavior::stream(1);
  behavior.text = "Checking.";
  behavior.tool_calls = {FakeToolCall{"toolu_2", "get_weather", R"({"city":"Rome"})"}};
  fake.enqueue(behavior);
  RecordingSink sink;
  ASSERT_TRUE(run(chat(true), sink).ok());
  std::string arguments;
  std::string name;
  for (const auto& chunk : sink.chunks()) {
    const Json& delta = chunk.data.json()["choices"][0]["delta"];
    if (!delta.contains("tool_calls")) continue;
    const Json& call = delta["tool_calls"][0];
    EXPECT_EQ(call["index"], 0);
    if (call.contains("id")) name = call["function"]["name"];
    arguments += call["function"]["arguments"].get<std::string>();
  }
  EXPECT_EQ(name, "get_weather");
  EXPECT_EQ(Json::parse(arguments), (Json{{"city", "Rome"}}));
  EXPECT_EQ(sink.chunks().back().data.json()["choices"][0]["finish_reason"], "tool_calls");
}

TEST_F(AnthropicUpstreamTest, OverloadedIsUpstreamErrorWithItsStatus) {
  fake.enqueue(FakeBehavior::error(529, "Overloaded"));
  RecordingSink sink;
  Status status = run(chat(true), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_EQ(status.error().upstream_status, 529);
  EXPECT_NE(status.error().message.find("Overloaded"), std::string::npos);
  EXPECT_FALSE(sink.committed());
}

TEST_F(AnthropicUpstreamTest, RateLimitCarriesRetryAfter) {
  fake.enqueue(FakeBehavior::error(429, "Number of request tokens has exceeded your rate limit", "7"));
  RecordingSink sink;
  Status status = run(chat(false), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::RateLimited);
  EXPECT_EQ(status.error().retry_after, Duration(7000));
}

TEST_F(AnthropicUpstreamTest, ResetBeforeTheFirstEventLeavesTheSinkUncommitted) {
  fake.enqueue(FakeBehavior::reset_mid_stream(0));
  RecordingSink sink;
  Status status = run(chat(true), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_FALSE(sink.committed());
}

TEST_F(AnthropicUpstreamTest, StreamWithoutMessageStopIsUpstreamError) {
  fake.enqueue(FakeBehavior::truncated_stream(2));
  RecordingSink sink;
  Status status = run(chat(true), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_TRUE(sink.committed());
}

TEST_F(AnthropicUpstreamTest, UntranslatableRequestFailsBeforeSending) {
  ChatRequest request = chat(false);
  request.body.edit()["n"] = 3;
  RecordingSink sink;
  Status status = run(request, sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamRejected);
  EXPECT_EQ(fake.request_count(), 0u);
}

}  // namespace
}  // namespace hearth::upstream
