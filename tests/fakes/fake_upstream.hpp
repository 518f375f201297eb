#pragma once
// FakeUpstream: an in-process HTTP/1.1 server on 127.0.0.1 (port 0) that speaks the OpenAI
// or the Anthropic dialect, for tests of anything that calls an upstream. It runs on its own
// thread and io_context (started by the constructor, stopped and joined by the destructor,
// even with requests still hanging). Every public method is thread-safe.
//
//   FakeUpstream fake;                                  // OpenAI dialect
//   fake.enqueue(FakeBehavior::stream(5));              // the next request: 5 content chunks
//   fake.enqueue(FakeBehavior::error(429, "slow down", "2"));
//   fake.set_default(FakeBehavior::answer("hi"));       // every request after the queue
//   config.base_url = fake.base_url();                  // "http://127.0.0.1:PORT/v1"
//   ...
//   EXPECT_EQ(fake.requests()[0].json["model"], "gpt-4o-mini");
//   EXPECT_TRUE(fake.wait_for_client_close(1s));        // the client gave up mid-response
//
// Routes: OpenAI POST .../chat/completions (chat.completion / chunks), POST .../completions
// (text_completion), GET .../models; Anthropic POST /v1/messages. Anything else: 404.
// A request asks for a stream with "stream": true; an OpenAI stream ends with a usage chunk
// when stream_options.include_usage is set. Responses echo the request's "model".

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::testing {

struct FakeToolCall {
  std::string id = "call_fake_1";
  std::string name = "get_weather";
  std::string arguments = R"({"city":"Paris"})";  // a JSON text, as OpenAI sends it
};

// What the fake does with one request.
struct FakeBehavior {
  enum class Kind {
    Answer,          // a whole completion (or a stream, if the request streams)
    Stream,          // an event stream, whatever the request asked
    Status,          // `status` with an error body in the dialect's shape
    Hang,            // read the request, never answer (until the client or server closes)
    ResetMidStream,  // stream `after_chunks` content chunks, then reset the connection
    MalformedSse,    // stream `after_chunks` content chunks, then a data line that is not JSON
    StallMidStream,  // stream `after_chunks` content chunks, then go silent
    TruncatedStream, // stream `after_chunks` content chunks, then end the body cleanly
                     // without the end marker ([DONE] / message_stop)
  };

  Kind kind = Kind::Answer;
  std::string text = "Hello from the fake upstream.";  // split across `chunks` when streamed
  std::vector<FakeToolCall> tool_calls;                // answered after the text
  int chunks = 3;                                      // content chunks of a stream
  int after_chunks = 0;                                // the *MidStream kinds, MalformedSse, TruncatedStream
  std::chrono::milliseconds chunk_delay{0};            // before each chunk of a stream
  std::chrono::milliseconds header_delay{0};           // before the response head
  std::string finish_reason;  // OpenAI terms; empty: "tool_calls" with tools, else "stop"
  int prompt_tokens = 11;
  int completion_tokens = 7;

  int status = 500;                          // Status
  std::string error_message = "fake upstream error";
  std::string error_type;                    // empty: derived from the status
  std::string raw_body;                      // Status: sent instead of a JSON error body
  std::optional<std::string> retry_after;    // Retry-After header, on any kind
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
  bool hold_open_after_end = false;  // streams: after the end marker, never end the body
  bool close_after = false;  // close the connection once answered, without saying so (as an
                             // idle keep-alive timeout does)

  static FakeBehavior answer(std::string text = "Hello from the fake upstream.");
  static FakeBehavior answer_with_tools(std::vector<FakeToolCall> calls = {FakeToolCall{}});
  static FakeBehavior stream(int chunks = 3,
                             std::chrono::milliseconds chunk_delay = std::chrono::milliseconds(0));
  static FakeBehavior error(int status, std::string message = "fake upstream error",
                            std::optional<std::string> retry_after = std::nullopt);
  static FakeBehavior hang();
  static FakeBehavior reset_mid_stream(int after_chunks);
  static FakeBehavior malformed_sse(int after_chunks = 0);
  static FakeBehavior stall_mid_stream(int after_chunks);
  static FakeBehavior truncated_stream(int after_chunks);
};

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  nlohmann::json json;  // the body parsed; discarded() when it is not JSON

  // The header's value, or "" when absent (name in any case).
  std::string header(std::string_view name) const;
};

class FakeUpstream {
 public:
  enum class Dialect { OpenAi, Anthropic };

  explicit FakeUpstream(Dialect dialect = Dialect::OpenAi);
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT/v1" (OpenAI) or "http://127.0.0.1:PORT" (Anthropic): what an
  // UpstreamConfig's base_url wants.
  std::string base_url() const;
  Dialect dialect() const { return dialect_; }

  // Behaviour for requests when the queue is empty (initially: answer()).
  void set_default(FakeBehavior behavior);
  // Behaviour for the next request not yet served (FIFO).
  void enqueue(FakeBehavior behavior);

  // Runs on the fake's thread for each request, as soon as it has been read and before it is
  // answered (e.g. to look at what the client wrote elsewhere before sending).
  void set_on_request(std::function<void(const RecordedRequest&)> hook);

  std::vector<RecordedRequest> requests() const;
  RecordedRequest last_request() const;  // empty when none
  std::size_t request_count() const;
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const;

  // Connections accepted so far (keep-alive reuse shows as fewer connections than requests).
  int connections() const;
  // Connections the client closed while the fake was still answering (Hang, streams).
  int client_closes() const;
  bool wait_for_client_close(std::chrono::milliseconds timeout, int count = 1) const;

  // Stops serving and joins the thread; the destructor calls it. Open connections close.
  void stop();

 private:
  class Server;
  friend class Server;

  FakeBehavior next_behavior();
  void record(RecordedRequest request);
  void note_connection();
  void note_client_close();

  Dialect dialect_;
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  FakeBehavior default_behavior_;
  std::deque<FakeBehavior> queue_;
  std::vector<RecordedRequest> requests_;
  std::function<void(const RecordedRequest&)> on_request_;
  int connections_ = 0;
  int client_closes_ = 0;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace hearth::testing
