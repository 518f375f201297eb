// OpenAiUpstream and HttpClient against the in-process FakeUpstream, over real sockets.

#include <chrono>
#include <optional>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
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
using testing::FakeUpstream;
using testing::RecordingSink;

constexpr const char* kKey = "sk-test-0123456789abcdef";

class OpenAiUpstreamTest : public ::testing::Test {
 protected:
  UpstreamConfig config() const {
    UpstreamConfig c;
    c.name = "openai";
    c.kind = Kind::OpenAi;
    c.base_url = fake.base_url();
    c.api_key = kKey;
    c.timeouts = {Duration(1000), Duration(300), Duration(300), Duration(5000)};
    c.extra_headers = {{"OpenAI-Organization", "org-hearth"}};
    return c;
  }

  static ChatRequest chat(bool stream, bool include_usage = false) {
    ChatRequest request;
    request.model = "gpt-4o-mini";  // the router's rewrite of the public name
    request.stream = stream;
    request.include_usage = include_usage;
    request.body = Json{{"model", "default"},
                    {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                    {"seed", 42},
                    {"logprobs", true},
                    {"response_format", {{"type", "json_object"}}},
                    {"tools", {{{"type", "function"}, {"function", {{"name", "f"}}}}}},
                    {"x_vendor_field", {{"nested", {1, 2, 3}}}}};
    if (stream) request.body.edit()["stream"] = true;
    if (include_usage) request.body.edit()["stream_options"] = {{"include_usage", true}};
    return request;
  }

  // Runs the source to completion on the test's io_context; `signal` may cancel it.
  Status run(const ChatRequest& request, RecordingSink& sink,
             asio::cancellation_signal* signal = nullptr, UpstreamConfig cfg = {}) {
    if (cfg.name.empty()) cfg = config();
    auto source = make_upstream(cfg, client);
    return testing::run_source(io, *source, request, sink, signal);
  }

  asio::io_context io;
  FakeUpstream fake{FakeUpstream::Dialect::OpenAi};
  HttpClient client{io.get_executor()};
};

TEST_F(OpenAiUpstreamTest, PassesTheBodyThroughAndReturnsTheCompletion) {
  RecordingSink sink;
  ASSERT_TRUE(run(chat(false), sink).ok());

  ASSERT_EQ(fake.request_count(), 1u);
  const auto sent = fake.last_request();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.target, "/v1/chat/completions");
  EXPECT_EQ(sent.header("authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(sent.header("openai-organization"), "org-hearth");
  EXPECT_EQ(sent.header("content-type"), "application/json");
  Json expected = chat(false).body.json();
  expected["model"] = "gpt-4o-mini";
  EXPECT_EQ(sent.json, expected);

  ASSERT_TRUE(sink.completion().has_value());
  const Json& body = sink.completion()->body.json();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "gpt-4o-mini");
  EXPECT_EQ(body["system_fingerprint"], "fp_fake");  // fields pass through as sent
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Hello from the fake upstream.");
  EXPECT_EQ(sink.route(), "upstream:openai");
  EXPECT_TRUE(sink.chunks().empty());
}

TEST_F(OpenAiUpstreamTest, SendsCompletionsToTheCompletionsPath) {
  ChatRequest request;
  request.endpoint = Endpoint::Completions;
  request.model = "gpt-3.5-turbo-instruct";
  request.body = Json{{"model", "x"}, {"prompt", "Say hi"}, {"max_tokens", 5}};
  RecordingSink sink;
  ASSERT_TRUE(run(request, sink).ok());
  EXPECT_EQ(fake.last_request().target, "/v1/completions");
  ASSERT_TRUE(sink.completion().has_value());
  EXPECT_EQ(sink.completion()->body.json()["object"], "text_completion");
}

TEST_F(OpenAiUpstreamTest, OmitsAuthorizationWithoutAKey) {
  UpstreamConfig cfg = config();
  cfg.api_key.clear();
  RecordingSink sink;
  ASSERT_TRUE(run(chat(false), sink, nullptr, cfg).ok());
  EXPECT_EQ(fake.last_request().header("authorization"), "");
}

TEST_F(OpenAiUpstreamTest, StreamsEveryChunkInOrder) {
  FakeBehavior behavior = FakeBehavior::stream(5, 2ms);
  behavior.text = "one two three four five";
  fake.enqueue(behavior);
  RecordingSink sink;
  ASSERT_TRUE(run(chat(true), sink).ok());
  ASSERT_EQ(sink.chunks().size(), 6u);  // 5 content chunks + the finish chunk
  EXPECT_EQ(sink.streamed_text(), "one two three four five");
  EXPECT_EQ(sink.chunks().back().data.json()["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(sink.chunks()[0].data.json()["object"], "chat.completion.chunk");
  EXPECT_EQ(fake.last_request().json["stream"], true);
  EXPECT_EQ(sink.route(), "upstream:openai");
}

TEST_F(OpenAiUpstreamTest, StreamsTheUsageChunkWhenAsked) {
  fake.enqueue(FakeBehavior::stream(2));
  RecordingSink sink;
  ASSERT_TRUE(run(chat(true, /*include_usage=*/true), sink).ok());
  ASSERT_EQ(sink.chunks().size(), 4u);
  const Json& last = sink.chunks().back().data.json();
  EXPECT_EQ(last["choices"], Json::array());
  EXPECT_EQ(last["usage"]["total_tokens"], 18);
  EXPECT_EQ(fake.last_request().json["stream_options"]["include_usage"], true);
}

TEST_F(OpenAiUpstreamTest, RateLimitCarriesRetryAfter) {
  fake.enqueue(FakeBehavior::error(429, "Rate limit reached", "2"));
  RecordingSink sink;
  Status status = run(chat(true), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::RateLimited);
  EXPECT_EQ(status.error().upstream_status, 429);
  EXPECT_EQ(status.error().retry_after, Duration(2000));
  EXPECT_NE(status.error().message.find("Rate limit reached"), std::string::npos);
  EXPECT_FALSE(sink.committed());
}

TEST_F(OpenAiUpstreamTest, PrefersRetryAfterMs) {
  FakeBehavior behavior = FakeBehavior::error(429, "slow down", "3");
  behavior.headers = {{"retry-after-ms", "1500"}};
  fake.enqueue(behavior);
  RecordingSink sink;
  Status status = run(chat(false), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().retry_after, Duration(1500));
}

TEST_F(OpenAiUpstreamTest, ServerErrorIsUpstreamError) {
  fake.enqueue(FakeBehavior::error(503, "The engine is currently overloaded"));
  RecordingSink sink;
  Status status = run(chat(false), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_EQ(status.error().upstream_status, 503);
  EXPECT_NE(status.error().message.find("overloaded"), std::string::npos);
  EXPECT_FALSE(sink.committed());
}

TEST_F(OpenAiUpstreamTest, BadRequestIsRejectedWithTheUpstreamsParam) {
  FakeBehavior behavior = FakeBehavior::error(400, "");
  behavior.raw_body = R"({"error":{"message":"'temperature' must be <= 2","type":"invalid_request_error","param":"temperature"}})";
  fake.enqueue(behavior);
  RecordingSink sink;
  Status status = run(chat(false), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamRejected);
  EXPECT_EQ(status.error().upstream_status, 400);
  EXPECT_EQ(status.error().param, "temperature");
  EXPECT_NE(status.error().message.find("must be <= 2"), std::string::npos);
}

TEST_F(OpenAiUpstreamTest, RejectedCredentialsNeverEchoTheKey) {
  fake.enqueue(FakeBehavior::error(401, std::string("Incorrect API key provided: ") + kKey));
  RecordingSink sink;
  Status status = run(chat(false), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_EQ(status.error().upstream_status, 401);
  EXPECT_NE(status.error().message.find("credentials"), std::string::npos);
  EXPECT_EQ(status.error().message.find(kKey), std::string::npos) << status.error().message;
  EXPECT_EQ(status.error().message.find("0123456789abcdef"), std::string::npos);
}

TEST_F(OpenAiUpstreamTest, MalformedJsonBodyIsUpstreamError) {
  FakeBehavior behavior = FakeBehavior::error(200, "");
  behavior.raw_body = "{\"id\": ";
  fake.enqueue(behavior);
  RecordingSink sink;
  Status status = run(chat(false), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_NE(status.error().message.find("malformed"), std::string::npos);
  EXPECT_FALSE(sink.committed());
}

TEST_F(OpenAiUpstreamTest, HangingUpstreamHitsTheFirstByteTimeout) {
  fake.enqueue(FakeBehavior::hang());
  RecordingSink sink;
  const auto start = std::chrono::steady_clock::now();
  Status status = run(chat(true), sink);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamTimeout);
  EXPECT_NE(status.error().message.find("first byte"), std::string::npos);
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 2s);
  EXPECT_FALSE(sink.committed());
  EXPECT_TRUE(fake.wait_for_client_close(2s));  // the transfer was dropped, not left running
}

TEST_F(OpenAiUpstreamTest, StallMidStreamHitsTheBetweenChunksTimeout) {
  fake.enqueue(FakeBehavior::stall_mid_stream(2));
  RecordingSink sink;
  Status status = run(chat(true), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamTimeout);
  EXPECT_NE(status.error().message.find("between chunks"), std::string::npos);
  EXPECT_EQ(sink.chunks().size(), 2u);
  EXPECT_TRUE(sink.committed());
}

TEST_F(OpenAiUpstreamTest, TotalTimeoutBoundsASlowStream) {
  UpstreamConfig cfg = config();
  cfg.timeouts.total = Duration(150);
  fake.enqueue(FakeBehavior::stream(50, 10ms));
  RecordingSink sink;
  Status status = run(chat(true), sink, nullptr, cfg);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamTimeout);
  EXPECT_NE(status.error().message.find("total"), std::string::npos);
}

TEST_F(OpenAiUpstreamTest, ResetAfterChunksIsUpstreamErrorWithTheSinkCommitted) {
  fake.enqueue(FakeBehavior::reset_mid_stream(2));
  RecordingSink sink;
  Status status = run(chat(true), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_EQ(sink.chunks().size(), 2u);
  EXPECT_TRUE(sink.committed());
}

TEST_F(OpenAiUpstreamTest, ResetBeforeTheFirstChunkLeavesTheSinkUncommitted) {
  fake.enqueue(FakeBehavior::reset_mid_stream(0));
  RecordingSink sink;
  Status status = run(chat(true), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_FALSE(sink.committed());
  EXPECT_EQ(sink.route(), "");
}

TEST_F(OpenAiUpstreamTest, MalformedEventBeforeTheFirstChunkLeavesTheSinkUncommitted) {
  fake.enqueue(FakeBehavior::malformed_sse(0));
  RecordingSink sink;
  Status status = run(chat(true), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_NE(status.error().message.find("malformed"), std::string::npos);
  EXPECT_FALSE(sink.committed());
}

TEST_F(OpenAiUpstreamTest, MalformedEventAfterChunksIsUpstreamError) {
  fake.enqueue(FakeBehavior::malformed_sse(3));
  RecordingSink sink;
  Status status = run(chat(true), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_EQ(sink.chunks().size(), 3u);
}

TEST_F(OpenAiUpstreamTest, StreamEndingWithoutDoneIsUpstreamError) {
  fake.enqueue(FakeBehavior::truncated_stream(2));
  RecordingSink sink;
  Status status = run(chat(true), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_NE(status.error().message.find("ended before"), std::string::npos);
}

TEST_F(OpenAiUpstreamTest, EndsAtDoneEvenIfTheBodyStaysOpen) {
  FakeBehavior behavior = FakeBehavior::stream(2);
  behavior.hold_open_after_end = true;
  fake.enqueue(behavior);
  RecordingSink sink;
  UpstreamConfig cfg = config();
  cfg.timeouts.between_chunks = Duration(2000);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(run(chat(true), sink, nullptr, cfg).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_EQ(sink.chunks().size(), 3u);
}

TEST_F(OpenAiUpstreamTest, ConnectionRefusedIsUpstreamErrorWithoutStatus) {
  UpstreamConfig cfg = config();
  {
    FakeUpstream gone;
    cfg.base_url = gone.base_url();
  }  // nothing listens there any more
  RecordingSink sink;
  Status status = run(chat(false), sink, nullptr, cfg);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_EQ(status.error().upstream_status, 0);
  EXPECT_EQ(status.error().message.find(kKey), std::string::npos);
}

TEST_F(OpenAiUpstreamTest, ClientGoneAbortsTheTransfer) {
  fake.enqueue(FakeBehavior::stream(50, 10ms));
  RecordingSink sink;
  sink.fail_after(2);
  Status status = run(chat(true), sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::Cancelled);
  EXPECT_EQ(sink.chunks().size(), 2u);
  EXPECT_TRUE(fake.wait_for_client_close(2s));
}

TEST_F(OpenAiUpstreamTest, CancellationSlotRemovesTheTransfer) {
  fake.enqueue(FakeBehavior::stream(100, 10ms));
  RecordingSink sink;
  asio::cancellation_signal signal;
  sink.on_chunk = [&](std::size_t count) {
    if (count == 3) asio::post(io, [&] { signal.emit(asio::cancellation_type::terminal); });
  };
  const auto start = std::chrono::steady_clock::now();
  Status status = run(chat(true), sink, &signal);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::Cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  EXPECT_GE(sink.chunks().size(), 3u);
  EXPECT_LT(sink.chunks().size(), 6u);
  EXPECT_TRUE(fake.wait_for_client_close(2s));
}

TEST_F(OpenAiUpstreamTest, CancellationWhileWaitingForTheHead) {
  fake.enqueue(FakeBehavior::hang());
  RecordingSink sink;
  asio::cancellation_signal signal;
  asio::steady_timer timer(io, 50ms);
  timer.async_wait([&](boost::system::error_code) { signal.emit(asio::cancellation_type::terminal); });
  Status status = run(chat(true), sink, &signal);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::Cancelled);
  EXPECT_TRUE(fake.wait_for_client_close(2s));
}

TEST_F(OpenAiUpstreamTest, ReusesTheConnection) {
  for (int i = 0; i < 3; ++i) {
    RecordingSink sink;
    ASSERT_TRUE(run(chat(i % 2 == 1), sink).ok());
  }
  EXPECT_EQ(fake.request_count(), 3u);
  EXPECT_EQ(fake.connections(), 1);
}

TEST_F(OpenAiUpstreamTest, RunsConcurrentTransfers) {
  fake.set_default(FakeBehavior::stream(5, 5ms));
  auto source = make_upstream(config(), client);
  RequestContext context;
  ChatRequest request = chat(true);
  std::vector<RecordingSink> sinks(8);
  int finished = 0;
  for (auto& sink : sinks) {
    asio::co_spawn(io, source->complete(request, context, sink), [&](std::exception_ptr, Status status) {
      EXPECT_TRUE(status.ok());
      ++finished;
    });
  }
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (finished < 8 && std::chrono::steady_clock::now() < give_up) io.run_one_for(50ms);
  EXPECT_EQ(finished, 8);
  for (const auto& sink : sinks) EXPECT_EQ(sink.chunks().size(), 6u);
}

}  // namespace
}  // namespace hearth::upstream
