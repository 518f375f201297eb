#include "upstream_call.hpp"

#include <algorithm>
#include <chrono>

#include "hearth/upstream/upstream_errors.hpp"

namespace hearth::upstream {

namespace {

constexpr std::size_t kMaxErrorBodyBytes = 64 * 1024;
constexpr std::size_t kMaxJsonBodyBytes = 64 * 1024 * 1024;
constexpr std::size_t kEventsPerRead = 16;

// Collects the head and body of one exchange; in stream mode parses 2xx bodies as SSE.
class ExchangeHandler final : public HttpStreamHandler {
 public:
  explicit ExchangeHandler(SseConsumer* consumer) : consumer_(consumer) {
    // One read usually brings several events: no growing the vector from one per request.
    if (consumer_ != nullptr) events_.reserve(kEventsPerRead);
  }

  Status on_head(HttpResponseHead head) override {
    head_ = std::move(head);
    auto content_type = head_.header("content-type").value_or("");
    // Some servers answer a streamed request with one JSON body (often an error).
    json_instead_ = consumer_ != nullptr && content_type.find("json") != std::string_view::npos;
    return Status{};
  }

  std::optional<Status> on_body_now(std::string_view bytes) override {
    if (!succeeded() || consumer_ == nullptr || json_instead_) return collect(bytes);
    return std::nullopt;
  }

  Task<Status> on_body(std::string_view bytes) override {
    if (std::optional<Status> now = on_body_now(bytes)) co_return std::move(*now);
    if (consumer_->finished()) co_return Status{};
    events_.clear();
    Status parsed = parser_.feed(bytes, events_);
    if (!events_.empty()) {
      Status status = co_await consumer_->on_events(events_);
      if (!status) co_return status;
    }
    co_return parsed;
  }

  bool finished() const override { return consumer_ != nullptr && consumer_->finished(); }

  bool has_head() const { return head_.status != 0; }
  bool succeeded() const { return head_.status >= 200 && head_.status < 300; }
  bool json_instead() const { return json_instead_; }
  const HttpResponseHead& head() const { return head_; }
  const std::string& body() const { return body_; }
  std::string take_body() && { return std::move(body_); }

 private:
  Status collect(std::string_view bytes) {
    if (!succeeded() || json_instead_) {
      // Error bodies only feed a message: keep the start.
      body_.append(bytes.substr(0, kMaxErrorBodyBytes - std::min(body_.size(), kMaxErrorBodyBytes)));
      return {};
    }
    if (body_.size() + bytes.size() > kMaxJsonBodyBytes) {
      return make_error(ErrorCode::UpstreamError, "upstream response exceeds " +
                                                      std::to_string(kMaxJsonBodyBytes) + " bytes");
    }
    body_.append(bytes);
    return {};
  }

  SseConsumer* consumer_;
  HttpResponseHead head_;
  std::string body_;
  bool json_instead_ = false;
  SseParser parser_;
  std::vector<SseEvent> events_;
};

// Caps the total timeout by the request deadline.
bool apply_deadline(HttpRequest& request, TimePoint deadline) {
  if (deadline == TimePoint::max()) return false;
  auto left = std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
  left = std::max(left, Duration(1));
  if (left >= request.timeouts.total) return false;
  request.timeouts.total = left;
  return true;
}

Error finish_error(Error error, const CallIdentity& identity, bool deadline_binds) {
  if (deadline_binds && error.code == ErrorCode::UpstreamTimeout &&
      std::chrono::steady_clock::now() >= identity.deadline) {
    error.code = ErrorCode::DeadlineExceeded;
  }
  if (error.code == ErrorCode::UpstreamError || error.code == ErrorCode::UpstreamTimeout ||
      error.code == ErrorCode::DeadlineExceeded) {
    if (error.message.rfind("upstream ", 0) == 0) {
      error.message.insert(9, std::string(identity.upstream_name) + ": ");
    }
  }
  error.message = scrub_secret(std::move(error.message), identity.secret);
  return error;
}

Error status_error(const ExchangeHandler& handler, const CallIdentity& identity) {
  const HttpResponseHead& head = handler.head();
  auto retry_after = parse_retry_after(head.header("retry-after").value_or(""),
                                       head.header("retry-after-ms").value_or(""),
                                       std::chrono::system_clock::now());
  return error_from_status(identity.upstream_name, head.status, handler.body(), retry_after,
                           identity.secret);
}

}  // namespace

std::string join_url(std::string_view base_url, std::string_view path) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  return std::string(base_url) + std::string(path);
}

Task<Status> deliver(CompletionSink& sink, std::string_view route,
                     std::span<const CompletionChunk> chunks, Status status) {
  if (!chunks.empty()) {
    if (!sink.committed()) sink.set_route(route);
    Status sent = co_await sink.send_chunks(chunks);
    if (!sent) co_return sent;
  }
  co_return status;
}

Task<Status> call_event_stream(HttpClient& client, HttpRequest request,
                               const CallIdentity& identity, SseConsumer& consumer) {
  const bool deadline_binds = apply_deadline(request, identity.deadline);
  ExchangeHandler handler(&consumer);
  Status sent = co_await client.send(std::move(request), handler);
  if (consumer.finished()) co_return Status{};
  if (handler.has_head() && !handler.succeeded()) co_return status_error(handler, identity);
  if (!sent) co_return finish_error(std::move(sent).error(), identity, deadline_binds);
  if (handler.json_instead()) {
    auto detail = parse_error_body(handler.body());
    co_return finish_error(
        make_error(ErrorCode::UpstreamError,
                   "upstream answered a streamed request with JSON: " + detail.message),
        identity, false);
  }
  co_return finish_error(
      make_error(ErrorCode::UpstreamError, "upstream event stream ended before its end marker"),
      identity, false);
}

Task<Result<WireObject>> call_json(HttpClient& client, HttpRequest request,
                             const CallIdentity& identity) {
  const bool deadline_binds = apply_deadline(request, identity.deadline);
  ExchangeHandler handler(nullptr);
  Status sent = co_await client.send(std::move(request), handler);
  if (handler.has_head() && !handler.succeeded()) co_return status_error(handler, identity);
  if (!sent) co_return finish_error(std::move(sent).error(), identity, deadline_binds);

  auto scan = scan_json_object(handler.body());
  if (!scan) {
    co_return finish_error(
        make_error(ErrorCode::UpstreamError, "upstream sent a malformed JSON body"), identity,
        false);
  }
  if (scan->has_error) {
    auto detail = parse_error_body(handler.body());
    co_return finish_error(
        make_error(ErrorCode::UpstreamError, "upstream reported an error: " + detail.message),
        identity, false);
  }
  co_return WireObject::from_checked_text(std::move(handler).take_body(), *scan);
}

}  // namespace hearth::upstream
