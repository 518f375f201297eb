// The whole gateway (GatewayApp: config → server → router → upstream client) against fake
// upstreams over real sockets: failover before the commit point, the error event after it,
// retries, breakers, cancellation, deadlines and draining.

#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <gtest/gtest.h>

#include "fakes/fake_upstream.hpp"
#include "fakes/http_test_client.hpp"
#include "hearth/app/gateway_app.hpp"

namespace hearth::app {
namespace {

using namespace std::chrono_literals;
using testing::FakeBehavior;
using testing::FakeUpstream;
using testing::http_post_json;
using testing::http_request;

constexpr const char* kChat = R"({"model":"chat","messages":[{"role":"user","content":"hi"}]})";
constexpr const char* kStream =
    R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"stream":true})";

// Writes a chat request with the test client's key straight to `socket`.
void write_request(boost::asio::ip::tcp::socket& socket, std::string_view body,
                   std::string_view extra_headers = "") {
  const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-client\r\n"
                              "Content-Type: application/json\r\n" + std::string(extra_headers) +
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                              std::string(body);
  boost::asio::write(socket, boost::asio::buffer(request));
}

class FullStackTest : public ::testing::Test {
 protected:
  FullStackTest() : claude_(FakeUpstream::Dialect::Anthropic) {}

  void start(const std::string& extra = "", const std::string& server = "") {
    std::string text = "server: {listen: 127.0.0.1:0, workers: 1, drain_timeout: 2s" + server +
                       "}\n"
                       "auth:\n  enabled: true\n  keys: [{app: tests, team: qa, key_env: TEST_KEY}]\n"
                       "upstreams:\n"
                       "  - {name: primary, kind: openai, base_url: '" + primary_.base_url() +
                       "', api_key_env: PRIMARY_KEY, timeouts: {first_byte: 2s, between_chunks: 300ms}}\n"
                       "  - {name: backup, kind: openai, base_url: '" + backup_.base_url() +
                       "', api_key_env: BACKUP_KEY}\n"
                       "  - {name: claude, kind: anthropic, base_url: '" + claude_.base_url() +
                       "', api_key_env: CLAUDE_KEY}\n"
                       "  - {name: keyless, kind: openai, base_url: 'http://127.0.0.1:9/v1', api_key_env: UNSET_KEY}\n"
                       "models:\n"
                       "  - {name: chat, routes: [primary:model-a, backup:model-b]}\n"
                       "  - {name: claude, routes: [claude:claude-3-5-haiku-latest]}\n"
                       "  - {name: keyless-first, routes: [keyless:x, backup:model-b]}\n"
                       "router:\n  retry: {max_retries: 1, base_delay: 10ms, max_delay: 20ms}\n" +
                       extra;
    auto config = parse_config(text, "test.yaml", [](const std::string& name) -> std::optional<std::string> {
      if (name == "TEST_KEY") return "sk-client";
      if (name == "PRIMARY_KEY") return "sk-primary-secret";
      if (name == "BACKUP_KEY") return "sk-backup-secret";
      if (name == "CLAUDE_KEY") return "sk-claude-secret";
      return std::nullopt;
    });
    ASSERT_TRUE(config.ok()) << config.error().message;
    app_ = std::make_unique<GatewayApp>(std::move(*config), log_, access_log_);
    ASSERT_TRUE(app_->start().ok());
  }

  // Metrics are recorded just after the reply goes out, so a test polls briefly for them.
  bool metric_reaches(std::string_view name, const Labels& labels, double value) {
    for (int i = 0; i < 200; ++i) {
      if (app_->metrics().value(name, labels) == value) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

  testing::HttpReply post(const std::string& body) {
    return http_post_json(app_->port(), "/v1/chat/completions", body,
                          {{"authorization", "Bearer sk-client"}});
  }

  FakeUpstream primary_;
  FakeUpstream backup_;
  FakeUpstream claude_;
  Logger log_{nullptr};
  Logger access_log_{nullptr};
  std::unique_ptr<GatewayApp> app_;
};

TEST_F(FullStackTest, PassesRequestsThroughAndRewritesTheModel) {
  start();
  const std::string tail = R"("messages":[{"role":"user","content":"hi"}], )"
                           R"("tools":[{"type":"function","function":{"name":"f","parameters":{}}}],)"
                           R"("response_format":{"type":"json_object"},"seed":3,"future_field":{"x":[1,2]}})";
  auto reply = post(R"({ "model" : "chat", )" + tail);
  ASSERT_EQ(reply.status, 200) << reply.body;
  // The client's bytes, only the model's value swapped.
  EXPECT_EQ(primary_.last_request().body, R"({ "model" : "model-a", )" + tail);
  EXPECT_EQ(reply.header("x-hearth-route"), "upstream:primary");
  auto body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Hello from the fake upstream.");
  auto sent = primary_.last_request();
  EXPECT_EQ(sent.json["model"], "model-a");
  EXPECT_EQ(sent.json["future_field"], nlohmann::json::parse(R"({"x":[1,2]})"));
  EXPECT_EQ(sent.json["tools"][0]["function"]["name"], "f");
  EXPECT_EQ(sent.json["seed"], 3);
  EXPECT_EQ(sent.header("authorization"), "Bearer sk-primary-secret");
}

TEST_F(FullStackTest, FailsOverBeforeCommit) {
  primary_.set_default(FakeBehavior::error(500, "primary is down"));
  start();
  auto reply = post(kChat);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("x-hearth-route"), "upstream:backup");
  EXPECT_EQ(primary_.request_count(), 2u) << "one retry, then failover";
  EXPECT_EQ(backup_.last_request().json["model"], "model-b");
}

TEST_F(FullStackTest, StreamThatDiesBeforeItsFirstChunkFailsOverInvisibly) {
  primary_.set_default(FakeBehavior::reset_mid_stream(0));
  start();
  auto reply = post(kStream);
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("x-hearth-route"), "upstream:backup");
  EXPECT_NE(reply.body.find("data: [DONE]"), std::string::npos);
  EXPECT_EQ(reply.body.find("event: error"), std::string::npos);
}

TEST_F(FullStackTest, MidStreamFailureEndsWithAnErrorEventNotATruncated200) {
  primary_.set_default(FakeBehavior::reset_mid_stream(2));
  start();
  auto reply = post(kStream);
  ASSERT_EQ(reply.status, 200);
  EXPECT_NE(reply.body.find("data: {"), std::string::npos) << "chunks before the break arrived";
  auto event = reply.body.find("event: error\ndata: {\"error\":");
  ASSERT_NE(event, std::string::npos) << reply.body;
  EXPECT_EQ(reply.body.find("[DONE]"), std::string::npos);
  EXPECT_EQ(backup_.request_count(), 0u) << "no failover after commit";
  EXPECT_TRUE(metric_reaches("hearth_http_requests_total",
                             {{"path", "/v1/chat/completions"}, {"status", "502"}, {"route", "upstream:primary"}},
                             1))
      << "counted as failed: " << app_->metrics().render();
}

TEST_F(FullStackTest, StallMidStreamHitsTheChunkTimeout) {
  primary_.set_default(FakeBehavior::stall_mid_stream(1));
  start();
  auto reply = post(kStream);
  ASSERT_EQ(reply.status, 200);
  EXPECT_NE(reply.body.find("event: error"), std::string::npos) << reply.body;
}

TEST_F(FullStackTest, MalformedFrameIsAnErrorEvent) {
  primary_.set_default(FakeBehavior::malformed_sse(1));
  start();
  auto reply = post(kStream);
  EXPECT_NE(reply.body.find("event: error"), std::string::npos) << reply.body;
  EXPECT_EQ(reply.body.find("[DONE]"), std::string::npos);
}

TEST_F(FullStackTest, RetryAfterIsHonoured) {
  primary_.enqueue(FakeBehavior::error(429, "slow down", "1"));
  start();
  auto begin = std::chrono::steady_clock::now();
  auto reply = post(kChat);
  auto waited = std::chrono::steady_clock::now() - begin;
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("x-hearth-route"), "upstream:primary") << "retried, not failed over";
  EXPECT_EQ(primary_.request_count(), 2u);
  EXPECT_GE(waited, 900ms) << "waited for Retry-After: 1 rather than the 10ms backoff";
}

TEST_F(FullStackTest, RateLimitEverywhereIsA429WithRetryAfter) {
  primary_.set_default(FakeBehavior::error(429, "slow down", "0"));
  backup_.set_default(FakeBehavior::error(429, "slow down too", "0"));
  start();
  auto reply = post(kChat);
  EXPECT_EQ(reply.status, 429) << reply.body;
  EXPECT_FALSE(reply.header("retry-after").empty());
}

TEST_F(FullStackTest, BreakerOpensSkipsTheDeadUpstreamAndRecovers) {
  primary_.set_default(FakeBehavior::error(503, "down"));
  start("", "");
  // Default breaker: 5 consecutive failures. Each request costs the primary two attempts.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(post(kChat).status, 200);
  size_t tried = primary_.request_count();
  EXPECT_EQ(tried, 5u) << "the breaker opened at the fifth failure";
  EXPECT_EQ(post(kChat).status, 200);
  EXPECT_EQ(primary_.request_count(), tried) << "an open breaker costs no attempt";
  EXPECT_TRUE(metric_reaches("hearth_circuit_breaker_state", {{"upstream", "primary"}}, 2));
  auto ready = http_request(app_->port(), "GET", "/readyz");
  EXPECT_NE(ready.body.find("\"circuit_breaker\":\"open\""), std::string::npos) << ready.body;
}

TEST_F(FullStackTest, BreakerHalfOpenProbeClosesIt) {
  primary_.set_default(FakeBehavior::error(503, "down"));
  start("  circuit_breaker: {failure_threshold: 2, open_for: 200ms}\n");
  ASSERT_EQ(post(kChat).status, 200);
  ASSERT_EQ(primary_.request_count(), 2u);
  primary_.set_default(FakeBehavior::answer("back"));
  ASSERT_EQ(post(kChat).status, 200);
  EXPECT_EQ(primary_.request_count(), 2u) << "still open";
  std::this_thread::sleep_for(250ms);
  auto reply = post(kChat);
  EXPECT_EQ(reply.header("x-hearth-route"), "upstream:primary");
  EXPECT_TRUE(metric_reaches("hearth_circuit_breaker_state", {{"upstream", "primary"}}, 0));
}

TEST_F(FullStackTest, UpstreamRejectionIsPassedOnWithItsStatusButNoSecrets) {
  primary_.set_default(FakeBehavior::error(400, "Invalid value for 'temperature'"));
  start();
  auto reply = post(kChat);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("Invalid value for 'temperature'"), std::string::npos) << reply.body;
  EXPECT_EQ(reply.body.find("sk-primary-secret"), std::string::npos);
  EXPECT_EQ(backup_.request_count(), 0u);
}

TEST_F(FullStackTest, EveryCandidateDownIsA502WithTheUpstreamMessage) {
  primary_.set_default(FakeBehavior::error(500, "primary exploded"));
  backup_.set_default(FakeBehavior::error(502, "backup exploded"));
  start();
  auto reply = post(kChat);
  EXPECT_EQ(reply.status, 502);
  EXPECT_NE(reply.body.find("backup exploded"), std::string::npos) << reply.body;
  auto error = nlohmann::json::parse(reply.body)["error"];
  EXPECT_TRUE(error.contains("type") && error.contains("code") && error.contains("param"));
}

TEST_F(FullStackTest, UnavailableUpstreamIsSkippedAndReported) {
  start();
  auto reply = post(R"({"model":"keyless-first","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("x-hearth-route"), "upstream:backup");
  auto ready = http_request(app_->port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find("UNSET_KEY is not set"), std::string::npos) << ready.body;
}

TEST_F(FullStackTest, DeadlineExceededIs504) {
  primary_.set_default(FakeBehavior::hang());
  start("", ", request_deadline: 300ms");
  auto reply = post(kChat);
  EXPECT_EQ(reply.status, 504) << reply.body;
  EXPECT_TRUE(primary_.wait_for_client_close(2s)) << "the hung upstream transfer was cancelled";
}

TEST_F(FullStackTest, ClientDisconnectCancelsTheUpstreamTransfer) {
  primary_.set_default(FakeBehavior::hang());
  start();
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), app_->port()});
    write_request(socket, kChat);
    ASSERT_TRUE(primary_.wait_for_requests(1, 2s));
  }  // the client goes away
  EXPECT_TRUE(primary_.wait_for_client_close(2s));
}

TEST_F(FullStackTest, AnAnswerLargerThanTheSocketTakesReachesAClientThatReadsLate) {
  // 8 MiB is far past what loopback socket buffers hold: the response is written in part at
  // once and the rest as the client reads.
  const std::string content(8 << 20, 'a');
  primary_.set_default(FakeBehavior::answer(content));
  start();
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), app_->port()});
  write_request(socket, kChat, "Connection: close\r\n");
  std::this_thread::sleep_for(300ms);  // the gateway fills the socket meanwhile
  std::string response;
  boost::system::error_code ec;
  char piece[65536];
  while (!ec) response.append(piece, socket.read_some(boost::asio::buffer(piece), ec));
  ASSERT_EQ(ec, boost::asio::error::eof);
  const std::size_t head_end = response.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response.substr(0, head_end);
  auto answer = nlohmann::json::parse(response.substr(head_end + 4));
  EXPECT_EQ(answer["choices"][0]["message"]["content"], content);
}

TEST_F(FullStackTest, AStreamLargerThanTheSocketTakesReachesAClientThatReadsLate) {
  // Events of 1 MiB, each past what loopback socket buffers hold: each is written in part at
  // once and the rest as the client reads, before the next goes out.
  const std::string content(4 << 20, 'b');
  FakeBehavior behavior = FakeBehavior::answer(content);
  behavior.chunks = 4;
  behavior.chunk_delay = 10ms;
  primary_.set_default(behavior);
  start();
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), app_->port()});
  write_request(socket, kStream);
  std::this_thread::sleep_for(200ms);  // the gateway fills the socket meanwhile
  boost::beast::flat_buffer buffer;
  // Reads one streamed response; its status and the deltas' content joined.
  auto read_stream = [&] {
    boost::beast::http::response_parser<boost::beast::http::string_body> parser;
    parser.body_limit(64 << 20);
    boost::beast::http::read(socket, buffer, parser);
    const std::string& events = parser.get().body();
    std::string streamed;
    for (std::size_t at = events.find("data: {"); at != std::string::npos;
         at = events.find("data: {", at + 1)) {
      const auto chunk = nlohmann::json::parse(events.substr(at + 6, events.find('\n', at) - at - 6));
      streamed += chunk["choices"][0]["delta"].value("content", "");
    }
    EXPECT_TRUE(events.ends_with("data: [DONE]\n\n"));
    return std::make_pair(parser.get().result_int(), streamed);
  };
  const auto [status, streamed] = read_stream();
  ASSERT_EQ(status, 200);
  EXPECT_EQ(streamed, content);

  // The connection's next request goes out through the session buffers the large stream used
  // (trimmed as its sink ended): whole, and with none of the stream's bytes.
  primary_.set_default(FakeBehavior::answer("and the next one"));
  write_request(socket, kStream);
  const auto [next_status, next_streamed] = read_stream();
  ASSERT_EQ(next_status, 200);
  EXPECT_EQ(next_streamed, "and the next one");
}

TEST_F(FullStackTest, AnthropicUpstreamSpeaksOpenAiToTheClient) {
  start();
  auto reply = post(R"({"model":"claude","messages":[{"role":"system","content":"Be brief."},)"
                    R"({"role":"user","content":"hi"}],"max_tokens":50})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Hello from the fake upstream.");
  auto sent = claude_.last_request();
  EXPECT_EQ(sent.json["system"], "Be brief.");
  EXPECT_EQ(sent.json["max_tokens"], 50);
  EXPECT_EQ(sent.header("x-api-key"), "sk-claude-secret");

  auto stream = post(R"({"model":"claude","messages":[{"role":"user","content":"hi"}],"stream":true,)"
                     R"("stream_options":{"include_usage":true}})");
  EXPECT_NE(stream.body.find("\"finish_reason\":\"stop\""), std::string::npos) << stream.body;
  EXPECT_NE(stream.body.find("\"usage\""), std::string::npos);
  EXPECT_NE(stream.body.find("data: [DONE]"), std::string::npos);
}

TEST_F(FullStackTest, ShutdownDrainsInFlightStreams) {
  primary_.set_default(FakeBehavior::stream(5, 60ms));
  start();
  auto in_flight = std::async(std::launch::async, [this] { return post(kStream); });
  ASSERT_TRUE(primary_.wait_for_requests(1, 2s));
  app_->stop();
  auto reply = in_flight.get();
  app_->wait();
  EXPECT_EQ(reply.status, 200);
  EXPECT_NE(reply.body.find("data: [DONE]"), std::string::npos) << "the stream finished";
}

}  // namespace
}  // namespace hearth::app
