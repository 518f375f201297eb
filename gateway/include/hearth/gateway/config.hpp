#pragma once
// Server configuration: where to listen, and the limits and timeouts every connection lives
// under. Plain values, copied into the Server at construction.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hearth/core/clock.hpp"
#include "hearth/core/result.hpp"

namespace hearth::gateway {

struct Limits {
  uint64_t max_body_bytes = 4u << 20;     // 413 above
  uint32_t max_header_bytes = 64u << 10;  // 400 above
  Duration header_timeout{10000};         // request line + headers must arrive within this → 408
  Duration body_timeout{30000};           // whole body within this → 408
  Duration idle_timeout{60000};           // keep-alive idle → close silently
  size_t max_connections = 4096;          // beyond: answer 503 and close at once
  Duration request_deadline{600000};      // per request end to end → 504 (or in-stream error)
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  Limits limits;
  Duration drain_timeout{30000};
};

struct ListenAddress {
  std::string host;  // an IP literal or a name to resolve; IPv6 without brackets
  uint16_t port = 0;
};

// Splits "host:port" or "[v6]:port". The port is required (0 picks a free one).
Result<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace hearth::gateway
