#include "hearth/gateway/error_response.hpp"

#include <string_view>

namespace hearth::gateway {
namespace {

struct Shape {
  unsigned status;
  std::string_view type;
  std::string_view code;  // empty → null
  bool retry_after_by_default;
};

unsigned upstream_rejected_status(int upstream_status) {
  switch (upstream_status) {
    case 400: case 404: case 409: case 413: case 422: return static_cast<unsigned>(upstream_status);
    default: return 400;
  }
}

Shape shape_of(const Error& error) {
  switch (error.code) {
    case ErrorCode::InvalidRequest: return {400, "invalid_request_error", "", false};
    case ErrorCode::InvalidJson: return {400, "invalid_request_error", "", false};
    case ErrorCode::ContextLengthExceeded:
      return {400, "invalid_request_error", "context_length_exceeded", false};
    case ErrorCode::Unsupported: return {400, "invalid_request_error", "unsupported", false};
    case ErrorCode::Unauthorized: return {401, "invalid_request_error", "invalid_api_key", false};
    case ErrorCode::PermissionDenied: return {403, "permission_error", "permission_denied", false};
    case ErrorCode::ModelNotFound: return {404, "invalid_request_error", "model_not_found", false};
    case ErrorCode::NotFound: return {404, "invalid_request_error", "", false};
    case ErrorCode::MethodNotAllowed: return {405, "invalid_request_error", "", false};
    case ErrorCode::RequestTimeout: return {408, "invalid_request_error", "request_timeout", false};
    case ErrorCode::PayloadTooLarge:
      return {413, "invalid_request_error", "payload_too_large", false};
    case ErrorCode::RateLimited: return {429, "rate_limit_exceeded", "rate_limit_exceeded", false};
    case ErrorCode::UpstreamRejected:
      return {upstream_rejected_status(error.upstream_status), "invalid_request_error", "", false};
    case ErrorCode::UpstreamError: return {502, "upstream_error", "upstream_error", false};
    case ErrorCode::UpstreamTimeout: return {504, "timeout_error", "upstream_timeout", false};
    case ErrorCode::DeadlineExceeded: return {504, "timeout_error", "deadline_exceeded", false};
    case ErrorCode::NoHealthyRoute:
      return {503, "service_unavailable_error", "no_healthy_route", true};
    case ErrorCode::Overloaded: return {503, "service_unavailable_error", "overloaded", true};
    case ErrorCode::EgressBlocked: return {503, "service_unavailable_error", "egress_blocked", false};
    case ErrorCode::Cancelled: return {kStatusClientClosed, "cancelled", "cancelled", false};
    case ErrorCode::Internal: return {500, "server_error", "", false};
  }
  return {500, "server_error", "", false};
}

std::string_view default_message(unsigned status) {
  switch (status) {
    case 400: return "The request is invalid.";
    case 401: return "Unauthorized.";
    case 403: return "Forbidden.";
    case 404: return "Not found.";
    case 429: return "Rate limit exceeded.";
    case 502: return "The upstream failed.";
    case 503: return "No capacity right now; retry later.";
    case 504: return "Timed out.";
    default: return "Internal error.";
  }
}

}  // namespace

unsigned http_status(const Error& error) { return shape_of(error).status; }

ErrorResponse to_error_response(const Error& error) {
  const Shape shape = shape_of(error);
  ErrorResponse out;
  out.status = shape.status;
  Json body = Json::object();
  body["message"] = error.message.empty() ? std::string(default_message(shape.status))
                                          : error.message;
  body["type"] = shape.type;
  body["param"] = error.param.empty() ? Json(nullptr) : Json(error.param);
  body["code"] = shape.code.empty() ? Json(nullptr) : Json(shape.code);
  out.body = Json{{"error", std::move(body)}};

  if (shape.status == 429 || shape.status == 503) {
    if (error.retry_after) {
      auto ms = error.retry_after->count();
      out.retry_after_s = ms <= 0 ? 0 : static_cast<uint64_t>((ms + 999) / 1000);
    } else if (shape.retry_after_by_default) {
      out.retry_after_s = 1;
    }
  }
  return out;
}

}  // namespace hearth::gateway
