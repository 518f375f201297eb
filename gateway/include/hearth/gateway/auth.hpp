#pragma once
// API key authentication: a key from the request → the app and team it belongs to. Keys are
// held only as SHA-256 digests. Immutable after construction; safe to share across threads.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/result.hpp"

namespace hearth::gateway {

using Digest = std::array<unsigned char, 32>;

struct ApiKey {
  std::string app;
  std::string team;
  Digest sha256{};
};

struct Identity {
  std::string app;
  std::string team;
};

// SHA-256 of `data`.
Digest sha256(std::string_view data);

// Parses 64 hex digits (either case), as written in config `key_sha256`.
Result<Digest> parse_sha256_hex(std::string_view hex);

// Equality of two digests in time independent of where they differ.
bool digests_equal(const Digest& a, const Digest& b);

class Authenticator {
 public:
  Authenticator(bool enabled, std::vector<ApiKey> keys);

  // Accepts "Authorization: Bearer <key>" or "x-api-key: <key>" (pass "" for an absent
  // header). Every configured key is compared, in constant time. Disabled: {"anonymous", ""}.
  // Errors are ErrorCode::Unauthorized; their messages never contain the key.
  Result<Identity> authenticate(std::string_view authorization, std::string_view x_api_key) const;

  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
  std::vector<ApiKey> keys_;
};

}  // namespace hearth::gateway
