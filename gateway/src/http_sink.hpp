#pragma once
// HttpSink: the CompletionSink a session hands to the router. A streamed request becomes a
// 200 text/event-stream response, committed by the first chunk; a whole completion becomes a
// 200 application/json response. Lives on the session's coroutine frame for one request;
// used only on its worker thread.

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "hearth/core/completion_source.hpp"
#include "http_response.hpp"

namespace hearth::gateway::detail {

// The buffers a sink writes from. A session keeps one set for all its requests, so that each
// request reuses their capacity instead of allocating its own. A sink gives back capacity over
// kKeptCapacity when it ends, so that an idle connection does not hold a large stream's.
struct SinkBuffers {
  static constexpr std::size_t kKeptCapacity = 16 * 1024;

  std::string head_text;  // the response head, until the first write takes it
  std::string payload;    // the events being written
  std::string held;       // the source's last chunks, held for end_stream / fail_stream
};

class HttpSink final : public CompletionSink {
 public:
  // `head` carries the request id and connection semantics; status and route are filled in
  // at commit. `stream` is the request's stream flag. `buffers` must outlive the sink, and
  // serve no other sink meanwhile; the sink empties them first.
  HttpSink(boost::asio::ip::tcp::socket& socket, ResponseHead head, bool stream,
           SinkBuffers& buffers);
  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;
  ~HttpSink() override;

  void set_route(std::string_view route) override;
  void set_cache_status(std::string_view status) override;
  void set_rule(std::string_view rule) override;
  void expect_end() override { hold_ = true; }
  Task<Status> send_chunk(const CompletionChunk& chunk) override;
  Task<Status> send_chunks(std::span<const CompletionChunk> chunks) override;
  std::optional<Status> send_chunks_now(std::span<const CompletionChunk> chunks) override;
  Task<Status> send_completion(const Completion& completion) override;
  std::optional<Status> send_completion_now(const Completion& completion) override;
  bool committed() const override { return committed_; }

  // After the source succeeded on a committed stream: "data: [DONE]" and the last chunk.
  Task<Status> end_stream();
  // end_stream without waiting where the socket takes it: the status, or nullopt when
  // end_stream must finish the write.
  std::optional<Status> end_stream_now();
  // After the source failed on a committed stream: the SSE error event and the last chunk.
  Task<Status> fail_stream(const Error& error);

  std::string_view route() const { return route_.empty() ? std::string_view("none") : route_; }
  const std::string& cache_status() const { return cache_status_; }
  // The policy rule that decided ("none" without policies).
  std::string_view rule() const { return rule_.empty() ? std::string_view("none") : rule_; }
  bool streaming() const { return committed_ && stream_; }
  // A write failed or was cut short: the connection cannot carry anything more.
  bool broken() const { return broken_; }
  // The client went away (a write failed for a reason other than our own cancellation).
  bool client_gone() const { return client_gone_; }
  // The response was written completely and the connection may be reused.
  bool finished() const { return finished_; }
  bool keep_alive() const { return finished_ && !broken_ && head_.keep_alive && framing_ != BodyFraming::UntilClose; }
  std::optional<TimePoint> first_byte() const { return first_byte_; }
  std::optional<Usage> usage() const { return usage_; }

 private:
  void commit(BodyFraming framing);
  // A piece of the body (all of a whole completion's) that the socket did not take at once.
  struct Piece {
    std::string_view payload;  // in payload_ or held_, a constant, or the caller's completion
    std::string_view end;      // the chunk's framing after the payload
    size_t written = 0;        // of head_text_, payload and end together
    bool last = false;
  };
  // Frames `payload` as the body's next piece (the last: `last`) and writes what the socket
  // takes now: the status once it is out, or nullopt when write_rest must finish it.
  std::optional<Status> write_piece_now(std::string_view payload, bool last);
  Task<Status> write_rest();
  Status piece_written(const boost::system::error_code& ec, bool last);
  Status failure(const boost::system::error_code& ec);

  boost::asio::ip::tcp::socket& socket_;
  ResponseHead head_;
  bool stream_;
  std::string route_;
  std::string cache_status_;  // x-hearth-cache
  std::string rule_;          // x-hearth-rule
  std::string& head_text_;  // the buffers' (see SinkBuffers)
  std::string& payload_;
  std::string& held_;
  bool hold_ = false;  // the source's last chunks go to held_
  BodyFraming framing_ = BodyFraming::ContentLength;
  bool committed_ = false;
  bool broken_ = false;
  bool client_gone_ = false;
  bool finished_ = false;
  std::optional<Piece> pending_;  // what write_piece_now began
  std::optional<TimePoint> first_byte_;
  std::optional<Usage> usage_;
};

}  // namespace hearth::gateway::detail
