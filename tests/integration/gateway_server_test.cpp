// The gateway's Server on a real socket: one worker thread, a ScriptedSource as the router,
// and a small blocking client that can also misbehave (stall, pipeline, hang up).

// With -fsanitize, GCC's flow analysis reports a false "maybe uninitialized" inside Beast's
// parser (a boost::optional it fills before reading).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <gtest/gtest.h>

#include "fakes/scripted_source.hpp"
#include "hearth/gateway/server.hpp"

namespace hearth::gateway {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;
using testing::ScriptedSource;
using Response = http::response<http::string_body>;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kKey = "sk-test-key";

using Then = ScriptedSource::Then;

ScriptedSource::Script streams(int chunks, Then then = Then::Finish,
                               std::chrono::milliseconds delay = 0ms) {
  ScriptedSource::Script script;
  script.chunks = chunks;
  script.then = then;
  script.chunk_delay = delay;
  return script;
}

ScriptedSource::Script fails_before(Error error) {
  ScriptedSource::Script script;
  script.fail_before = std::move(error);
  return script;
}

ScriptedSource::Script fails_after(int chunks, Error error) {
  ScriptedSource::Script script = streams(chunks, Then::Fail);
  script.error = std::move(error);
  return script;
}

ScriptedSource::Script waits_for_cancel() {
  ScriptedSource::Script script;
  script.wait_before_completion = true;
  return script;
}

ScriptedSource::Script answers_after(std::chrono::milliseconds delay) {
  ScriptedSource::Script script;
  script.chunk_delay = delay;
  return script;
}

std::string raw_request(std::string_view method, std::string_view target, std::string_view body,
                        const Headers& headers = {}) {
  std::string out = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nhost: test\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST") {
    out += "content-type: application/json\r\ncontent-length: " + std::to_string(body.size()) +
           "\r\n";
  }
  return out + "\r\n" + std::string(body);
}

Headers bearer() { return {{"authorization", std::string("Bearer ") + kKey}}; }

std::string chat_body(bool stream, std::string_view model = "default") {
  Json body = {{"model", model},
               {"messages", Json::array({Json{{"role", "user"}, {"content", "a secret prompt"}}})}};
  if (stream) body["stream"] = true;
  return body.dump();
}

// A blocking client with a time limit on every read, so a broken server fails the test
// instead of hanging it.
class TestClient {
 public:
  explicit TestClient(uint16_t port) : socket_(io_) {
    boost::system::error_code ec;
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    connected_ = !ec;
  }

  bool connected() const { return connected_; }

  void send(std::string_view raw) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(raw), ec);
  }

  std::optional<Response> read(std::chrono::milliseconds timeout = 3s) {
    Response response;
    boost::system::error_code ec;
    http::async_read(socket_, buffer_, response, [&](auto e, size_t) { ec = e; });
    if (!run(timeout) || ec) return std::nullopt;
    return response;
  }

  std::optional<Response> request(std::string_view method, std::string_view target,
                                  std::string_view body = {}, const Headers& headers = {}) {
    send(raw_request(method, target, body, headers));
    return read();
  }

  // Reads the head of a response only; read_rest() reads its body.
  std::optional<unsigned> read_head(std::chrono::milliseconds timeout = 3s) {
    parser_.emplace();
    parser_->body_limit(boost::none);
    boost::system::error_code ec;
    http::async_read_header(socket_, buffer_, *parser_, [&](auto e, size_t) { ec = e; });
    if (!run(timeout) || ec) return std::nullopt;
    return parser_->get().result_int();
  }

  std::optional<std::string> read_rest(std::chrono::milliseconds timeout = 3s) {
    boost::system::error_code ec;
    http::async_read(socket_, buffer_, *parser_, [&](auto e, size_t) { ec = e; });
    if (!run(timeout) || ec) return std::nullopt;
    return parser_->get().body();
  }

  // Whether the server closes (or resets) the connection within `timeout`.
  bool closed_by_server(std::chrono::milliseconds timeout = 2s) {
    std::array<char, 1024> scratch;
    boost::system::error_code ec;
    bool closed = false;
    std::function<void()> next = [&] {
      socket_.async_read_some(asio::buffer(scratch), [&](auto e, size_t) {
        if (e) {
          closed = true;
        } else {
          next();
        }
      });
    };
    next();
    run(timeout);
    return closed;
  }

  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

 private:
  bool run(std::chrono::milliseconds timeout) {
    io_.restart();
    io_.run_for(timeout);
    if (io_.stopped()) return true;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    io_.run();
    return false;
  }

  asio::io_context io_;
  tcp::socket socket_;
  bool connected_ = false;
  boost::beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

// Polls `condition` until it holds or `timeout` passes.
template <class F>
bool eventually(F condition, std::chrono::milliseconds timeout = 2s) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> events;
  size_t start = 0;
  while (start < body.size()) {
    auto end = body.find("\n\n", start);
    if (end == std::string::npos) {
      events.push_back(body.substr(start));
      break;
    }
    events.push_back(body.substr(start, end - start));
    start = end + 2;
  }
  return events;
}

class GatewayServerTest : public ::testing::Test {
 protected:
  GatewayServerTest() {
    config_.listen = "127.0.0.1:0";
    config_.limits.header_timeout = 200ms;
    config_.limits.body_timeout = 300ms;
    config_.limits.idle_timeout = 5000ms;
    config_.limits.max_body_bytes = 64 * 1024;
    config_.limits.request_deadline = 5000ms;
    config_.drain_timeout = 3000ms;
  }

  void start() {
    guard_.emplace(io_.get_executor());
    GatewayServices services{
        [this](size_t) -> CompletionSource& { return source_; },
        auth_,
        [] { return std::vector<ModelInfo>{{"default", "hearth"}, {"tiny", "local"}}; },
        [this] {
          return Readiness{ready_.load(), Json{{"ready", ready_.load()}, {"local", "missing"}}};
        },
        metrics_,
        log_,
        access_log_};
    server_ = std::make_unique<Server>(std::vector<asio::io_context*>{&io_}, config_, services);
    auto started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    ASSERT_NE(server_->port(), 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_ && !shut_down_) {
      EXPECT_TRUE(shutdown(5s));
    }
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    if (access_file_ != nullptr) std::fclose(access_file_);
  }

  // Starts a shutdown; returns whether `done` ran within `timeout`.
  bool shutdown(std::chrono::milliseconds timeout) {
    shut_down_ = true;
    auto finished = std::make_shared<std::promise<void>>();
    auto future = finished->get_future();
    server_->shutdown([finished] { finished->set_value(); });
    return future.wait_for(timeout) == std::future_status::ready;
  }

  std::future<void> shutdown_async() {
    shut_down_ = true;
    auto finished = std::make_shared<std::promise<void>>();
    auto future = finished->get_future();
    server_->shutdown([finished] { finished->set_value(); });
    return future;
  }

  uint16_t port() const { return server_->port(); }

  double requests(const std::string& path, const std::string& status, const std::string& route) {
    return metrics_.value("hearth_http_requests_total",
                          {{"path", path}, {"status", status}, {"route", route}});
  }

  // Reads the access log without moving the logger's file position.
  std::string access_log_text() {
    std::fflush(access_file_);
    std::string text;
    char chunk[4096];
    ssize_t n = 0;
    while ((n = ::pread(fileno(access_file_), chunk, sizeof chunk,
                        static_cast<off_t>(text.size()))) > 0) {
      text.append(chunk, static_cast<size_t>(n));
    }
    return text;
  }

  ServerConfig config_;
  Authenticator auth_{true, {ApiKey{"billing", "finance", sha256(kKey)}}};
  MetricsRegistry metrics_;
  Logger log_{nullptr};
  std::FILE* access_file_ = std::tmpfile();
  Logger access_log_{access_file_};
  ScriptedSource source_;
  std::atomic<bool> ready_{true};
  bool shut_down_ = false;
  // Declared after what the sessions use, so the io_context goes first.
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::thread thread_;
  std::unique_ptr<Server> server_;
};

TEST_F(GatewayServerTest, NonStreamCompletion) {
  start();
  TestClient client(port());
  auto response = client.request("POST", "/v1/chat/completions", chat_body(false), bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ((*response)[http::field::content_type], "application/json");
  EXPECT_EQ(Json::parse(response->body()), ScriptedSource::completion_body("default"));
  EXPECT_EQ((*response)["x-hearth-route"], "upstream:fake");
  auto id = std::string((*response)["x-hearth-request-id"]);
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);

  auto context = source_.last_context();
  EXPECT_EQ(context.app, "billing");
  EXPECT_EQ(context.team, "finance");
  EXPECT_EQ(context.request_id, id);
  EXPECT_EQ(source_.last_request().model, "default");
  EXPECT_EQ(source_.last_request().body.json()["messages"].size(), 1u);

  // The same connection serves the next request, echoing the client's request id.
  Headers headers = bearer();
  headers.emplace_back("x-hearth-request-id", "my-trace-42");
  response = client.request("POST", "/v1/chat/completions", chat_body(false), headers);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ((*response)["x-hearth-request-id"], "my-trace-42");
  EXPECT_EQ(source_.calls(), 2);
}

TEST_F(GatewayServerTest, StreamFramingEndsWithDone) {
  source_.set_script(streams(3));
  start();
  TestClient client(port());
  auto response = client.request("POST", "/v1/chat/completions", chat_body(true), bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ((*response)[http::field::content_type], "text/event-stream");
  EXPECT_EQ((*response)[http::field::cache_control], "no-cache");
  EXPECT_TRUE(response->chunked());
  EXPECT_EQ((*response)["x-hearth-route"], "upstream:fake");
  EXPECT_FALSE((*response)["x-hearth-request-id"].empty());

  auto events = sse_events(response->body());
  ASSERT_EQ(events.size(), 4u) << response->body();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(events[i].rfind("data: ", 0), 0u);
    EXPECT_EQ(Json::parse(events[i].substr(6)), ScriptedSource::chunk_body("default", i));
  }
  EXPECT_EQ(events[3], "data: [DONE]");

  // The connection is reusable after a stream.
  auto health = client.request("GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->result_int(), 200);
}

TEST_F(GatewayServerTest, ErrorBeforeCommitIsAPlainErrorResponse) {
  Error limited = make_error(ErrorCode::RateLimited, "upstream rate limit");
  limited.retry_after = 2500ms;
  source_.set_script(fails_before(limited));
  start();
  TestClient client(port());
  auto response = client.request("POST", "/v1/chat/completions", chat_body(true), bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 429);
  EXPECT_EQ((*response)[http::field::retry_after], "3");
  EXPECT_EQ((*response)["x-hearth-route"], "upstream:fake");
  auto body = Json::parse(response->body());
  EXPECT_EQ(body["error"]["message"], "upstream rate limit");
  EXPECT_EQ(body["error"]["type"], "rate_limit_exceeded");

  source_.set_script(fails_before(make_error(ErrorCode::NoHealthyRoute, "all down")));
  response = client.request("POST", "/v1/chat/completions", chat_body(false), bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 503);
  EXPECT_EQ((*response)[http::field::retry_after], "1");
}

TEST_F(GatewayServerTest, ModelNotFoundIs404) {
  source_.set_script(fails_before(
      make_error(ErrorCode::ModelNotFound, "The model 'nope' does not exist", "model")));
  start();
  TestClient client(port());
  auto response =
      client.request("POST", "/v1/chat/completions", chat_body(false, "nope"), bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 404);
  auto body = Json::parse(response->body());
  EXPECT_EQ(body["error"]["code"], "model_not_found");
  EXPECT_EQ(body["error"]["param"], "model");
}

TEST_F(GatewayServerTest, ErrorAfterCommitIsAnErrorEventWithoutDone) {
  source_.set_script(fails_after(2, make_error(ErrorCode::UpstreamError, "upstream reset")));
  start();
  TestClient client(port());
  auto response = client.request("POST", "/v1/chat/completions", chat_body(true), bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  auto events = sse_events(response->body());
  ASSERT_EQ(events.size(), 3u) << response->body();
  EXPECT_EQ(events[0].rfind("data: {", 0), 0u);
  EXPECT_EQ(events[1].rfind("data: {", 0), 0u);
  const std::string prefix = "event: error\ndata: ";
  ASSERT_EQ(events[2].rfind(prefix, 0), 0u) << events[2];
  auto error = Json::parse(events[2].substr(prefix.size()));
  EXPECT_EQ(error["error"]["message"], "upstream reset");
  EXPECT_EQ(error["error"]["type"], "upstream_error");
  EXPECT_EQ(response->body().find("[DONE]"), std::string::npos);
}

// A source that has seen its stream's end lets the sink hold the last chunks for the final
// write: they still arrive, in order, before [DONE] or before the error event.
TEST_F(GatewayServerTest, ChunksHeldForTheEndOfTheStreamAllArrive) {
  ScriptedSource::Script ends = streams(3);
  ends.end_expected_before = 1;
  source_.set_script(ends);
  start();
  TestClient client(port());
  auto response = client.request("POST", "/v1/chat/completions", chat_body(true), bearer());
  ASSERT_TRUE(response);
  auto events = sse_events(response->body());
  ASSERT_EQ(events.size(), 4u) << response->body();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Json::parse(events[i].substr(6)), ScriptedSource::chunk_body("default", i));
  }
  EXPECT_EQ(events[3], "data: [DONE]");

  ScriptedSource::Script fails = fails_after(2, make_error(ErrorCode::UpstreamError, "reset after the end"));
  fails.end_expected_before = 0;
  source_.set_script(fails);
  response = client.request("POST", "/v1/chat/completions", chat_body(true), bearer());
  ASSERT_TRUE(response);
  events = sse_events(response->body());
  ASSERT_EQ(events.size(), 3u) << response->body();
  EXPECT_EQ(Json::parse(events[0].substr(6)), ScriptedSource::chunk_body("default", 0));
  EXPECT_EQ(Json::parse(events[1].substr(6)), ScriptedSource::chunk_body("default", 1));
  EXPECT_EQ(events[2].rfind("event: error\ndata: ", 0), 0u) << events[2];
}

TEST_F(GatewayServerTest, BadBodiesAre400AndNeverReachTheRouter) {
  start();
  TestClient client(port());
  auto response = client.request("POST", "/v1/chat/completions", "{not json", bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 400);
  auto body = Json::parse(response->body());
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_TRUE(body["error"]["code"].is_null());
  EXPECT_EQ((*response)["x-hearth-route"], "none");

  response = client.request("POST", "/v1/chat/completions",
                            R"({"messages":[{"role":"user","content":"x"}]})", bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 400);
  EXPECT_EQ(Json::parse(response->body())["error"]["param"], "model");

  response = client.request("POST", "/v1/completions", R"({"model":"m"})", bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 400);
  EXPECT_EQ(Json::parse(response->body())["error"]["param"], "prompt");
  EXPECT_EQ(source_.calls(), 0);
}

TEST_F(GatewayServerTest, LegacyCompletionsEndpoint) {
  start();
  TestClient client(port());
  auto response = client.request("POST", "/v1/completions",
                                 R"({"model":"default","prompt":"once upon"})", bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ(source_.last_request().endpoint, Endpoint::Completions);
}

TEST_F(GatewayServerTest, ApiKeys) {
  start();
  TestClient client(port());
  auto missing = client.request("POST", "/v1/chat/completions", chat_body(false));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->result_int(), 401);
  auto missing_body = Json::parse(missing->body());
  EXPECT_NE(missing_body["error"]["message"].get<std::string>().find("Missing API key"),
            std::string::npos);
  EXPECT_EQ(missing_body["error"]["code"], "invalid_api_key");

  auto wrong = client.request("POST", "/v1/chat/completions", chat_body(false),
                              {{"authorization", "Bearer sk-wrong"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->result_int(), 401);
  EXPECT_NE(wrong->body().find("Invalid API key"), std::string::npos);
  EXPECT_EQ(wrong->body().find("sk-wrong"), std::string::npos);

  auto by_header = client.request("POST", "/v1/chat/completions", chat_body(false),
                                  {{"x-api-key", kKey}});
  ASSERT_TRUE(by_header);
  EXPECT_EQ(by_header->result_int(), 200);

  auto by_bearer = client.request("POST", "/v1/chat/completions", chat_body(false), bearer());
  ASSERT_TRUE(by_bearer);
  EXPECT_EQ(by_bearer->result_int(), 200);
  EXPECT_EQ(source_.calls(), 2);

  auto models_anonymous = client.request("GET", "/v1/models");
  ASSERT_TRUE(models_anonymous);
  EXPECT_EQ(models_anonymous->result_int(), 401);
}

TEST_F(GatewayServerTest, ModelsList) {
  start();
  TestClient client(port());
  auto response = client.request("GET", "/v1/models", {}, bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  auto body = Json::parse(response->body());
  EXPECT_EQ(body["object"], "list");
  ASSERT_EQ(body["data"].size(), 2u);
  EXPECT_EQ(body["data"][0]["id"], "default");
  EXPECT_EQ(body["data"][0]["object"], "model");
  EXPECT_TRUE(body["data"][0]["created"].is_number_integer());
  EXPECT_EQ(body["data"][1]["owned_by"], "local");
}

TEST_F(GatewayServerTest, BodyTooLargeIs413) {
  start();
  TestClient client(port());
  std::string head = "POST /v1/chat/completions HTTP/1.1\r\nhost: t\r\ncontent-type: "
                     "application/json\r\nauthorization: Bearer " +
                     std::string(kKey) + "\r\ncontent-length: 1000000\r\n\r\n";
  client.send(head + std::string(4096, 'x'));
  auto response = client.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 413);
  EXPECT_EQ(Json::parse(response->body())["error"]["code"], "payload_too_large");
  EXPECT_FALSE((*response)["x-hearth-request-id"].empty());
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_EQ(source_.calls(), 0);
}

TEST_F(GatewayServerTest, SlowHeadersAre408) {
  start();
  TestClient client(port());
  auto began = std::chrono::steady_clock::now();
  client.send("POST /v1/chat/completions HTTP/1.1\r\nhost: t\r\ncontent-le");
  auto response = client.read(2s);
  auto took = std::chrono::steady_clock::now() - began;
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 408);
  EXPECT_EQ(Json::parse(response->body())["error"]["code"], "request_timeout");
  EXPECT_LT(took, 1s);
  EXPECT_GE(took, 150ms);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(GatewayServerTest, SlowBodyIs408) {
  start();
  TestClient client(port());
  std::string head = "POST /v1/chat/completions HTTP/1.1\r\nhost: t\r\ncontent-length: 100\r\n\r\n";
  client.send(head + "{\"model\":");
  auto response = client.read(2s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 408);
}

TEST_F(GatewayServerTest, MalformedHttpIs400) {
  start();
  TestClient client(port());
  client.send("THIS IS NOT HTTP\r\n\r\n");
  auto response = client.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 400);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(GatewayServerTest, UnknownPathAndWrongMethod) {
  start();
  TestClient client(port());
  auto not_found = client.request("GET", "/v1/nothing?x=1");
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->result_int(), 404);
  EXPECT_EQ(Json::parse(not_found->body())["error"]["type"], "invalid_request_error");
  EXPECT_FALSE((*not_found)["x-hearth-request-id"].empty());

  auto wrong_method = client.request("GET", "/v1/chat/completions");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->result_int(), 405);
  EXPECT_EQ((*wrong_method)[http::field::allow], "POST");
  EXPECT_TRUE(Json::parse(wrong_method->body()).contains("error"));
}

TEST_F(GatewayServerTest, HealthReadinessAndMetrics) {
  start();
  TestClient client(port());
  auto health = client.request("GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->result_int(), 200);
  EXPECT_EQ(Json::parse(health->body()), (Json{{"status", "ok"}}));
  EXPECT_FALSE((*health)["x-hearth-request-id"].empty());

  auto ready = client.request("GET", "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->result_int(), 200);
  ready_ = false;
  auto not_ready = client.request("GET", "/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->result_int(), 503);
  EXPECT_EQ(Json::parse(not_ready->body()), (Json{{"ready", false}, {"local", "missing"}}));

  ASSERT_TRUE(client.request("POST", "/v1/chat/completions", chat_body(false), bearer()));
  auto metrics = client.request("GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->result_int(), 200);
  EXPECT_EQ((*metrics)[http::field::content_type], "text/plain; version=0.0.4");
  const auto& text = metrics->body();
  EXPECT_NE(text.find("hearth_http_requests_total{path=\"/healthz\",status=\"200\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hearth_http_requests_total{path=\"/v1/chat/completions\",status=\"200\","
                      "route=\"upstream:fake\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hearth_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(text.find("hearth_http_time_to_first_byte_seconds_count"), std::string::npos);
  EXPECT_NE(text.find("hearth_http_connections 1"), std::string::npos);
  EXPECT_NE(text.find("hearth_http_in_flight 1"), std::string::npos);  // the /metrics request
}

TEST_F(GatewayServerTest, ClientDisconnectCancelsTheSource) {
  source_.set_script(waits_for_cancel());
  start();
  {
    TestClient client(port());
    client.send(raw_request("POST", "/v1/chat/completions", chat_body(false), bearer()));
    ASSERT_TRUE(eventually([&] { return source_.calls() == 1; }));
    client.close();
  }
  EXPECT_TRUE(eventually([&] { return source_.saw_cancellation(); }));
  EXPECT_TRUE(eventually(
      [&] { return requests("/v1/chat/completions", "499", "upstream:fake") == 1; }));
}

TEST_F(GatewayServerTest, ClientDisconnectMidStreamCancelsTheSource) {
  source_.set_script(streams(1, Then::WaitForCancel));
  start();
  {
    TestClient client(port());
    client.send(raw_request("POST", "/v1/chat/completions", chat_body(true), bearer()));
    ASSERT_EQ(client.read_head(), 200u);
    client.close();
  }
  EXPECT_TRUE(eventually([&] { return source_.saw_cancellation(); }));
  EXPECT_TRUE(eventually(
      [&] { return requests("/v1/chat/completions", "499", "upstream:fake") == 1; }));
}

TEST_F(GatewayServerTest, DeadlineBeforeCommitIs504) {
  config_.limits.request_deadline = 200ms;
  source_.set_script(waits_for_cancel());
  start();
  TestClient client(port());
  auto response = client.request("POST", "/v1/chat/completions", chat_body(false), bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 504);
  EXPECT_EQ(Json::parse(response->body())["error"]["code"], "deadline_exceeded");
  EXPECT_TRUE(source_.saw_cancellation());
}

TEST_F(GatewayServerTest, DeadlineAfterCommitIsAnErrorEvent) {
  config_.limits.request_deadline = 200ms;
  source_.set_script(streams(1, Then::WaitForCancel));
  start();
  TestClient client(port());
  auto response = client.request("POST", "/v1/chat/completions", chat_body(true), bearer());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  auto events = sse_events(response->body());
  ASSERT_EQ(events.size(), 2u) << response->body();
  EXPECT_NE(events[1].find("event: error"), std::string::npos);
  EXPECT_NE(events[1].find("deadline_exceeded"), std::string::npos);
  EXPECT_TRUE(source_.saw_cancellation());
}

TEST_F(GatewayServerTest, PipelinedRequestsAnswerInOrder) {
  source_.set_script(answers_after(50ms));
  start();
  TestClient client(port());
  Headers first = bearer();
  first.emplace_back("x-hearth-request-id", "first");
  Headers second = bearer();
  second.emplace_back("x-hearth-request-id", "second");
  client.send(raw_request("POST", "/v1/chat/completions", chat_body(false), first) +
              raw_request("POST", "/v1/chat/completions", chat_body(false), second) +
              raw_request("GET", "/healthz", {}, {{"x-hearth-request-id", "third"}}));
  for (const char* id : {"first", "second", "third"}) {
    auto response = client.read();
    ASSERT_TRUE(response) << id;
    EXPECT_EQ(response->result_int(), 200) << id;
    EXPECT_EQ((*response)["x-hearth-request-id"], id);
  }
}

// After a completion, the read that watched for the client leaving goes on as the wait for
// the next request: these are the ways that wait can end.
TEST_F(GatewayServerTest, TheRequestAfterACompletionMayArriveLateAndInPieces) {
  start();
  TestClient client(port());
  ASSERT_TRUE(client.request("POST", "/v1/chat/completions", chat_body(false), bearer()));
  std::this_thread::sleep_for(50ms);
  const std::string next = raw_request("POST", "/v1/chat/completions", chat_body(false), bearer());
  client.send(next.substr(0, 20));
  std::this_thread::sleep_for(50ms);
  client.send(next.substr(20));
  auto response = client.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ(source_.calls(), 2);
}

TEST_F(GatewayServerTest, AConnectionIdleAfterACompletionTimesOut) {
  config_.limits.idle_timeout = 200ms;
  start();
  TestClient client(port());
  ASSERT_TRUE(client.request("POST", "/v1/chat/completions", chat_body(false), bearer()));
  EXPECT_TRUE(client.closed_by_server(2s));
}

TEST_F(GatewayServerTest, AConnectionIdleAfterACompletionClosesAtShutdown) {
  start();
  TestClient client(port());
  ASSERT_TRUE(client.request("POST", "/v1/chat/completions", chat_body(true), bearer()));
  auto done = shutdown_async();
  EXPECT_TRUE(client.closed_by_server(1s));
  EXPECT_EQ(done.wait_for(2s), std::future_status::ready);
}

TEST_F(GatewayServerTest, Http10ClientGetsAClosedConnection) {
  start();
  TestClient client(port());
  client.send("GET /healthz HTTP/1.0\r\n\r\n");
  auto response = client.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(GatewayServerTest, Http10KeepAliveKeepsTheConnection) {
  start();
  TestClient client(port());
  for (int i = 0; i < 2; ++i) {
    client.send("GET /healthz HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    auto response = client.read();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->result_int(), 200);
    EXPECT_TRUE(response->keep_alive());
  }
}

TEST_F(GatewayServerTest, AChunkedBodyAndTheHeadersHearthReads) {
  start();
  TestClient client(port());
  const std::string body = chat_body(false);
  const size_t half = body.size() / 2;
  std::ostringstream raw;
  raw << "POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      << "X-API-Key: " << kKey << "\r\nX-Hearth-Request-Id: trace-7\r\n"
      << "X-Data-Class: Secret\r\nx-team: ops\r\nX-Data-Class: public\r\n"
      << "Transfer-Encoding: chunked\r\n\r\n"
      << std::hex << half << "\r\n" << body.substr(0, half) << "\r\n"
      << std::hex << body.size() - half << "\r\n" << body.substr(half) << "\r\n0\r\n\r\n";
  client.send(raw.str());
  auto response = client.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ((*response)["x-hearth-request-id"], "trace-7");
  EXPECT_EQ(source_.last_request().body.wire_text(), body);

  // Policies see the x-* headers, lower-cased, the last of a repeated one; never the key.
  auto headers = source_.last_context().headers;
  EXPECT_EQ(headers["x-data-class"], "public");
  EXPECT_EQ(headers["x-team"], "ops");
  EXPECT_EQ(headers["x-hearth-request-id"], "trace-7");
  EXPECT_EQ(headers.count("x-api-key"), 0u);
  EXPECT_EQ(headers.size(), 3u);
}

TEST_F(GatewayServerTest, ExpectContinueGetsA100BeforeTheBody) {
  start();
  TestClient client(port());
  const std::string body = chat_body(false);
  client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
              std::string(kKey) + "\r\nExpect: 100-Continue\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n");
  auto interim = client.read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->result_int(), 100);
  client.send(body);
  auto response = client.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ(source_.calls(), 1);
}

TEST_F(GatewayServerTest, AmbiguousBodyLengthsAre400) {
  start();
  const std::string body = chat_body(false);
  const std::string auth = "Authorization: Bearer " + std::string(kKey) + "\r\n";
  const std::string heads[] = {
      // Content-Length with chunked: the classic request-smuggling pair.
      "Content-Length: " + std::to_string(body.size()) + "\r\nTransfer-Encoding: chunked\r\n",
      // Two lengths that disagree.
      "Content-Length: " + std::to_string(body.size()) + "\r\nContent-Length: 3\r\n",
  };
  for (const auto& head : heads) {
    TestClient client(port());
    client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\n" + auth + head + "\r\n" + body);
    auto response = client.read();
    ASSERT_TRUE(response) << head;
    EXPECT_EQ(response->result_int(), 400) << head;
    EXPECT_TRUE(client.closed_by_server()) << head;
  }
  EXPECT_EQ(source_.calls(), 0);
}

TEST_F(GatewayServerTest, ConnectionsBeyondTheLimitAreRefused) {
  config_.limits.max_connections = 1;
  start();
  TestClient first(port());
  ASSERT_TRUE(first.request("GET", "/healthz"));  // accepted and held open
  TestClient second(port());
  auto response = second.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 503);
  EXPECT_TRUE(second.closed_by_server());
  EXPECT_EQ(metrics_.value("hearth_http_rejected_connections_total", {}), 1);
}

TEST_F(GatewayServerTest, AccessLogHasOneLinePerRequestAndNoSecrets) {
  start();
  TestClient client(port());
  Headers headers = bearer();
  headers.emplace_back("x-hearth-request-id", "log-me");
  ASSERT_TRUE(client.request("POST", "/v1/chat/completions", chat_body(false), headers));
  ASSERT_TRUE(client.request("GET", "/healthz"));
  ASSERT_TRUE(eventually([&] { return access_log_text().find("/healthz") != std::string::npos; }));
  auto text = access_log_text();
  EXPECT_EQ(text.find(kKey), std::string::npos);
  EXPECT_EQ(text.find("secret prompt"), std::string::npos);
  auto first_line = Json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(first_line["event"], "access");
  EXPECT_EQ(first_line["request_id"], "log-me");
  EXPECT_EQ(first_line["method"], "POST");
  EXPECT_EQ(first_line["path"], "/v1/chat/completions");
  EXPECT_EQ(first_line["status"], 200);
  EXPECT_EQ(first_line["app"], "billing");
  EXPECT_EQ(first_line["team"], "finance");
  EXPECT_EQ(first_line["model"], "default");
  EXPECT_EQ(first_line["route"], "upstream:fake");
  EXPECT_EQ(first_line["stream"], false);
  EXPECT_EQ(first_line["prompt_tokens"], 7);
  EXPECT_EQ(first_line["completion_tokens"], 2);
  EXPECT_TRUE(first_line.contains("latency_ms"));
  EXPECT_TRUE(first_line.contains("ttfb_ms"));
}

TEST_F(GatewayServerTest, ShutdownDrainsInFlightStreamsAndRefusesNewConnections) {
  source_.set_script(streams(5, Then::Finish, 60ms));
  start();
  const uint16_t bound = port();

  // An idle keep-alive connection, and a stream in flight.
  TestClient idle(bound);
  ASSERT_TRUE(idle.request("GET", "/healthz"));
  TestClient streaming(bound);
  streaming.send(raw_request("POST", "/v1/chat/completions", chat_body(true), bearer()));
  ASSERT_EQ(streaming.read_head(), 200u);

  auto done = shutdown_async();

  // The idle connection closes at once; new connections are refused.
  EXPECT_TRUE(idle.closed_by_server(1s));
  EXPECT_TRUE(eventually([&] { return !TestClient(bound).connected(); }, 1s));

  // The stream finishes normally.
  auto rest = streaming.read_rest();
  ASSERT_TRUE(rest);
  auto events = sse_events(*rest);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "data: [DONE]");
  EXPECT_EQ(done.wait_for(2s), std::future_status::ready);
}

TEST_F(GatewayServerTest, ShutdownClosesWhatIsLeftAfterTheDrainTimeout) {
  config_.drain_timeout = 100ms;
  source_.set_script(waits_for_cancel());
  start();
  TestClient client(port());
  client.send(raw_request("POST", "/v1/chat/completions", chat_body(false), bearer()));
  ASSERT_TRUE(eventually([&] { return source_.calls() == 1; }));
  auto began = std::chrono::steady_clock::now();
  EXPECT_TRUE(shutdown(2s));
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1500ms);
  EXPECT_TRUE(source_.saw_cancellation());
}

TEST_F(GatewayServerTest, StartFailsCleanlyOnABadOrTakenAddress) {
  start();
  ServerConfig taken = config_;
  taken.listen = "127.0.0.1:" + std::to_string(port());
  GatewayServices services{[this](size_t) -> CompletionSource& { return source_; },
                           auth_,
                           [] { return std::vector<ModelInfo>{}; },
                           [] { return Readiness{}; },
                           metrics_,
                           log_,
                           access_log_};
  Server second({&io_}, taken, services);
  auto started = second.start();
  EXPECT_FALSE(started.ok());

  ServerConfig bad = config_;
  bad.listen = "not an address";
  Server third({&io_}, bad, services);
  EXPECT_FALSE(third.start().ok());
}

}  // namespace
}  // namespace hearth::gateway

namespace hearth::gateway {
namespace {

TEST(GatewayServerWorkers, TwoWorkersShareOnePortAndEachUsesItsOwnRouter) {
  ScriptedSource sources[2];
  Authenticator auth(false, {});
  MetricsRegistry metrics;
  Logger log(nullptr);
  asio::io_context first, second;
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  std::atomic<int> asked[2] = {0, 0};
  Server server({&first, &second}, config,
                GatewayServices{[&](size_t worker) -> CompletionSource& {
                                  ++asked[worker];
                                  return sources[worker];
                                },
                                auth, [] { return std::vector<ModelInfo>{}; },
                                [] { return Readiness{true, {}}; }, metrics, log, log});
  ASSERT_TRUE(server.start().ok());
  auto guard1 = asio::make_work_guard(first);
  auto guard2 = asio::make_work_guard(second);
  std::thread t1([&] { first.run(); });
  std::thread t2([&] { second.run(); });

  // Fresh connections spread over both acceptors (the kernel balances SO_REUSEPORT).
  for (int i = 0; i < 64 && (asked[0] == 0 || asked[1] == 0); ++i) {
    TestClient client(server.port());
    auto response = client.request("POST", "/v1/chat/completions", chat_body(false));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200);
  }
  EXPECT_GT(asked[0].load(), 0);
  EXPECT_GT(asked[1].load(), 0);

  std::promise<void> done;
  server.shutdown([&] { done.set_value(); });
  EXPECT_EQ(done.get_future().wait_for(3s), std::future_status::ready);
  guard1.reset();
  guard2.reset();
  t1.join();
  t2.join();
}

// Each worker listens on its own socket of one SO_REUSEPORT group; a second server must
// still find the address taken, not join the group.
TEST(GatewayServerWorkers, AnAddressTwoWorkersListenOnIsTakenForAnotherServer) {
  ScriptedSource source;
  Authenticator auth(false, {});
  MetricsRegistry metrics;
  Logger log(nullptr);
  GatewayServices services{[&](size_t) -> CompletionSource& { return source; },
                           auth,
                           [] { return std::vector<ModelInfo>{}; },
                           [] { return Readiness{true, {}}; },
                           metrics,
                           log,
                           log};
  asio::io_context a, b, c, d;
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  Server first({&a, &b}, config, services);
  ASSERT_TRUE(first.start().ok());

  config.listen = "127.0.0.1:" + std::to_string(first.port());
  Server group_of_two({&c, &d}, config, services);
  auto started = group_of_two.start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("bind"), std::string::npos) << started.error().message;
  Server alone({&c}, config, services);
  EXPECT_FALSE(alone.start().ok());

  // The started server's accept and sweep loops end with its drain, before the io_contexts go.
  bool drained = false;
  first.shutdown([&] { drained = true; });
  a.run();
  b.run();
  EXPECT_TRUE(drained);
}

}  // namespace
}  // namespace hearth::gateway
