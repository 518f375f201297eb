#pragma once
// The one mapping from an Error to what the client sees: an HTTP status, an OpenAI-style
// body {"error":{"message","type","param","code"}} and any extra headers. Pure.

#include <cstdint>
#include <optional>

#include "hearth/core/chat.hpp"
#include "hearth/core/error.hpp"

namespace hearth::gateway {

// Not a real HTTP status: recorded (metrics, access log) when the client went away.
inline constexpr unsigned kStatusClientClosed = 499;

struct ErrorResponse {
  unsigned status = 500;
  Json body;                                  // {"error":{...}}
  std::optional<uint64_t> retry_after_s;      // Retry-After header, seconds
};

ErrorResponse to_error_response(const Error& error);

// Just the status (cheaper when only metrics need it).
unsigned http_status(const Error& error);

}  // namespace hearth::gateway
