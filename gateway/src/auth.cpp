#include "hearth/gateway/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <optional>
#include <stdexcept>

#include "hearth/core/ascii.hpp"

namespace hearth::gateway {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The key from "Bearer <key>", or nullopt when the header uses another scheme.
std::optional<std::string_view> bearer_token(std::string_view authorization) {
  authorization = trim_ows(authorization);
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() ||
      !ascii_iequals(authorization.substr(0, kScheme.size()), kScheme) ||
      (authorization[kScheme.size()] != ' ' && authorization[kScheme.size()] != '\t')) {
    return std::nullopt;
  }
  return trim_ows(authorization.substr(kScheme.size()));
}

Error missing_key() {
  return make_error(ErrorCode::Unauthorized,
                    "Missing API key. Send it as 'Authorization: Bearer <key>' or "
                    "'x-api-key: <key>'.");
}

Error invalid_key() {
  return make_error(ErrorCode::Unauthorized, "Invalid API key provided.");
}

}  // namespace

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != out.size()) {
    throw std::runtime_error("SHA-256 is unavailable in this OpenSSL build");
  }
  return out;
}

Result<Digest> parse_sha256_hex(std::string_view hex) {
  Digest out{};
  if (hex.size() != 2 * out.size()) {
    return make_error(ErrorCode::InvalidRequest, "a SHA-256 digest is 64 hex digits");
  }
  for (size_t i = 0; i < out.size(); ++i) {
    int high = hex_value(hex[2 * i]);
    int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return make_error(ErrorCode::InvalidRequest, "a SHA-256 digest is 64 hex digits");
    }
    out[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return out;
}

bool digests_equal(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Authenticator::Authenticator(bool enabled, std::vector<ApiKey> keys)
    : enabled_(enabled), keys_(std::move(keys)) {}

Result<Identity> Authenticator::authenticate(std::string_view authorization,
                                             std::string_view x_api_key) const {
  if (!enabled_) return Identity{"anonymous", ""};

  std::string_view key;
  if (auto token = bearer_token(authorization)) {
    key = *token;
  } else {
    key = trim_ows(x_api_key);
  }
  if (key.empty()) {
    return trim_ows(authorization).empty() ? missing_key() : invalid_key();
  }

  // Compare against every key, without an early exit, so timing says nothing about which.
  const Digest digest = sha256(key);
  const ApiKey* found = nullptr;
  for (const auto& candidate : keys_) {
    const bool equal = digests_equal(digest, candidate.sha256);
    if (equal && found == nullptr) found = &candidate;
  }
  if (found == nullptr) return invalid_key();
  return Identity{found->app, found->team};
}

}  // namespace hearth::gateway
