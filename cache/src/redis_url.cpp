#include "hearth/cache/redis_url.hpp"

#include <charconv>

namespace hearth::cache {
namespace {

Error bad(const std::string& why) {
  return make_error(ErrorCode::InvalidRequest, "redis url: " + why);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return bad("a % escape is cut short");
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return bad("a % escape is not two hex digits");
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

template <class T>
bool parse_number(std::string_view text, T& value) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

Result<int> parse_db(std::string_view text) {
  int db = 0;
  if (!parse_number(text, db) || db < 0 || db > 1'000'000) return bad("the database must be a number");
  return db;
}

}  // namespace

std::string RedisEndpoint::describe() const {
  std::string where = unix_path.empty()
                          ? (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                                std::to_string(port)
                          : "unix:" + unix_path;
  return where + "/" + std::to_string(db);
}

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  RedisEndpoint endpoint;
  constexpr std::string_view kRedis = "redis://";
  constexpr std::string_view kUnix = "unix://";
  if (url.starts_with("rediss://")) return bad("rediss:// (TLS) is not supported by this build");
  if (url.starts_with(kUnix)) {
    std::string_view rest = url.substr(kUnix.size());
    if (auto query = rest.find('?'); query != std::string_view::npos) {
      std::string_view option = rest.substr(query + 1);
      if (!option.starts_with("db=")) return bad("the only option of a unix:// url is db=N");
      auto db = parse_db(option.substr(3));
      if (!db) return std::move(db).error();
      endpoint.db = *db;
      rest = rest.substr(0, query);
    }
    if (!rest.starts_with("/")) return bad("a unix:// url needs an absolute socket path");
    endpoint.unix_path = std::string(rest);
    return endpoint;
  }
  if (!url.starts_with(kRedis)) return bad("must start with redis:// or unix://");
  std::string_view rest = url.substr(kRedis.size());

  // [[user]:password@]host[:port][/db]
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path = authority.size() < rest.size() ? rest.substr(authority.size() + 1)
                                                          : std::string_view();
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      return bad("give credentials as :PASSWORD@ or USER:PASSWORD@");
    }
    auto user = percent_decode(userinfo.substr(0, colon));
    auto password = percent_decode(userinfo.substr(colon + 1));
    if (!user) return std::move(user).error();
    if (!password) return std::move(password).error();
    endpoint.user = std::move(*user);
    endpoint.password = std::move(*password);
  }

  std::string_view port;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 address lacks its ']'");
    endpoint.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(":")) return bad("unexpected text after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) return bad("the port is empty");
    }
  } else {
    auto colon = authority.rfind(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("the port is empty");
    }
  }
  if (endpoint.host.empty()) return bad("the host is missing");
  if (!port.empty() && (!parse_number(port, endpoint.port) || endpoint.port == 0)) {
    return bad("the port must be a number from 1 to 65535");
  }
  if (!path.empty()) {
    auto db = parse_db(path);
    if (!db) return std::move(db).error();
    endpoint.db = *db;
  }
  return endpoint;
}

}  // namespace hearth::cache
