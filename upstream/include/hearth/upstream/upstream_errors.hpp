#pragma once
// Pure mapping from what an upstream answered to hearth's Error vocabulary, shared by every
// dialect: status → ErrorCode, the upstream's own message, Retry-After, and scrubbing
// secrets out of anything that may reach a client or a log.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "hearth/core/clock.hpp"
#include "hearth/core/error.hpp"

namespace hearth::upstream {

// The ErrorCode for a non-2xx upstream status: 429 → RateLimited; 408 → UpstreamTimeout;
// other 4xx except 401/403 → UpstreamRejected; 401, 403, 5xx and anything else →
// UpstreamError.
ErrorCode error_code_for_status(int status);

// The upstream's own description from an error body in either dialect
// ({"error":{"message","param"}}, {"error":"..."}, {"message"}, {"detail"}); the start of
// the raw body when it is not JSON.
struct UpstreamErrorDetail {
  std::string message;
  std::string param;
  std::string type;
};
UpstreamErrorDetail parse_error_body(std::string_view body);

// Delay asked for by `retry-after-ms` (preferred: more precise) or `Retry-After` (seconds
// or an HTTP-date, relative to `now`). Missing or malformed values give nullopt.
std::optional<Duration> parse_retry_after(std::string_view retry_after,
                                          std::string_view retry_after_ms,
                                          std::chrono::system_clock::time_point now);

// The Error for a non-2xx answer of upstream `upstream_name`; `secret` (the API key) is
// scrubbed from the message.
Error error_from_status(std::string_view upstream_name, int status, std::string_view body,
                        std::optional<Duration> retry_after, std::string_view secret);

// `text` with every occurrence of `secret`, and anything shaped like a (masked) `sk-` key,
// replaced by "[redacted]".
std::string scrub_secret(std::string text, std::string_view secret);

// A transfer that ran past one of its limits: "upstream timed out (first byte timeout 300ms)".
Error timeout_error(std::string_view which, Duration limit);

}  // namespace hearth::upstream
