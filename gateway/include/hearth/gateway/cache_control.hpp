#pragma once
// The request's Cache-Control header, as the response cache honours it: `no-store` (do not
// keep this response) and `no-cache` or `max-age=0` (do not answer from the cache).
// Directive names are case-insensitive; unknown directives are ignored. Pure.

#include <string_view>

#include "hearth/core/chat.hpp"

namespace hearth::gateway {

CacheDirectives parse_cache_control(std::string_view header);

}  // namespace hearth::gateway
