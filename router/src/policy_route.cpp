#include "hearth/router/policy_route.hpp"

#include "hearth/core/wire_object.hpp"

namespace hearth::router {

ModelRoute allowed_route(const ModelRoute& route, const policies::PolicyVerdict& verdict,
                         const ZoneOf& zone_of) {
  std::vector<policies::RouteCandidate> configured;
  configured.reserve(route.candidates.size());
  for (const Candidate& c : route.candidates) configured.push_back({c.target, c.model, zone_of(c.target)});
  ModelRoute allowed{route.name, {}};
  for (auto& c : policies::allowed_candidates(verdict, configured)) {
    allowed.candidates.push_back({std::move(c.target), std::move(c.model)});
  }
  return allowed;
}

std::string no_allowed_route_message(const policies::PolicyVerdict& verdict, std::string_view model) {
  std::string message = "Policy rule '" + verdict.rule_id + "' (route " +
                        std::string(policies::to_string(verdict.route)) + ") allows none of the routes of model '" +
                        std::string(model) + "'";
  if (verdict.allowed_upstreams) {
    message += "; cloud upstreams allowed: ";
    if (verdict.allowed_upstreams->empty()) message += "none";
    for (size_t i = 0; i < verdict.allowed_upstreams->size(); ++i) {
      message += (i == 0 ? "" : ", ") + (*verdict.allowed_upstreams)[i];
    }
  }
  return message + ".";
}

std::optional<ChatRequest> with_max_tokens_cap(const ChatRequest& request, int64_t cap) {
  if (request.max_tokens && *request.max_tokens <= cap) return std::nullopt;
  ChatRequest capped = request;
  capped.max_tokens = cap;
  if (capped.body.is_object()) {
    Json& body = capped.body.edit();
    const bool completion_tokens = request.endpoint == Endpoint::ChatCompletions &&
                                   body.contains("max_completion_tokens") &&
                                   !body["max_completion_tokens"].is_null();
    body[completion_tokens ? "max_completion_tokens" : "max_tokens"] = cap;
  }
  return capped;
}

CacheUse cache_use(const policies::PolicyVerdict& verdict) {
  if (!verdict.cache_scope) return {};
  switch (*verdict.cache_scope) {
    case policies::CacheScope::Off: return {false, std::nullopt};
    case policies::CacheScope::App: return {true, cache::CacheScope::App};
    case policies::CacheScope::Shared: return {true, cache::CacheScope::Shared};
  }
  return {};
}

}  // namespace hearth::router
