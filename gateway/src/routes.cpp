#include "hearth/gateway/routes.hpp"

#include <array>
#include <string>
#include <utility>

#include "hearth/core/find_either.hpp"

namespace hearth::gateway {
namespace {

struct RouteEntry {
  std::string_view path;
  std::string_view method;
  Route route;
};

constexpr std::array<RouteEntry, 6> kRoutes{{
    {"/v1/chat/completions", "POST", Route::ChatCompletions},
    {"/v1/completions", "POST", Route::Completions},
    {"/v1/models", "GET", Route::Models},
    {"/healthz", "GET", Route::Healthz},
    {"/readyz", "GET", Route::Readyz},
    {"/metrics", "GET", Route::Metrics},
}};

const RouteEntry& entry(Route route) { return kRoutes[static_cast<size_t>(route)]; }

}  // namespace

std::string_view target_path(std::string_view target) {
  return target.substr(0, find_either(target, '?', '#'));
}

std::optional<Route> route_for_path(std::string_view path) {
  for (const auto& e : kRoutes) {
    if (e.path == path) return e.route;
  }
  return std::nullopt;
}

Result<Route> match_route(std::string_view method, std::string_view target) {
  auto path = target_path(target);
  auto route = route_for_path(path);
  if (!route) {
    return make_error(ErrorCode::NotFound,
                      "Invalid URL (" + std::string(method) + " " + std::string(path) + ")");
  }
  if (entry(*route).method != method) {
    return make_error(ErrorCode::MethodNotAllowed,
                      "Method " + std::string(method) + " is not allowed for " +
                          std::string(path) + "; use " + std::string(entry(*route).method) + ".");
  }
  return *route;
}

std::string_view route_path(Route route) { return entry(route).path; }
std::string_view route_method(Route route) { return entry(route).method; }
bool route_needs_auth(Route route) {
  return route == Route::ChatCompletions || route == Route::Completions || route == Route::Models;
}

}  // namespace hearth::gateway
