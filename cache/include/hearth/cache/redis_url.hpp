#pragma once
// Where Redis is: `redis://[[user]:password@]host[:port][/db]` or `unix:///path/to/socket[?db=N]`.
// Percent-escapes in the user and password are decoded. `rediss://` (TLS) is refused: this
// build's hiredis has no TLS. Pure.

#include <cstdint>
#include <string>
#include <string_view>

#include "hearth/core/result.hpp"

namespace hearth::cache {

struct RedisEndpoint {
  std::string host = "127.0.0.1";  // a name or an address literal ([::1] without brackets)
  uint16_t port = 6379;
  std::string unix_path;           // set: a Unix socket instead of host:port
  std::string user;                // empty: AUTH with the password alone (the default user)
  std::string password;            // empty: no AUTH
  int db = 0;

  // "host:port/db" or "unix:PATH/db", never the credentials: for logs and /readyz.
  std::string describe() const;
};

Result<RedisEndpoint> parse_redis_url(std::string_view url);

}  // namespace hearth::cache
