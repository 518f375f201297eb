#pragma once
// Route matching: method + request target → which handler. Pure; query strings are ignored.

#include <optional>
#include <string_view>

#include "hearth/core/result.hpp"

namespace hearth::gateway {

enum class Route { ChatCompletions, Completions, Models, Healthz, Readyz, Metrics };

// The route, or NotFound (unknown path) / MethodNotAllowed (known path, other method).
Result<Route> match_route(std::string_view method, std::string_view target);

// The route serving `path` whatever the method, if any.
std::optional<Route> route_for_path(std::string_view path);

// The canonical path ("/v1/chat/completions"): the `path` label of metrics.
std::string_view route_path(Route route);

// The one method a route accepts ("GET" or "POST"), for the Allow header of a 405.
std::string_view route_method(Route route);

// Whether the route needs an API key (/v1/*).
bool route_needs_auth(Route route);

// The path part of a request target (before '?' or '#').
std::string_view target_path(std::string_view target);

}  // namespace hearth::gateway
