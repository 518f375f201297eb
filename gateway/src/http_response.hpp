#pragma once
// Response heads written straight into a reusable buffer: status line and headers in one
// string, so a whole small response leaves in one write. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::gateway::detail {

enum class BodyFraming {
  ContentLength,  // a complete body of known size
  Chunked,        // a stream to an HTTP/1.1 client
  UntilClose,     // a stream to an HTTP/1.0 client: the body ends when the connection does
};

struct ResponseHead {
  unsigned status = 200;
  std::string_view content_type = "application/json";
  std::string_view request_id;             // x-hearth-request-id
  std::string_view route;                  // x-hearth-route; empty: not a completion request
  std::string_view cache;                  // x-hearth-cache (hit, miss, bypass, stored); empty: none
  std::string_view rule;                   // x-hearth-rule; empty: not a completion request
  std::optional<uint64_t> retry_after_s;   // Retry-After
  std::string_view allow;                  // Allow, on a 405
  bool keep_alive = true;
  bool http10 = false;                     // the client spoke HTTP/1.0
};

// Appends the status line and headers, through the blank line.
void append_head(std::string& out, const ResponseHead& head, BodyFraming framing,
                 uint64_t content_length = 0);

}  // namespace hearth::gateway::detail
