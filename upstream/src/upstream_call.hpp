#pragma once
// One HTTP exchange with an upstream, shared by the dialects: send the request, sort a 2xx
// from an error status, parse the body (one JSON value, or an event stream handed event by
// event to a consumer) and word every failure as an Error with no secret in it.

#include <span>
#include <string_view>

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

// Receives the events of a 2xx event stream, in order, a read's worth at a time (so that
// what arrived together can leave together). Their data may be moved from.
class SseConsumer {
 public:
  virtual ~SseConsumer() = default;
  // An error ends the exchange with that error.
  virtual Task<Status> on_events(std::span<SseEvent> events) = 0;
  // Whether the stream reached its proper end ([DONE], message_stop): nothing after it
  // matters, transport errors included.
  virtual bool finished() const = 0;
};

// Sends the chunks a consumer made from one read, in one go, then returns `status`: what
// came before an error still reaches the client, then the error ends the stream. The
// response commits here, with `route`, only once there are valid chunks to send.
Task<Status> deliver(CompletionSink& sink, std::string_view route,
                     std::span<const CompletionChunk> chunks, Status status);

// Sends `request` and feeds a 2xx event stream to `consumer`. A stream that ends before
// consumer.finished() is an UpstreamError.
Task<Status> call_event_stream(HttpClient& client, HttpRequest request,
                               const CallIdentity& identity, SseConsumer& consumer);

// Sends `request` and returns the 2xx body, which must be a JSON object.
Task<Result<WireObject>> call_json(HttpClient& client, HttpRequest request,
                                   const CallIdentity& identity);

// The upstream's URL for `path`: base_url without trailing slashes, then `path`.
std::string join_url(std::string_view base_url, std::string_view path);

}  // namespace hearth::upstream
