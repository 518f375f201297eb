// GCC 12 false positives in Asio/Beast code inlined into coroutines (the coroutine frame's
// class-specific new/delete; a boost::optional inside Beast's parser), seen with -O2 and
// sanitizers.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "fakes/fake_upstream.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace hearth::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using nlohmann::json;
using namespace asio::experimental::awaitable_operators;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kLastChunk = "0\r\n\r\n";

FakeBehavior FakeBehavior::answer(std::string text) {
  FakeBehavior behavior;
  behavior.text = std::move(text);
  return behavior;
}

FakeBehavior FakeBehavior::answer_with_tools(std::vector<FakeToolCall> calls) {
  FakeBehavior behavior;
  behavior.text.clear();
  behavior.tool_calls = std::move(calls);
  return behavior;
}

FakeBehavior FakeBehavior::stream(int chunks, std::chrono::milliseconds chunk_delay) {
  FakeBehavior behavior;
  behavior.kind = Kind::Stream;
  behavior.chunks = chunks;
  behavior.chunk_delay = chunk_delay;
  return behavior;
}

FakeBehavior FakeBehavior::error(int status, std::string message,
                                 std::optional<std::string> retry_after) {
  FakeBehavior behavior;
  behavior.kind = Kind::Status;
  behavior.status = status;
  behavior.error_message = std::move(message);
  behavior.retry_after = std::move(retry_after);
  return behavior;
}

FakeBehavior FakeBehavior::hang() {
  FakeBehavior behavior;
  behavior.kind = Kind::Hang;
  return behavior;
}

FakeBehavior FakeBehavior::reset_mid_stream(int after_chunks) {
  FakeBehavior behavior;
  behavior.kind = Kind::ResetMidStream;
  behavior.after_chunks = after_chunks;
  return behavior;
}

FakeBehavior FakeBehavior::malformed_sse(int after_chunks) {
  FakeBehavior behavior;
  behavior.kind = Kind::MalformedSse;
  behavior.after_chunks = after_chunks;
  return behavior;
}

FakeBehavior FakeBehavior::stall_mid_stream(int after_chunks) {
  FakeBehavior behavior;
  behavior.kind = Kind::StallMidStream;
  behavior.after_chunks = after_chunks;
  return behavior;
}

FakeBehavior FakeBehavior::truncated_stream(int after_chunks) {
  FakeBehavior behavior;
  behavior.kind = Kind::TruncatedStream;
  behavior.after_chunks = after_chunks;
  return behavior;
}

std::string RecordedRequest::header(std::string_view name) const {
  std::string key(name);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto it = headers.find(key);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

// The response payloads, in the dialect of the fake: pure functions of the request and
// the behaviour.
struct Payloads {
  FakeUpstream::Dialect dialect;
  const FakeBehavior& behavior;
  const json& request;
  bool text_completion;  // OpenAI /completions
  int serial;

  std::string model() const {
    return request.is_object() ? request.value("model", "fake-model") : "fake-model";
  }

  std::string finish_reason() const {
    if (!behavior.finish_reason.empty()) return behavior.finish_reason;
    return behavior.tool_calls.empty() ? "stop" : "tool_calls";
  }

  std::string stop_reason() const {
    const std::string reason = finish_reason();
    if (reason == "length") return "max_tokens";
    if (reason == "tool_calls") return "tool_use";
    return "end_turn";
  }

  json openai_usage() const {
    return {{"prompt_tokens", behavior.prompt_tokens},
            {"completion_tokens", behavior.completion_tokens},
            {"total_tokens", behavior.prompt_tokens + behavior.completion_tokens}};
  }

  std::vector<std::string> pieces() const {
    std::vector<std::string> out;
    const auto n = static_cast<std::size_t>(std::max(behavior.chunks, 0));
    const std::string& text = behavior.text;
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(text.substr(text.size() * i / n, text.size() * (i + 1) / n - text.size() * i / n));
    }
    return out;
  }

  std::string id() const {
    return (dialect == FakeUpstream::Dialect::Anthropic ? "msg_fake_" : "chatcmpl-fake-") +
           std::to_string(serial);
  }

  json whole() const {
    if (dialect == FakeUpstream::Dialect::Anthropic) {
      json content = json::array();
      if (!behavior.text.empty()) content.push_back({{"type", "text"}, {"text", behavior.text}});
      for (const auto& call : behavior.tool_calls) {
        content.push_back({{"type", "tool_use"},
                           {"id", call.id},
                           {"name", call.name},
                           {"input", json::parse(call.arguments, nullptr, false)}});
      }
      return {{"id", id()},
              {"type", "message"},
              {"role", "assistant"},
              {"model", model()},
              {"content", content},
              {"stop_reason", stop_reason()},
              {"stop_sequence", nullptr},
              {"usage",
               {{"input_tokens", behavior.prompt_tokens},
                {"output_tokens", behavior.completion_tokens}}}};
    }
    if (text_completion) {
      return {{"id", id()},
              {"object", "text_completion"},
              {"created", 1700000000},
              {"model", model()},
              {"choices",
               json::array({{{"index", 0},
                             {"text", behavior.text},
                             {"logprobs", nullptr},
                             {"finish_reason", finish_reason()}}})},
              {"usage", openai_usage()}};
    }
    json message{{"role", "assistant"},
                 {"content", behavior.text.empty() && !behavior.tool_calls.empty()
                                 ? json(nullptr)
                                 : json(behavior.text)}};
    if (!behavior.tool_calls.empty()) {
      json calls = json::array();
      for (const auto& call : behavior.tool_calls) {
        calls.push_back({{"id", call.id},
                         {"type", "function"},
                         {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
      }
      message["tool_calls"] = calls;
    }
    return {{"id", id()},
            {"object", "chat.completion"},
            {"created", 1700000000},
            {"model", model()},
            {"system_fingerprint", "fp_fake"},
            {"choices",
             json::array({{{"index", 0},
                           {"message", message},
                           {"logprobs", nullptr},
                           {"finish_reason", finish_reason()}}})},
            {"usage", openai_usage()}};
  }

  static std::string sse(const json& data, std::string_view event = {}) {
    std::string out;
    if (!event.empty()) out += "event: " + std::string(event) + "\n";
    return out + "data: " + data.dump() + "\n\n";
  }

  json openai_chunk(json delta, json finish_reason = nullptr) const {
    json choice{{"index", 0}};
    if (text_completion) {
      choice["text"] = delta.value("content", "");
    } else {
      choice["delta"] = std::move(delta);
    }
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = std::move(finish_reason);
    return {{"id", id()},
            {"object", text_completion ? "text_completion" : "chat.completion.chunk"},
            {"created", 1700000000},
            {"model", model()},
            {"system_fingerprint", "fp_fake"},
            {"choices", json::array({choice})}};
  }

  // The stream as steps: one per content chunk (the first carries the preamble), then the
  // tail (tool calls, finish, usage, end marker).
  std::vector<std::string> stream_steps() const {
    std::vector<std::string> steps;
    const auto texts = pieces();
    if (dialect == FakeUpstream::Dialect::Anthropic) {
      const std::string preamble =
          sse({{"type", "message_start"},
               {"message",
                {{"id", id()},
                 {"type", "message"},
                 {"role", "assistant"},
                 {"model", model()},
                 {"content", json::array()},
                 {"stop_reason", nullptr},
                 {"stop_sequence", nullptr},
                 {"usage", {{"input_tokens", behavior.prompt_tokens}, {"output_tokens", 1}}}}}},
              "message_start") +
          sse({{"type", "content_block_start"},
               {"index", 0},
               {"content_block", {{"type", "text"}, {"text", ""}}}},
              "content_block_start") +
          sse({{"type", "ping"}}, "ping");
      for (std::size_t i = 0; i < texts.size(); ++i) {
        std::string step = i == 0 ? preamble : std::string();
        step += sse({{"type", "content_block_delta"},
                     {"index", 0},
                     {"delta", {{"type", "text_delta"}, {"text", texts[i]}}}},
                    "content_block_delta");
        steps.push_back(std::move(step));
      }
      std::string tail = texts.empty() ? preamble : std::string();
      tail += sse({{"type", "content_block_stop"}, {"index", 0}}, "content_block_stop");
      int index = 1;
      for (const auto& call : behavior.tool_calls) {
        tail += sse({{"type", "content_block_start"},
                     {"index", index},
                     {"content_block",
                      {{"type", "tool_use"}, {"id", call.id}, {"name", call.name}, {"input", json::object()}}}},
                    "content_block_start");
        // Arguments arrive as partial JSON text, split anywhere.
        const std::size_t half = call.arguments.size() / 2;
        for (const std::string& part : {call.arguments.substr(0, half), call.arguments.substr(half)}) {
          tail += sse({{"type", "content_block_delta"},
                       {"index", index},
                       {"delta", {{"type", "input_json_delta"}, {"partial_json", part}}}},
                      "content_block_delta");
        }
        tail += sse({{"type", "content_block_stop"}, {"index", index}}, "content_block_stop");
        ++index;
      }
      tail += sse({{"type", "message_delta"},
                   {"delta", {{"stop_reason", stop_reason()}, {"stop_sequence", nullptr}}},
                   {"usage", {{"output_tokens", behavior.completion_tokens}}}},
                  "message_delta");
      tail += sse({{"type", "message_stop"}}, "message_stop");
      steps.push_back(std::move(tail));
      return steps;
    }

    for (std::size_t i = 0; i < texts.size(); ++i) {
      json delta{{"content", texts[i]}};
      if (i == 0) delta["role"] = "assistant";
      steps.push_back(sse(openai_chunk(std::move(delta))));
    }
    std::string tail;
    for (std::size_t i = 0; i < behavior.tool_calls.size(); ++i) {
      const auto& call = behavior.tool_calls[i];
      tail += sse(openai_chunk({{"tool_calls",
                                 json::array({{{"index", i},
                                               {"id", call.id},
                                               {"type", "function"},
                                               {"function", {{"name", call.name}, {"arguments", ""}}}}})}}));
      tail += sse(openai_chunk(
          {{"tool_calls", json::array({{{"index", i}, {"function", {{"arguments", call.arguments}}}}})}}));
    }
    tail += sse(openai_chunk(json::object(), finish_reason()));
    const bool usage = request.is_object() && request.contains("stream_options") &&
                       request["stream_options"].is_object() &&
                       request["stream_options"].value("include_usage", false);
    if (usage) {
      json last = openai_chunk(json::object());
      last["choices"] = json::array();
      last["usage"] = openai_usage();
      tail += sse(last);
    }
    tail += "data: [DONE]\n\n";
    steps.push_back(std::move(tail));
    return steps;
  }

  json error_body(int status) const {
    std::string type = behavior.error_type;
    if (type.empty()) {
      if (status == 429) type = dialect == FakeUpstream::Dialect::Anthropic ? "rate_limit_error" : "rate_limit_exceeded";
      else if (status == 401) type = dialect == FakeUpstream::Dialect::Anthropic ? "authentication_error" : "invalid_api_key";
      else if (status == 529) type = "overloaded_error";
      else if (status >= 500) type = dialect == FakeUpstream::Dialect::Anthropic ? "api_error" : "server_error";
      else type = "invalid_request_error";
    }
    if (dialect == FakeUpstream::Dialect::Anthropic) {
      return {{"type", "error"}, {"error", {{"type", type}, {"message", behavior.error_message}}}};
    }
    return {{"error",
             {{"message", behavior.error_message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}};
  }
};

}  // namespace

// The io_context, its thread's acceptor loop and one coroutine per connection.
class FakeUpstream::Server {
 public:
  explicit Server(FakeUpstream& owner) : owner_(owner), acceptor_(io_) {
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
  }

  uint16_t port() const { return port_; }
  void run() { io_.run(); }
  void stop() { io_.stop(); }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec) co_return;
      owner_.note_connection();
      // Streams are many small writes: no Nagle delay between them.
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      asio::co_spawn(io_, session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64u << 20);  // big prompts and images are fair game
      auto [ec, bytes] = co_await http::async_read(socket, buffer, parser, kNoThrow);
      if (ec) co_return;
      http::request<http::string_body> request = parser.release();
      RecordedRequest recorded;
      recorded.method = std::string(request.method_string());
      recorded.target = std::string(request.target());
      for (const auto& field : request) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        recorded.headers[name] = std::string(field.value());
      }
      recorded.body = request.body();
      recorded.json = json::parse(recorded.body, nullptr, false);
      json body = recorded.json;
      const std::string target = recorded.target;
      const std::string method = recorded.method;
      owner_.record(std::move(recorded));
      FakeBehavior behavior = owner_.next_behavior();
      const int serial = static_cast<int>(owner_.request_count());
      bool keep_alive = co_await respond(socket, method, target, body, behavior, serial);
      if (!keep_alive || behavior.close_after || !request.keep_alive()) co_return;
    }
  }

  // Completes when the client closes the connection (counted), never otherwise; cancel it
  // to stop watching.
  asio::awaitable<void> watch_close(tcp::socket& socket, bool& closed) {
    for (;;) {
      auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, kNoThrow);
      if (ec == asio::error::operation_aborted) co_return;
      char byte = 0;
      ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (ec || n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        if (!closed) {
          closed = true;
          owner_.note_client_close();
        }
        co_return;
      }
      if (n > 0) {
        // A pipelined request: nothing more to learn until the response ends.
        asio::steady_timer forever(io_, std::chrono::hours(24));
        co_await forever.async_wait(kNoThrow);
        co_return;
      }
    }
  }

  asio::awaitable<bool> pause(std::chrono::milliseconds delay) {
    if (delay.count() <= 0) co_return true;
    asio::steady_timer timer(io_, delay);
    auto [ec] = co_await timer.async_wait(kNoThrow);
    co_return !ec;
  }

  // `data` must outlive the call (callers pass named strings: no temporaries in co_await).
  asio::awaitable<bool> write_raw(tcp::socket& socket, std::string_view data, bool& closed) {
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(data), kNoThrow);
    if (ec && ec != asio::error::operation_aborted && !closed) {
      closed = true;
      owner_.note_client_close();
    }
    co_return !ec;
  }

  static std::string chunk(std::string_view data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return std::string(size) + std::string(data) + "\r\n";
  }

  std::string head(int status, std::string_view content_type, const FakeBehavior& behavior,
                   std::optional<std::size_t> content_length) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                      std::string(http::obsolete_reason(static_cast<http::status>(status))) + "\r\n";
    out += "Content-Type: " + std::string(content_type) + "\r\n";
    if (behavior.retry_after) out += "Retry-After: " + *behavior.retry_after + "\r\n";
    for (const auto& [name, value] : behavior.headers) out += name + ": " + value + "\r\n";
    if (content_length) {
      out += "Content-Length: " + std::to_string(*content_length) + "\r\n";
    } else {
      out += "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n";
    }
    return out + "\r\n";
  }

  // Answers one request; false when the connection must not be reused.
  asio::awaitable<bool> respond(tcp::socket& socket, const std::string& method,
                                const std::string& target, const json& body,
                                const FakeBehavior& behavior, int serial) {
    bool closed = false;
    const bool anthropic = owner_.dialect_ == Dialect::Anthropic;
    auto ends_with = [&](std::string_view suffix) {
      return target.size() >= suffix.size() && target.compare(target.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    const bool chat = !anthropic && ends_with("/chat/completions");
    const bool text = !anthropic && !chat && ends_with("/completions");
    const bool messages = anthropic && ends_with("/v1/messages");
    Payloads payloads{owner_.dialect_, behavior, body, text, serial};

    if (behavior.header_delay.count() > 0) {
      auto result = co_await (pause(behavior.header_delay) || watch_close(socket, closed));
      if (result.index() == 1 || closed) co_return false;
    }
    if (behavior.kind == FakeBehavior::Kind::Hang) {
      co_await watch_close(socket, closed);
      co_return false;
    }
    if (!anthropic && method == "GET" && ends_with("/models")) {
      std::string out = json{{"object", "list"},
                             {"data", json::array({{{"id", "fake-model"}, {"object", "model"}, {"owned_by", "fake"}}})}}
                            .dump();
      std::string response = head(200, "application/json", behavior, out.size()) + out;
      co_return co_await write_raw(socket, response, closed);
    }
    if (method != "POST" || !(chat || text || messages)) {
      FakeBehavior missing = behavior;
      missing.error_message = "no route for " + method + " " + target;
      std::string out = Payloads{owner_.dialect_, missing, body, false, serial}.error_body(404).dump();
      std::string response = head(404, "application/json", behavior, out.size()) + out;
      co_return co_await write_raw(socket, response, closed);
    }
    if (behavior.kind == FakeBehavior::Kind::Status) {
      std::string out = behavior.raw_body.empty() ? payloads.error_body(behavior.status).dump() : behavior.raw_body;
      std::string response = head(behavior.status, "application/json", behavior, out.size()) + out;
      co_return co_await write_raw(socket, response, closed);
    }
    const bool wants_stream = body.is_object() && body.value("stream", false);
    if (behavior.kind == FakeBehavior::Kind::Answer && !wants_stream) {
      std::string out = payloads.whole().dump();
      std::string response = head(200, "application/json", behavior, out.size()) + out;
      co_return co_await write_raw(socket, response, closed);
    }

    // An event stream, raced against the client closing the connection.
    auto steps = payloads.stream_steps();
    std::size_t limit = steps.size();
    const bool cut_short = behavior.kind == FakeBehavior::Kind::ResetMidStream ||
                           behavior.kind == FakeBehavior::Kind::MalformedSse ||
                           behavior.kind == FakeBehavior::Kind::StallMidStream ||
                           behavior.kind == FakeBehavior::Kind::TruncatedStream;
    if (cut_short) limit = std::min(limit, static_cast<std::size_t>(std::max(behavior.after_chunks, 0)));
    auto write_stream = [&]() -> asio::awaitable<bool> {
      std::string stream_head = head(200, "text/event-stream", behavior, std::nullopt);
      if (!co_await write_raw(socket, stream_head, closed)) co_return false;
      for (std::size_t i = 0; i < limit; ++i) {
        if (!co_await pause(behavior.chunk_delay)) co_return false;
        std::string framed = chunk(steps[i]);
        if (!co_await write_raw(socket, framed, closed)) co_return false;
      }
      switch (behavior.kind) {
        case FakeBehavior::Kind::ResetMidStream: {
          // An abortive close: the client sees a reset, not a clean end.
          boost::system::error_code ignored;
          socket.set_option(asio::socket_base::linger(true, 0), ignored);
          socket.close(ignored);
          co_return false;
        }
        case FakeBehavior::Kind::MalformedSse: {
          std::string bad = chunk("data: {this is not json\n\n");
          co_await write_raw(socket, bad, closed);
          co_await write_raw(socket, kLastChunk, closed);
          co_return true;
        }
        case FakeBehavior::Kind::StallMidStream:
          // Silence until the client gives up (the racing watch_close sees that).
          co_await pause(std::chrono::hours(24));
          co_return false;
        default:
          if (behavior.hold_open_after_end) {
            co_await pause(std::chrono::hours(24));
            co_return false;
          }
          co_return co_await write_raw(socket, kLastChunk, closed);
      }
    };
    auto result = co_await (write_stream() || watch_close(socket, closed));
    if (result.index() == 1 || closed) co_return false;
    co_return std::get<0>(result);
  }

  FakeUpstream& owner_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
};

FakeUpstream::FakeUpstream(Dialect dialect) : dialect_(dialect) {
  server_ = std::make_unique<Server>(*this);
  port_ = server_->port();
  thread_ = std::thread([this] { server_->run(); });
}

FakeUpstream::~FakeUpstream() { stop(); }

void FakeUpstream::stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();  // destroys pending coroutines and closes their sockets
}

std::string FakeUpstream::base_url() const {
  std::string url = "http://127.0.0.1:" + std::to_string(port_);
  return dialect_ == Dialect::OpenAi ? url + "/v1" : url;
}

void FakeUpstream::set_default(FakeBehavior behavior) {
  std::lock_guard lock(mutex_);
  default_behavior_ = std::move(behavior);
}

void FakeUpstream::enqueue(FakeBehavior behavior) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(behavior));
}

std::vector<RecordedRequest> FakeUpstream::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

RecordedRequest FakeUpstream::last_request() const {
  std::lock_guard lock(mutex_);
  return requests_.empty() ? RecordedRequest{} : requests_.back();
}

std::size_t FakeUpstream::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

bool FakeUpstream::wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

int FakeUpstream::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

int FakeUpstream::client_closes() const {
  std::lock_guard lock(mutex_);
  return client_closes_;
}

bool FakeUpstream::wait_for_client_close(std::chrono::milliseconds timeout, int count) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return client_closes_ >= count; });
}

FakeBehavior FakeUpstream::next_behavior() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return default_behavior_;
  FakeBehavior behavior = std::move(queue_.front());
  queue_.pop_front();
  return behavior;
}

void FakeUpstream::set_on_request(std::function<void(const RecordedRequest&)> hook) {
  std::lock_guard lock(mutex_);
  on_request_ = std::move(hook);
}

void FakeUpstream::record(RecordedRequest request) {
  std::lock_guard lock(mutex_);
  if (on_request_) on_request_(request);
  requests_.push_back(std::move(request));
  changed_.notify_all();
}

void FakeUpstream::note_connection() {
  std::lock_guard lock(mutex_);
  ++connections_;
  changed_.notify_all();
}

void FakeUpstream::note_client_close() {
  std::lock_guard lock(mutex_);
  ++client_closes_;
  changed_.notify_all();
}

}  // namespace hearth::testing
