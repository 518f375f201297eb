#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "hearth/policies/candidates.hpp"
#include "hearth/policies/policy_input.hpp"
#include "hearth/policies/policy_loader.hpp"

namespace hearth::policies {
namespace {

// The fixture policy: one rule per kind of condition, in an order that makes precedence visible.
const char* kFixture = R"(version: 1
detectors:
  - {name: mrn, class: phi, regex: 'MRN[: ]?\d{6,10}'}
rules:
  - id: phi-stays-local
    when: {any: [{classes: [phi, ssn]}, {header: {x-data-class: restricted}}]}
    then: {route: local_only, cache: app}
  - id: interns-no-tools
    when: {all: [{app: intern-*}, {has_tools: true}]}
    then: {route: deny, message: no tools for interns}
  - id: no-images-to-cloud
    when: {has_images: true}
    then: {route: on_prem_only}
  - id: legal
    when: {team: legal, not: {model: gpt-4*}}
    then: {route: prefer_local, upstreams: [claude], redact: [email, phone]}
  - id: big
    when: {prompt_tokens: {gt: 100}}
    then: {route: cloud_allowed, upstreams: [openai], max_tokens: 256, cache: off}
  - id: default
    then: {route: prefer_local, redact: [email]}
)";

const Policy& fixture() {
  static const std::shared_ptr<const Policy> policy = [] {
    PolicyParse parsed = parse_policy(kFixture, "fixture.yaml", {});
    for (const auto& p : parsed.problems) ADD_FAILURE() << p.to_string();
    return parsed.policy;
  }();
  return *policy;
}

struct Case {
  const char* name;
  std::string app, team, model;
  std::map<std::string, std::string> headers;
  Json body;  // an OpenAI chat body
  std::string rule;
  RouteMode route;
  std::vector<std::string> detected;
};

ChatRequest request_from(const Json& body) {
  ChatRequest r;
  r.body = body;
  r.model = body.value("model", "");
  return r;
}

Json chat(const std::string& text) { return {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", text}}}}}; }

class Verdicts : public ::testing::TestWithParam<Case> {};

TEST_P(Verdicts, FirstMatchingRuleDecides) {
  const Case& c = GetParam();
  Json body = c.body;
  if (!c.model.empty()) body["model"] = c.model;
  const ChatRequest request = request_from(body);
  auto verdict = decide(fixture(), make_policy_input(request, c.app, c.team, c.headers));
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(verdict->rule_id, c.rule);
  EXPECT_EQ(verdict->route, c.route);
  EXPECT_EQ(verdict->detected_classes, c.detected);
  EXPECT_EQ(verdict->policy_hash, fixture().hash());
}

const std::string kLong(500, 'a');

INSTANTIATE_TEST_SUITE_P(
    Fixture, Verdicts,
    ::testing::Values(
        Case{"plain", "billing", "finance", "", {}, chat("hello"), "default", RouteMode::PreferLocal, {}},
        Case{"ssn", "billing", "finance", "", {}, chat("ssn 123-45-6789"), "phi-stays-local", RouteMode::LocalOnly,
             {"ssn"}},
        Case{"mrn", "billing", "finance", "", {}, chat("MRN 1234567"), "phi-stays-local", RouteMode::LocalOnly, {"phi"}},
        Case{"header", "billing", "finance", "", {{"X-Data-Class", "restricted"}}, chat("hi"), "phi-stays-local",
             RouteMode::LocalOnly, {}},
        Case{"other header value", "billing", "finance", "", {{"x-data-class", "public"}}, chat("hi"), "default",
             RouteMode::PreferLocal, {}},
        Case{"intern with tools", "intern-bot", "", "", {},
             {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"tools", {{{"type", "function"}}}}},
             "interns-no-tools", RouteMode::Deny, {}},
        Case{"intern without tools", "intern-bot", "", "", {}, chat("hi"), "default", RouteMode::PreferLocal, {}},
        Case{"image", "billing", "", "", {},
             {{"model", "m"},
              {"messages",
               {{{"role", "user"},
                 {"content", {{{"type", "text"}, {"text", "what is this"}}, {{"type", "image_url"}, {"image_url", {{"url", "x"}}}}}}}}}},
             "no-images-to-cloud", RouteMode::OnPremOnly, {}},
        Case{"legal", "contracts", "legal", "claude-3", {}, chat("mail a@b.io"), "legal", RouteMode::PreferLocal,
             {"email"}},
        Case{"legal asking gpt-4o", "contracts", "legal", "gpt-4o", {}, chat("hi"), "default", RouteMode::PreferLocal,
             {}},
        Case{"long prompt", "billing", "", "", {}, chat(kLong), "big", RouteMode::CloudAllowed, {}},
        Case{"tool-call arguments are scanned", "billing", "", "", {},
             {{"model", "m"},
              {"messages",
               {{{"role", "assistant"},
                 {"content", nullptr},
                 {"tool_calls", {{{"function", {{"name", "f"}, {"arguments", "{\"ssn\":\"123-45-6789\"}"}}}}}}}}}},
             "phi-stays-local", RouteMode::LocalOnly, {"ssn"}}),
    [](const ::testing::TestParamInfo<Case>& param) {
      std::string name = param.param.name;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST(Verdict, CarriesTheRuleAction) {
  const ChatRequest request = request_from(chat(kLong));
  auto v = decide(fixture(), make_policy_input(request, "a", "t", {}));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->max_tokens, 256);
  EXPECT_EQ(v->cache_scope, CacheScope::Off);
  EXPECT_EQ(v->allowed_upstreams, std::vector<std::string>{"openai"});
  EXPECT_TRUE(v->allows_cloud_upstream("openai"));
  EXPECT_FALSE(v->allows_cloud_upstream("claude"));
}

TEST(Verdict, DenyCarriesItsMessage) {
  Json body = chat("hi");
  body["tools"] = Json::array({{{"type", "function"}}});
  const ChatRequest request = request_from(body);
  auto v = decide(fixture(), make_policy_input(request, "intern-x", "", {}));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->denied());
  EXPECT_EQ(v->deny_message, "no tools for interns");
  EXPECT_FALSE(v->allows_cloud_upstream("openai"));
}

TEST(EvaluateRules, NoRuleMatchingDenies) {
  Rule only;
  only.id = "x";
  only.when = Condition{Condition::Kind::App, {}, {"billing"}, {}, {}, {}, {}, {}, true};
  PolicyVerdict v = evaluate_rules({only}, RequestFacts{});
  EXPECT_TRUE(v.denied());
  EXPECT_EQ(v.rule_id, "");
}

TEST(EvaluateRules, PromptTokenBounds) {
  Condition c;
  c.kind = Condition::Kind::PromptTokens;
  c.gte = 10;
  c.lt = 20;
  RequestFacts f;
  for (auto [tokens, expected] : std::vector<std::pair<int64_t, bool>>{{9, false}, {10, true}, {19, true}, {20, false}}) {
    f.prompt_tokens = tokens;
    EXPECT_EQ(condition_holds(c, f), expected) << tokens;
  }
}

TEST(PolicyInput, EstimatesTokensAndFindsTexts) {
  EXPECT_EQ(estimate_tokens(0), 0);
  EXPECT_EQ(estimate_tokens(1), 1);
  EXPECT_EQ(estimate_tokens(8), 2);
  Json body = {{"model", "m"},
               {"messages",
                {{{"role", "system"}, {"content", "abcd"}},
                 {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "efgh"}}}}}}}};
  const ChatRequest request = request_from(body);
  PolicyInput in = make_policy_input(request, "a", "t", {{"X-Data-Class", "r"}});
  EXPECT_EQ(in.texts, (std::vector<std::string_view>{"abcd", "efgh"}));
  EXPECT_EQ(in.prompt_tokens, 2);
  EXPECT_EQ(in.headers.at("x-data-class"), "r");
  EXPECT_FALSE(in.has_tools);
  EXPECT_FALSE(in.has_images);

  ChatRequest legacy;
  legacy.endpoint = Endpoint::Completions;
  legacy.body = Json{{"model", "m"}, {"prompt", {"one", "two"}}};
  EXPECT_EQ(make_policy_input(legacy, "", "", {}).texts, (std::vector<std::string_view>{"one", "two"}));
}

TEST(Candidates, RouteModesFilterAndOrder) {
  const std::vector<RouteCandidate> configured = {
      {"openai", "gpt", Zone::Cloud}, {"local", "tiny", Zone::Local}, {"lab", "qwen", Zone::OnPrem},
      {"claude", "haiku", Zone::Cloud}};
  auto targets = [&](RouteMode mode, std::optional<std::vector<std::string>> allowed) {
    PolicyVerdict v;
    v.route = mode;
    v.allowed_upstreams = std::move(allowed);
    std::vector<std::string> out;
    for (const auto& c : allowed_candidates(v, configured)) out.push_back(c.target);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(targets(RouteMode::LocalOnly, std::nullopt), V{"local"});
  EXPECT_EQ(targets(RouteMode::OnPremOnly, std::nullopt), (V{"local", "lab"}));
  EXPECT_EQ(targets(RouteMode::PreferLocal, V{"claude"}), (V{"local", "lab", "claude"}));
  EXPECT_EQ(targets(RouteMode::PreferLocal, std::nullopt), (V{"local", "lab", "openai", "claude"}));
  EXPECT_EQ(targets(RouteMode::CloudAllowed, V{"openai"}), (V{"openai", "local", "lab"}));
  EXPECT_EQ(targets(RouteMode::CloudAllowed, V{}), (V{"local", "lab"}));
  EXPECT_EQ(targets(RouteMode::Deny, std::nullopt), V{});
}

}  // namespace
}  // namespace hearth::policies
