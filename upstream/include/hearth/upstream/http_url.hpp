#pragma once
// The parts of an absolute http:// or https:// URL that a client needs to open a connection
// and write a request line. A pure function, so the rules are table-tested.

#include <optional>
#include <string>
#include <string_view>

namespace hearth::upstream {

struct HttpUrl {
  bool tls = false;
  std::string host;    // a name, an IPv4 address, or an IPv6 address without its brackets
  std::string port;    // always set: the URL's, or 80 / 443
  std::string target;  // path and query, at least "/"; never the fragment
  std::string authority() const;  // host[:port] as a Host header wants it
  void append_authority(std::string& out) const;
};

// Nothing for another scheme, user info (credentials belong in headers), an empty or
// malformed host, a port that is not 1-65535, or a character that may not appear in a
// request line (controls, spaces).
std::optional<HttpUrl> parse_http_url(std::string_view url);

}  // namespace hearth::upstream
