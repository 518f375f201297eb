#include "hearth/router/policy_route.hpp"

#include <gtest/gtest.h>

#include "hearth/core/wire_object.hpp"

namespace hearth::router {
namespace {

using policies::CacheScope;
using policies::PolicyVerdict;
using policies::RouteMode;
using policies::Zone;

PolicyVerdict verdict(RouteMode mode, std::optional<std::vector<std::string>> upstreams = std::nullopt) {
  PolicyVerdict v;
  v.rule_id = "r";
  v.route = mode;
  v.allowed_upstreams = std::move(upstreams);
  return v;
}

Zone zone_of(std::string_view target) {
  if (target == "local") return Zone::Local;
  if (target == "lab") return Zone::OnPrem;
  return Zone::Cloud;
}

std::vector<std::string> labels(const ModelRoute& route) {
  std::vector<std::string> out;
  for (const Candidate& c : route.candidates) out.push_back(c.label());
  return out;
}

TEST(AllowedRoute, FollowsTheRouteModeAndTheAllowedUpstreams) {
  const ModelRoute route{"m", {{"openai", "gpt"}, {"local", "tiny"}, {"claude", "haiku"}, {"lab", "qwen"}}};
  struct Case {
    const char* name;
    PolicyVerdict verdict;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"cloud_allowed keeps the configured order", verdict(RouteMode::CloudAllowed),
       {"openai:gpt", "local:tiny", "claude:haiku", "lab:qwen"}},
      {"cloud_allowed limits the cloud", verdict(RouteMode::CloudAllowed, {{"claude"}}),
       {"local:tiny", "claude:haiku", "lab:qwen"}},
      {"prefer_local puts local, then on-prem first", verdict(RouteMode::PreferLocal, {{"openai"}}),
       {"local:tiny", "lab:qwen", "openai:gpt"}},
      {"on_prem_only", verdict(RouteMode::OnPremOnly), {"local:tiny", "lab:qwen"}},
      {"local_only", verdict(RouteMode::LocalOnly), {"local:tiny"}},
      {"deny", verdict(RouteMode::Deny), {}},
  };
  for (const Case& c : cases) {
    const ModelRoute allowed = allowed_route(route, c.verdict, zone_of);
    EXPECT_EQ(labels(allowed), c.expected) << c.name;
    EXPECT_EQ(allowed.name, "m");
  }
}

TEST(AllowedRoute, TheMessageSaysWhichRuleAndWhatItAllows) {
  EXPECT_EQ(no_allowed_route_message(verdict(RouteMode::CloudAllowed, {{"claude"}}), "gpt-4o"),
            "Policy rule 'r' (route cloud_allowed) allows none of the routes of model 'gpt-4o'; cloud upstreams "
            "allowed: claude.");
  EXPECT_EQ(no_allowed_route_message(verdict(RouteMode::LocalOnly), "gpt-4o"),
            "Policy rule 'r' (route local_only) allows none of the routes of model 'gpt-4o'.");
}

// As if decoded from the wire: the body holds the client's bytes.
ChatRequest request_with(const Json& body) {
  ChatRequest request;
  request.body = RequestBody::from_checked_text(dump_json(body));
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (body.contains(key)) request.max_tokens = body[key].get<int64_t>();
  }
  return request;
}

TEST(MaxTokensCap, SetsTheFieldTheClientUsedOrMaxTokens) {
  auto capped = with_max_tokens_cap(request_with({{"model", "m"}}), 64);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->max_tokens, 64);
  EXPECT_EQ(capped->body.json()["max_tokens"], 64);
  EXPECT_TRUE(capped->body.wire_text().empty()) << "the client's bytes no longer say what is sent";

  capped = with_max_tokens_cap(request_with({{"model", "m"}, {"max_completion_tokens", 1000}}), 64);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->body.json()["max_completion_tokens"], 64);
  EXPECT_FALSE(capped->body.json().contains("max_tokens"));
  EXPECT_TRUE(capped->body.wire_text().empty());

  EXPECT_FALSE(with_max_tokens_cap(request_with({{"max_tokens", 10}}), 64)) << "already under the cap";
  EXPECT_FALSE(with_max_tokens_cap(request_with({{"max_tokens", 64}}), 64));
}

TEST(CacheUseUnderAVerdict, OffAppSharedOrTheConfiguredScope) {
  PolicyVerdict v = verdict(RouteMode::PreferLocal);
  EXPECT_TRUE(cache_use(v).enabled);
  EXPECT_FALSE(cache_use(v).scope);
  v.cache_scope = CacheScope::Off;
  EXPECT_FALSE(cache_use(v).enabled);
  v.cache_scope = CacheScope::App;
  EXPECT_EQ(cache_use(v).scope, cache::CacheScope::App);
  v.cache_scope = CacheScope::Shared;
  EXPECT_EQ(cache_use(v).scope, cache::CacheScope::Shared);
}

}  // namespace
}  // namespace hearth::router
