#pragma once
// Error vocabulary shared by every module: what went wrong, in terms the gateway can map to
// an HTTP status and an OpenAI-style error body (gateway/error_response.hpp).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace hearth {

enum class ErrorCode {
  InvalidRequest,         // 400: a field is missing or wrong (param names it)
  InvalidJson,            // 400: the body is not JSON
  ContextLengthExceeded,  // 400: the prompt does not fit the model
  Unsupported,            // 400: this route cannot serve the request (tools on the local node)
  Unauthorized,           // 401: missing or invalid API key
  PermissionDenied,       // 403: a policy denies the request
  ModelNotFound,          // 404: no such public model
  NotFound,               // 404: no such path
  MethodNotAllowed,       // 405
  RequestTimeout,         // 408: headers or body too slow
  PayloadTooLarge,        // 413
  RateLimited,            // 429 (upstream 429 after retries)
  UpstreamRejected,       // the upstream refused the request itself (its 4xx is passed on)
  UpstreamError,          // 502: connect error, 5xx, malformed reply
  UpstreamTimeout,        // 504: an upstream timeout fired
  DeadlineExceeded,       // 504: the per-request deadline passed
  NoHealthyRoute,         // 503 + Retry-After: every candidate is down or open
  Overloaded,             // 503 + Retry-After: a local node has no room now
  EgressBlocked,          // 503: the egress audit record could not be written (fail closed)
  Cancelled,              // the client went away; nothing is sent
  Internal,               // 500
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
  std::string param;                      // the offending request field, if any
  int upstream_status = 0;                // HTTP status the upstream answered, if any
  std::optional<std::chrono::milliseconds> retry_after;  // honoured by retries, sent on 429/503
};

inline Error make_error(ErrorCode code, std::string message, std::string param = {}) {
  return Error{code, std::move(message), std::move(param), 0, std::nullopt};
}

}  // namespace hearth
