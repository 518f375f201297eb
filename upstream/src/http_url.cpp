#include "hearth/upstream/http_url.hpp"

#include <algorithm>
#include <cctype>

#include "hearth/core/find_either.hpp"

namespace hearth::upstream {

namespace {

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char want, char got) {
           return std::tolower(static_cast<unsigned char>(got)) == want;
         });
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  const int value = std::stoi(std::string(port));
  return value >= 1 && value <= 65535;
}

bool valid_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string HttpUrl::authority() const {
  std::string out;
  append_authority(out);
  return out;
}

void HttpUrl::append_authority(std::string& out) const {
  const bool bracket = host.find(':') != std::string::npos;
  if (bracket) out += '[';
  out.append(host);
  if (bracket) out += ']';
  if (port != (tls ? "443" : "80")) out.append(1, ':').append(port);
}

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  HttpUrl out;
  if (starts_with_ignoring_case(url, "http://")) {
    url.remove_prefix(7);
  } else if (starts_with_ignoring_case(url, "https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else {
    return std::nullopt;
  }
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F; })) {
    return std::nullopt;
  }
  if (const size_t hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  const size_t slash = find_either(url, '/', '?');
  std::string_view authority = url.substr(0, slash);
  out.target.push_back('/');
  if (slash != std::string_view::npos) out.target.append(url.substr(url[slash] == '/' ? slash + 1 : slash));
  if (authority.find('@') != std::string_view::npos) return std::nullopt;

  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    if (!std::all_of(out.host.begin(), out.host.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
        })) {
      return std::nullopt;
    }
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (!valid_port(port)) return std::nullopt;
    }
  } else {
    const size_t colon = authority.find(':');
    const std::string_view host = authority.substr(0, colon);
    if (host.empty() || !std::all_of(host.begin(), host.end(), valid_host_char)) return std::nullopt;
    out.host = std::string(host);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (!valid_port(port)) return std::nullopt;
    }
  }
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  return out;
}

}  // namespace hearth::upstream
