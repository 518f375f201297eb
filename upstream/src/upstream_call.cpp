#include "upstream_call.hpp"

#include <algorithm>
#include <chrono>

#include "hearth/upstream/upstream_errors.hpp"

namespace hearth::upstream {

namespace {

constexpr std::size_t kMaxErrorBodyBytes = 64 * 1024;
constexpr std::size_t kMaxJsonBodyBytes = 64 * 1024 * 1024;

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

ExchangeHandler::ExchangeHandler(SseConsumer* consumer) : consumer_(consumer) {}

Status ExchangeHandler::on_head(HttpResponseHead head) {
  head_ = std::move(head);
  // Some servers answer a streamed request with one JSON body (often an error).
  if (consumer_ != nullptr) {
    json_instead_ = head_.header("content-type").value_or("").find("json") != std::string_view::npos;
  }
  return Status{};
}

std::optional<Status> ExchangeHandler::on_body_now(std::string_view bytes) {
  if (!succeeded() || consumer_ == nullptr || json_instead_) return collect(bytes);
  if (consumer_->finished()) return Status{};
  events_.clear();
  Status parsed = parser_.feed(bytes, events_);
  if (!events_.empty()) {
    std::optional<Status> status = consumer_->on_events_now(events_);
    if (!status) {
      parsed_ = std::move(parsed);
      return std::nullopt;
    }
    if (!*status) return status;
  }
  return parsed;
}

Task<Status> ExchangeHandler::on_body(std::string_view /*bytes*/) {
  // Called only after on_body_now returned nullopt: its events wait in the consumer.
  Status status = co_await consumer_->deliver_rest();
  if (!status) co_return status;
  co_return std::move(parsed_);
}

Status ExchangeHandler::collect(std::string_view bytes) {
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

std::string join_url(std::string_view base_url, std::string_view path) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  return std::string(base_url) + std::string(path);
}

std::optional<Status> SseConsumer::on_events_now(std::span<const SseEvent> events) {
  chunks_.clear();
  outcome_ = take(events, chunks_);
  // The last chunks may wait for the stream's end, to leave with it in one write.
  if (saw_end() && outcome_.ok()) sink_.expect_end();
  if (!chunks_.empty()) {
    if (!sink_.committed()) sink_.set_route(route_);
    std::optional<Status> sent = sink_.send_chunks_now(chunks_);
    if (!sent) return std::nullopt;
    if (!*sent) return sent;
  }
  finished_ = outcome_.ok() && saw_end();  // only once everything before the end is out
  return std::move(outcome_);
}

Task<Status> SseConsumer::deliver_rest() {
  Status sent = co_await sink_.send_chunks(chunks_);
  if (!sent) co_return sent;
  finished_ = outcome_.ok() && saw_end();
  co_return std::move(outcome_);
}

UpstreamCall::UpstreamCall(HttpRequest& request, const CallIdentity& identity,
                           SseConsumer* consumer)
    : handler_(consumer),
      identity_(identity),
      deadline_binds_(apply_deadline(request, identity.deadline)),
      consumer_(consumer) {}

Status UpstreamCall::stream_outcome(Status sent) const {
  if (consumer_->finished()) return Status{};
  if (handler_.has_head() && !handler_.succeeded()) return status_error(handler_, identity_);
  if (!sent) return finish_error(std::move(sent).error(), identity_, deadline_binds_);
  if (handler_.json_instead()) {
    auto detail = parse_error_body(handler_.body());
    return finish_error(make_error(ErrorCode::UpstreamError,
                                   "upstream answered a streamed request with JSON: " + detail.message),
                        identity_, false);
  }
  return finish_error(
      make_error(ErrorCode::UpstreamError, "upstream event stream ended before its end marker"),
      identity_, false);
}

Result<WireObject> UpstreamCall::json_outcome(Status sent) && {
  if (handler_.has_head() && !handler_.succeeded()) return status_error(handler_, identity_);
  if (!sent) return finish_error(std::move(sent).error(), identity_, deadline_binds_);

  auto scan = scan_json_object(handler_.body());
  if (!scan) {
    return finish_error(make_error(ErrorCode::UpstreamError, "upstream sent a malformed JSON body"),
                        identity_, false);
  }
  if (scan->has_error) {
    auto detail = parse_error_body(handler_.body());
    return finish_error(
        make_error(ErrorCode::UpstreamError, "upstream reported an error: " + detail.message),
        identity_, false);
  }
  return WireObject::from_checked_text(std::move(handler_).take_body(), *scan);
}

}  // namespace hearth::upstream
