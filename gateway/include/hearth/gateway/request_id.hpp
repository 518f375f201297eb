#pragma once
// Request ids: the client's own `x-hearth-request-id` when it is sane, else a fresh random
// 128-bit hex id.

#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::gateway {

inline constexpr size_t kMaxRequestIdLength = 128;

// 1..128 visible ASCII characters (0x21..0x7e): safe to echo in a header and a log line.
bool is_valid_request_id(std::string_view id);

// Generates ids. Not thread-safe: one per worker thread.
class RequestIdGenerator {
 public:
  RequestIdGenerator();  // seeded from std::random_device
  explicit RequestIdGenerator(uint64_t seed);

  std::string next();  // 32 lowercase hex digits: two draws

  // The client's id if valid, else next().
  std::string pick(std::string_view client_id);

 private:
  uint64_t draw();

  uint64_t state_;
};

}  // namespace hearth::gateway
