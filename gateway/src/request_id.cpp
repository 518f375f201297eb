#include "hearth/gateway/request_id.hpp"

namespace hearth::gateway {

bool is_valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

RequestIdGenerator::RequestIdGenerator() : engine_(std::random_device{}()) {
  // Mix in a second draw: random_device yields 32 bits, the engine takes 64.
  engine_.seed((static_cast<uint64_t>(std::random_device{}()) << 32) ^ engine_());
}

RequestIdGenerator::RequestIdGenerator(uint64_t seed) : engine_(seed) {}

std::string RequestIdGenerator::next() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = engine_();
    for (int i = 0; i < 16; ++i) {
      id[static_cast<size_t>(half * 16 + i)] = kHex[bits & 0xf];
      bits >>= 4;
    }
  }
  return id;
}

std::string RequestIdGenerator::pick(std::string_view client_id) {
  if (is_valid_request_id(client_id)) return std::string(client_id);
  return next();
}

}  // namespace hearth::gateway
