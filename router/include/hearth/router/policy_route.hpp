#pragma once
// What a policy verdict changes about one request's route: pure functions, table-tested,
// shared by the router and `hearth policy explain`.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "hearth/cache/cache_key.hpp"
#include "hearth/core/chat.hpp"
#include "hearth/policies/candidates.hpp"
#include "hearth/policies/policy.hpp"
#include "hearth/router/route_table.hpp"

namespace hearth::router {

// Where a route target runs: "local" is the embedded node; upstreams are on_prem or cloud.
using ZoneOf = std::function<policies::Zone(std::string_view target)>;

// `route` with only the candidates `verdict` allows, in the order its route mode gives.
ModelRoute allowed_route(const ModelRoute& route, const policies::PolicyVerdict& verdict,
                         const ZoneOf& zone_of);

// Why a verdict left a model no candidate, for the client's 403.
std::string no_allowed_route_message(const policies::PolicyVerdict& verdict, std::string_view model);

// `request` with its completion capped at `cap` tokens: the typed field and the body (the
// member the client used, max_completion_tokens or max_tokens; max_tokens when it set
// neither). nullopt when the request already asks for no more than `cap`.
std::optional<ChatRequest> with_max_tokens_cap(const ChatRequest& request, int64_t cap);

// How the response cache may take part under a verdict.
struct CacheUse {
  bool enabled = true;
  std::optional<cache::CacheScope> scope;  // nullopt: the configured scope
};
CacheUse cache_use(const policies::PolicyVerdict& verdict);

}  // namespace hearth::router
