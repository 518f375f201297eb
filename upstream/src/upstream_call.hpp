#pragma once
// One HTTP exchange with an upstream, shared by the dialects: send the request, sort a 2xx
// from an error status, parse the body (one JSON value, or an event stream handed event by
// event to a consumer) and word every failure as an Error with no secret in it.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/container/small_vector.hpp>

#include "hearth/core/completion_source.hpp"
#include "hearth/upstream/http_client.hpp"
#include "hearth/upstream/sse_parser.hpp"

namespace hearth::upstream {

// Who we are talking to, for error messages; `secret` is scrubbed from them.
struct CallIdentity {
  std::string_view upstream_name;
  std::string_view secret;
  TimePoint deadline = TimePoint::max();  // the request's; caps the total timeout
};

// The chunks one read's events make, kept in place as its events are (SseEvents).
using CompletionChunks = boost::container::small_vector<CompletionChunk, 16>;

// Receives the events of a 2xx event stream, in order, a read's worth at a time (so that
// what arrived together can leave together), turns them into chunks and sends those to its
// sink. A dialect says how its events become chunks (take); sending is shared.
class SseConsumer {
 public:
  // `route` names the upstream (`upstream:NAME`) and must outlive the consumer.
  SseConsumer(CompletionSink& sink, std::string_view route) : sink_(sink), route_(route) {}
  virtual ~SseConsumer() = default;

  // Takes one read's events and sends the chunks they make where the sink takes them without
  // waiting: the outcome, or nullopt when sending must wait: then deliver_rest() sends them.
  // Events and chunks may view the read's bytes, which on_body (the caller of deliver_rest)
  // keeps valid. An error ends the exchange with that error; what came before it still
  // reaches the client. The response commits, with the route, only once there are valid
  // chunks to send.
  std::optional<Status> on_events_now(std::span<const SseEvent> events);
  // Sends the chunks on_events_now could not, then returns its outcome.
  Task<Status> deliver_rest();

  // Whether the stream reached its proper end ([DONE], message_stop) and all before it is out:
  // nothing after it matters, transport errors included.
  bool finished() const { return finished_; }

 protected:
  // Appends the chunks `events` make to `chunks`, stopping at the stream's end or an error.
  virtual Status take(std::span<const SseEvent> events, CompletionChunks& chunks) = 0;
  // Whether take has seen the stream's end.
  virtual bool saw_end() const = 0;

 private:
  CompletionSink& sink_;
  std::string_view route_;
  CompletionChunks chunks_;
  Status outcome_;  // what take said of the events being sent
  bool finished_ = false;
};

// Collects the head and body of one exchange; in stream mode parses 2xx bodies as SSE.
class ExchangeHandler final : public HttpStreamHandler {
 public:
  explicit ExchangeHandler(SseConsumer* consumer);

  Status on_head(HttpResponseHead head) override;
  std::optional<Status> on_body_now(std::string_view bytes) override;
  Task<Status> on_body(std::string_view bytes) override;
  bool finished() const override { return consumer_ != nullptr && consumer_->finished(); }

  bool has_head() const { return head_.status != 0; }
  bool succeeded() const { return head_.status >= 200 && head_.status < 300; }
  bool json_instead() const { return json_instead_; }
  const HttpResponseHead& head() const { return head_; }
  const std::string& body() const { return body_; }
  std::string take_body() && { return std::move(body_); }

 private:
  Status collect(std::string_view bytes);

  SseConsumer* consumer_;
  Status parsed_;  // the parser's verdict on bytes whose events on_body still delivers
  HttpResponseHead head_;
  std::string body_;
  bool json_instead_ = false;
  SseParser parser_;
  SseEvents events_;
};

// One exchange with an upstream. The dialect awaits the send itself, a coroutine frame fewer
// per request than a shared coroutine around it would cost:
//   UpstreamCall call(http, identity);
//   Status sent = co_await client.send(std::move(http), call.handler());
//   Result<WireObject> answer = std::move(call).json_outcome(std::move(sent));
class UpstreamCall {
 public:
  // Caps `request`'s total timeout by the identity's deadline. `consumer`: the call is an event
  // stream fed to it (stream_outcome); null: the call returns one JSON object (json_outcome).
  // The identity and the consumer must outlive the call.
  UpstreamCall(HttpRequest& request, const CallIdentity& identity,
               SseConsumer* consumer = nullptr);

  HttpStreamHandler& handler() { return handler_; }

  // How an event stream ended, given what send returned: ok once the consumer is finished; a
  // stream that ends before that is an UpstreamError.
  Status stream_outcome(Status sent) const;
  // The 2xx body, which must be a JSON object, given what send returned.
  Result<WireObject> json_outcome(Status sent) &&;

 private:
  ExchangeHandler handler_;
  const CallIdentity& identity_;
  const bool deadline_binds_;
  SseConsumer* consumer_;
};

// The upstream's URL for `path`: base_url without trailing slashes, then `path`.
std::string join_url(std::string_view base_url, std::string_view path);

}  // namespace hearth::upstream
