#include "hearth/core/error.hpp"

namespace hearth {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidRequest: return "invalid_request";
    case ErrorCode::InvalidJson: return "invalid_json";
    case ErrorCode::ContextLengthExceeded: return "context_length_exceeded";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::Unauthorized: return "unauthorized";
    case ErrorCode::PermissionDenied: return "permission_denied";
    case ErrorCode::ModelNotFound: return "model_not_found";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::MethodNotAllowed: return "method_not_allowed";
    case ErrorCode::RequestTimeout: return "request_timeout";
    case ErrorCode::PayloadTooLarge: return "payload_too_large";
    case ErrorCode::RateLimited: return "rate_limited";
    case ErrorCode::UpstreamRejected: return "upstream_rejected";
    case ErrorCode::UpstreamError: return "upstream_error";
    case ErrorCode::UpstreamTimeout: return "upstream_timeout";
    case ErrorCode::DeadlineExceeded: return "deadline_exceeded";
    case ErrorCode::NoHealthyRoute: return "no_healthy_route";
    case ErrorCode::Overloaded: return "overloaded";
    case ErrorCode::EgressBlocked: return "egress_blocked";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::Internal: return "internal";
  }
  return "internal";
}

}  // namespace hearth
