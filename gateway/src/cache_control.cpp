#include "hearth/gateway/cache_control.hpp"

#include <cctype>
#include <string>

namespace hearth::gateway {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool equals_lower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != lower[i]) return false;
  }
  return true;
}

}  // namespace

CacheDirectives parse_cache_control(std::string_view header) {
  CacheDirectives directives;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view directive = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    std::string_view value;
    if (auto equals = directive.find('='); equals != std::string_view::npos) {
      value = trim(directive.substr(equals + 1));
      directive = trim(directive.substr(0, equals));
    }
    if (equals_lower(directive, "no-store")) {
      directives.no_store = true;
    } else if (equals_lower(directive, "no-cache")) {
      directives.no_cache = true;
    } else if (equals_lower(directive, "max-age") && (value == "0" || value == "\"0\"")) {
      directives.no_cache = true;
    }
  }
  return directives;
}

}  // namespace hearth::gateway
