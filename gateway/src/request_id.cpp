#include "hearth/gateway/request_id.hpp"

#include <array>
#include <cstring>
#include <random>

namespace hearth::gateway {
namespace {

// Each byte's two lowercase hex digits, high nibble first.
constexpr std::array<char, 512> kHexPairs = [] {
  constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 512> pairs{};
  for (int byte = 0; byte < 256; ++byte) {
    pairs[static_cast<std::size_t>(2 * byte)] = kHex[byte >> 4];
    pairs[static_cast<std::size_t>(2 * byte + 1)] = kHex[byte & 0xf];
  }
  return pairs;
}();

}  // namespace

bool is_valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

RequestIdGenerator::RequestIdGenerator()
    // random_device yields 32 bits, the state takes 64.
    : state_((static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()) {}

RequestIdGenerator::RequestIdGenerator(uint64_t seed) : state_(seed) {}

uint64_t RequestIdGenerator::draw() {
  // splitmix64: a bijection of a counter, so no 64-bit draw repeats in 2^64 of them.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string RequestIdGenerator::next() {
  std::string id(32, '\0');
  for (std::size_t half = 0; half < 2; ++half) {
    const uint64_t bits = draw();
    for (std::size_t i = 0; i < 8; ++i) {
      const auto byte = static_cast<std::size_t>((bits >> (8 * i)) & 0xff);
      std::memcpy(id.data() + half * 16 + 2 * i, &kHexPairs[2 * byte], 2);
    }
  }
  return id;
}

std::string RequestIdGenerator::pick(std::string_view client_id) {
  if (is_valid_request_id(client_id)) return std::string(client_id);
  return next();
}

}  // namespace hearth::gateway
