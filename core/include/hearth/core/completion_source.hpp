#pragma once
// The two interfaces every route plugs into. A CompletionSource (an upstream, the cache,
// the local node, the router itself) produces a completion into a CompletionSink (the
// client's HTTP session, or a recorder in tests). Both run on one Asio executor; the
// coroutine that calls complete() owns the request and the sink for the call's duration.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "hearth/core/chat.hpp"
#include "hearth/core/clock.hpp"
#include "hearth/core/completion.hpp"
#include "hearth/core/result.hpp"

namespace hearth {

template <class T>
using Task = boost::asio::awaitable<T>;

// What an upstream is about to send: the exact bytes and where they go.
struct Egress {
  std::string_view url;
  std::string_view model;  // the model name in the bytes
  std::string_view body;
};

// Stands between an upstream and the network: an upstream awaits before_send() with the
// bytes of each HTTP request before the first of them leaves, and sends nothing when it
// returns an error (the egress audit record could not be written: fail closed).
class EgressGuard {
 public:
  virtual ~EgressGuard() = default;
  virtual Task<Status> before_send(const Egress& egress) = 0;
};

// Who asked, and by when the answer is due.
struct RequestContext {
  std::string request_id;
  std::string app;   // from the API key; "anonymous" when auth is off
  std::string team;
  TimePoint deadline = TimePoint::max();
  std::map<std::string, std::string> headers;  // the client's x-* headers, names lower-cased
  EgressGuard* egress_guard = nullptr;         // set by the router for audited egress

  // Set by the router for each candidate it tries, so that no attempt copies the request. A
  // source called directly sees the defaults: the request as it is.
  std::string_view target_model{};  // the candidate's name for the model; empty: request.model
  bool force_usage = false;         // a stream carries its usage even if the client did not ask
};

// The model name a source sends to its target.
inline std::string_view target_model(const ChatRequest& request, const RequestContext& context) {
  return context.target_model.empty() ? std::string_view(request.model) : context.target_model;
}

// Whether a streamed answer should end with its usage chunk.
inline bool wants_usage(const ChatRequest& request, const RequestContext& context) {
  return request.include_usage || (request.stream && context.force_usage);
}

class CompletionSink {
 public:
  virtual ~CompletionSink() = default;

  // Names the route the next bytes come from (`upstream:openai`, `cache`, `local:tiny`).
  // Call before the first send; after commit it has no effect on the headers.
  virtual void set_route(std::string_view route) = 0;

  // Says how the response cache took part — `hit`, `miss`, `bypass` or `stored` — for the
  // x-hearth-cache header. Call before the first send; sinks without headers ignore it.
  virtual void set_cache_status(std::string_view /*status*/) {}

  // Names the policy rule that decided the request, for the x-hearth-rule header. Call
  // before the first send; sinks without headers ignore it.
  virtual void set_rule(std::string_view /*rule*/) {}

  // Sends one chunk of a streamed completion. The first call commits the response: from
  // then on a failure can only be reported in-stream with fail(). An error means the
  // client is gone; the source should stop at once.
  virtual Task<Status> send_chunk(const CompletionChunk& chunk) = 0;

  // Sends chunks that are ready together (one upstream read's worth); a sink may write them
  // in one go. The default sends them one by one.
  virtual Task<Status> send_chunks(std::span<const CompletionChunk> chunks) {
    for (const CompletionChunk& chunk : chunks) {
      Status sent = co_await send_chunk(chunk);
      if (!sent) co_return sent;
    }
    co_return Status{};
  }

  // send_chunks without waiting, where the sink can (a coroutine frame fewer per read): the
  // status once the chunks are out, or nullopt when the rest must wait: then send_chunks, with
  // the same chunks, sends it. The default always leaves it to send_chunks.
  virtual std::optional<Status> send_chunks_now(std::span<const CompletionChunk> /*chunks*/) {
    return std::nullopt;
  }

  // The source has seen its stream's end marker: the chunks it sends from now on are its
  // last. A sink may hold them and write them together with the end of the stream (one write
  // instead of two; the client gets the same bytes microseconds later). Wrapping sinks pass
  // it on.
  virtual void expect_end() {}

  // Sends a whole (non-streamed) completion; commits the response.
  virtual Task<Status> send_completion(const Completion& completion) = 0;

  // send_completion without waiting, where the sink can (a coroutine frame fewer): the status
  // once the completion is out, or nullopt when the rest must wait: then send_completion, with
  // the same completion, sends it. The default always leaves it to send_completion.
  virtual std::optional<Status> send_completion_now(const Completion& /*completion*/) {
    return std::nullopt;
  }

  // Whether any byte of the response has gone to the client.
  virtual bool committed() const = 0;
};

// A sink that hands a response on to another, changing some of it on the way: the header
// setters, expect_end and committed() go straight through; subclasses do the sends.
class ForwardingSink : public CompletionSink {
 public:
  explicit ForwardingSink(CompletionSink& next) : next_(next) {}

  void set_route(std::string_view route) override { next_.set_route(route); }
  void set_cache_status(std::string_view status) override { next_.set_cache_status(status); }
  void set_rule(std::string_view rule) override { next_.set_rule(rule); }
  void expect_end() override { next_.expect_end(); }
  bool committed() const override { return next_.committed(); }

 protected:
  CompletionSink& next_;
};

class CompletionSource {
 public:
  virtual ~CompletionSource() = default;

  // Produces the completion for `request` into `sink`: chunks when request.stream, else one
  // completion. On error the caller looks at sink.committed(): before commit it may fail
  // over to another source; after it, it must end the stream with an error event.
  // Cancellation (client gone, deadline) arrives through the coroutine's cancellation slot.
  virtual Task<Status> complete(const ChatRequest& request, const RequestContext& context,
                                CompletionSink& sink) = 0;
};

}  // namespace hearth
