#include "hearth/gateway/cache_control.hpp"

#include "hearth/core/ascii.hpp"

namespace hearth::gateway {

CacheDirectives parse_cache_control(std::string_view header) {
  CacheDirectives directives;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view directive = trim_ows(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    std::string_view value;
    if (auto equals = directive.find('='); equals != std::string_view::npos) {
      value = trim_ows(directive.substr(equals + 1));
      directive = trim_ows(directive.substr(0, equals));
    }
    if (ascii_iequals(directive, "no-store")) {
      directives.no_store = true;
    } else if (ascii_iequals(directive, "no-cache")) {
      directives.no_cache = true;
    } else if (ascii_iequals(directive, "max-age") && (value == "0" || value == "\"0\"")) {
      directives.no_cache = true;
    }
  }
  return directives;
}

}  // namespace hearth::gateway
