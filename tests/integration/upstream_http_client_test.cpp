// HttpClient on its own against the FakeUpstream: body delivery, backpressure, keep-alive
// and timeouts, through both transports (Beast for http://, which the gateway uses, and
// libcurl, which https:// uses: the same contract, so the same tests).

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "fakes/fake_upstream.hpp"
#include "hearth/upstream/http_client.hpp"

namespace hearth::upstream {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::FakeBehavior;
using testing::FakeUpstream;

// Collects the response; optionally sleeps on every body piece like a slow client socket.
class CollectingHandler final : public HttpStreamHandler {
 public:
  explicit CollectingHandler(Duration delay = Duration(0)) : delay_(delay) {}

  Status on_head(HttpResponseHead head) override {
    head_ = std::move(head);
    return Status{};
  }

  Task<Status> on_body(std::string_view bytes) override {
    body_.append(bytes);
    ++pieces_;
    largest_piece_ = std::max(largest_piece_, bytes.size());
    if (delay_.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, delay_);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return Status{};
  }

  HttpResponseHead head_;
  std::string body_;
  int pieces_ = 0;
  std::size_t largest_piece_ = 0;

 private:
  Duration delay_;
};

Status run(asio::io_context& io, Task<Status> task) {
  std::optional<Status> result;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr error, Status status) {
    if (error) std::rethrow_exception(error);
    result = std::move(status);
  });
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!result && std::chrono::steady_clock::now() < give_up) io.run_one_for(50ms);
  io.restart();
  if (!result) return make_error(ErrorCode::Internal, "did not finish");
  return std::move(*result);
}

// Answers one connection with `response`, byte for byte, once the request has come: for
// what the fake upstream does not say (interim responses).
class CannedServer {
 public:
  explicit CannedServer(std::string response)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}),
        thread_([this, response = std::move(response)] { serve(response); }) {}
  ~CannedServer() {
    // Unblocks an accept that no client reached.
    boost::system::error_code ec;
    asio::ip::tcp::socket knock(io_);
    knock.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string base_url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/v1";
  }

 private:
  void serve(const std::string& response) {
    boost::system::error_code ec;
    asio::ip::tcp::socket socket(io_);
    acceptor_.accept(socket, ec);
    std::string request;
    char buffer[4096];
    while (!ec && !complete(request)) {
      const std::size_t n = socket.read_some(asio::buffer(buffer), ec);
      request.append(buffer, n);
    }
    if (ec) return;
    asio::write(socket, asio::buffer(response), ec);
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }
  // The head and as many body bytes as its Content-Length says.
  static bool complete(std::string request) {
    const std::size_t head_end = request.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    std::transform(request.begin(), request.end(), request.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::size_t length = request.find("content-length:");
    const std::size_t body = length == std::string::npos || length > head_end
                                 ? 0
                                 : std::stoul(request.substr(length + 15));
    return request.size() >= head_end + 4 + body;
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

HttpRequest post(const FakeUpstream& fake, Json body) {
  HttpRequest request;
  request.url = fake.base_url() + "/chat/completions";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = body.dump();
  request.timeouts = {Duration(1000), Duration(2000), Duration(2000), Duration(10000)};
  return request;
}

class HttpClientTest : public ::testing::TestWithParam<bool> {
 protected:
  // The options of the transport under test.
  HttpClientOptions options() const {
    HttpClientOptions options;
    options.plain_http_via_curl = GetParam();
    return options;
  }
};

INSTANTIATE_TEST_SUITE_P(Transports, HttpClientTest, ::testing::Values(false, true),
                         [](const auto& param_info) { return param_info.param ? "curl" : "beast"; });

TEST_P(HttpClientTest, DeliversTheHeadThenTheWholeBody) {
  asio::io_context io;
  FakeUpstream fake;
  FakeBehavior behavior = FakeBehavior::error(418, "teapot");
  behavior.headers = {{"X-Custom", "  padded  "}};
  fake.enqueue(behavior);
  HttpClient client(io.get_executor());
  CollectingHandler handler;
  ASSERT_TRUE(run(io, client.send(post(fake, {{"model", "m"}}), handler)).ok());
  EXPECT_EQ(handler.head_.status, 418);
  EXPECT_EQ(handler.head_.header("x-custom"), "padded");
  EXPECT_EQ(handler.head_.header("content-type"), "application/json");
  EXPECT_FALSE(handler.head_.header("missing").has_value());
  EXPECT_EQ(Json::parse(handler.body_)["error"]["message"], "teapot");
}

// An interim (1xx) response is passed over: its headers are not the response's.
TEST_P(HttpClientTest, PassesOverAnInterimResponse) {
  CannedServer server(
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Final: yes\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3\r\n1}\n\r\n0\r\n\r\n");
  asio::io_context io;
  HttpClient client(io.get_executor(), options());
  HttpRequest request;
  request.url = server.base_url() + "/chat/completions";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = R"({"model":"m"})";
  request.timeouts = {Duration(1000), Duration(2000), Duration(2000), Duration(10000)};
  CollectingHandler handler;
  ASSERT_TRUE(run(io, client.send(request, handler)).ok());
  EXPECT_EQ(handler.head_.status, 200);
  EXPECT_EQ(handler.head_.header("x-final"), "yes");
  EXPECT_FALSE(handler.head_.header("link").has_value());
  EXPECT_EQ(handler.body_, "{\"a\":1}\n");
}

TEST_P(HttpClientTest, PausesForASlowHandlerAndLosesNothing) {
  asio::io_context io;
  FakeUpstream fake;
  const std::string text(3 << 20, 'x');  // 3 MiB: well past the 1 MiB buffer cap
  fake.enqueue(FakeBehavior::answer(text));
  HttpClientOptions slow = options();
  slow.max_buffered_bytes = 256 << 10;
  HttpClient client(io.get_executor(), slow);
  CollectingHandler handler(Duration(5));
  ASSERT_TRUE(run(io, client.send(post(fake, {{"model", "m"}}), handler)).ok());
  EXPECT_EQ(handler.head_.status, 200);
  auto body = Json::parse(handler.body_, nullptr, false);
  ASSERT_FALSE(body.is_discarded());
  EXPECT_EQ(body["choices"][0]["message"]["content"].get<std::string>().size(), text.size());
  // Pieces are bounded by the cap plus what curl delivers in one callback.
  EXPECT_LT(handler.largest_piece_, (256u << 10) + (512u << 10));
}

TEST_P(HttpClientTest, KeepsConnectionsAliveAndReplacesOnesTheServerClosed) {
  asio::io_context io;
  FakeUpstream fake;
  FakeBehavior closing = FakeBehavior::answer("then the server closes");
  closing.close_after = true;
  fake.enqueue(FakeBehavior::answer("one"));
  fake.enqueue(closing);
  HttpClient client(io.get_executor(), options());
  for (int i = 0; i < 4; ++i) {
    CollectingHandler handler;
    ASSERT_TRUE(run(io, client.send(post(fake, {{"model", "m"}}), handler)).ok()) << i;
    EXPECT_EQ(handler.head_.status, 200) << i;
  }
  EXPECT_EQ(fake.request_count(), 4u);
  // The first connection served two requests; its replacement the other two.
  EXPECT_EQ(fake.connections(), 2);
}

TEST_P(HttpClientTest, TimesOutAHungUpstreamAndASilentStream) {
  asio::io_context io;
  FakeUpstream fake;
  fake.enqueue(FakeBehavior::hang());
  fake.enqueue(FakeBehavior::stall_mid_stream(1));
  HttpClient client(io.get_executor(), options());
  HttpRequest hung = post(fake, {{"model", "m"}});
  hung.timeouts.first_byte = Duration(300);
  CollectingHandler first;
  Status status = run(io, client.send(hung, first));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamTimeout);
  EXPECT_NE(status.error().message.find("first byte"), std::string::npos) << status.error().message;

  HttpRequest stalled = post(fake, {{"model", "m"}, {"stream", true}});
  stalled.timeouts.between_chunks = Duration(300);
  CollectingHandler second;
  status = run(io, client.send(stalled, second));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamTimeout);
  EXPECT_NE(status.error().message.find("between chunks"), std::string::npos) << status.error().message;
  EXPECT_NE(second.body_.find("data: "), std::string::npos);  // the chunk before the silence
}

TEST_P(HttpClientTest, AStreamThatKeepsComingOutlastsTheFirstByteTimeout) {
  // Once the head is in, only the silence between chunks counts: the first-byte limit passing
  // mid-stream (its timer may still be pending) must not end the transfer.
  asio::io_context io;
  FakeUpstream fake;
  fake.enqueue(FakeBehavior::stream(6, std::chrono::milliseconds(100)));
  HttpClient client(io.get_executor(), options());
  HttpRequest request = post(fake, {{"model", "m"}, {"stream", true}});
  request.timeouts.first_byte = Duration(250);
  request.timeouts.between_chunks = Duration(400);
  CollectingHandler handler;
  Status status = run(io, client.send(request, handler));
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_NE(handler.body_.find("[DONE]"), std::string::npos) << handler.body_;
}

TEST_P(HttpClientTest, ReportsAResetMidResponseAndARefusedConnection) {
  asio::io_context io;
  FakeUpstream fake;
  fake.enqueue(FakeBehavior::reset_mid_stream(2));
  HttpClient client(io.get_executor(), options());
  CollectingHandler handler;
  Status status = run(io, client.send(post(fake, {{"model", "m"}, {"stream", true}}), handler));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_EQ(handler.head_.status, 200);

  HttpRequest refused = post(fake, {{"model", "m"}});
  refused.url = "http://127.0.0.1:1/v1/chat/completions";  // nothing listens on port 1
  CollectingHandler none;
  status = run(io, client.send(refused, none));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_EQ(none.head_.status, 0);
}

TEST_P(HttpClientTest, ACancelledSendEndsCancelledAndGivesTheCallerItsThrowOnCancelBack) {
  asio::io_context io;
  FakeUpstream fake;
  fake.enqueue(FakeBehavior::hang());
  fake.enqueue(FakeBehavior::answer("after"));
  HttpClient client(io.get_executor(), options());
  CollectingHandler handler;
  HttpRequest hung = post(fake, {{"model", "m"}});
  std::optional<Status> result;
  bool throws_again = false;
  auto caller = [&]() -> Task<void> {
    result = co_await client.send(std::move(hung), handler);
    throws_again = co_await asio::this_coro::throw_if_cancelled();
  };
  asio::cancellation_signal cancel;
  asio::co_spawn(io, caller(), asio::bind_cancellation_slot(cancel.slot(), [](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                 }));
  asio::steady_timer later(io, 200ms);
  later.async_wait([&](boost::system::error_code) { cancel.emit(asio::cancellation_type::terminal); });
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!result && std::chrono::steady_clock::now() < give_up) io.run_one_for(50ms);
  io.restart();
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::Cancelled) << result->error().message;
  EXPECT_TRUE(throws_again);

  // The client goes on serving.
  CollectingHandler next;
  Status status = run(io, client.send(post(fake, {{"model", "m"}}), next));
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(next.head_.status, 200);
}

TEST_P(HttpClientTest, RefusesAHeaderWithALineBreakWithoutEchoingItsValue) {
  if (GetParam()) GTEST_SKIP() << "libcurl checks its own header lines";
  asio::io_context io;
  FakeUpstream fake;
  HttpClient client(io.get_executor(), options());
  HttpRequest request = post(fake, {{"model", "m"}});
  request.shared_headers = std::make_shared<const HttpHeaders>(
      HttpHeaders{{"Authorization", "Bearer sk-secret\r\nX-Injected: 1"}});
  CollectingHandler handler;
  Status status = run(io, client.send(request, handler));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::Internal);
  EXPECT_NE(status.error().message.find("'Authorization'"), std::string::npos) << status.error().message;
  EXPECT_EQ(status.error().message.find("sk-secret"), std::string::npos) << status.error().message;
}

TEST_P(HttpClientTest, SendsEachRequestItsSendersHeadersAndItsOwn) {
  // The plain client makes the part of a head that the URL, the method and the shared headers
  // decide once for each such three: two senders on one URL still send each their own.
  asio::io_context io;
  FakeUpstream fake;
  HttpClient client(io.get_executor(), options());
  const auto alice = std::make_shared<const HttpHeaders>(HttpHeaders{{"Authorization", "Bearer alice"}});
  const auto bob = std::make_shared<const HttpHeaders>(HttpHeaders{{"Authorization", "Bearer bob"}});
  for (int round = 0; round < 2; ++round) {
    for (const auto& [shared, key] : {std::pair{alice, "Bearer alice"}, std::pair{bob, "Bearer bob"}}) {
      HttpRequest request = post(fake, {{"model", "m"}});
      request.shared_headers = shared;
      request.headers.emplace_back("X-Round", std::to_string(round));
      CollectingHandler handler;
      Status status = run(io, client.send(request, handler));
      ASSERT_TRUE(status.ok()) << status.error().message;
      const auto sent = fake.last_request();
      EXPECT_EQ(sent.header("authorization"), key);
      EXPECT_EQ(sent.header("x-round"), std::to_string(round));
      EXPECT_EQ(sent.header("content-type"), "application/json");
    }
  }
}

TEST_P(HttpClientTest, RejectsAnUnsupportedScheme) {
  asio::io_context io;
  HttpClient client(io.get_executor(), options());
  HttpRequest request;
  request.url = "file:///etc/passwd";
  CollectingHandler handler;
  Status status = run(io, client.send(request, handler));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_EQ(handler.body_, "");
}

}  // namespace
}  // namespace hearth::upstream
