#include "hearth/policies/policy_loader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hearth::policies {
namespace {

std::vector<std::string> problems(const std::string& text, const PolicyLoadOptions& options = {}) {
  std::vector<std::string> out;
  for (const PolicyProblem& p : parse_policy(text, "p.yaml", options).problems) out.push_back(p.to_string());
  return out;
}

PolicyLoadOptions known_upstreams() {
  PolicyLoadOptions options;
  options.upstreams = std::vector<KnownUpstream>{{"openai", true}, {"claude", true}, {"lab-gpu", false}};
  return options;
}

// DESIGN.md's policy example, as written there.
const char* kDesignExample = R"(version: 1
detectors:                            # added to the built-in ones (email, phone, ssn, …)
  - {name: mrn, class: phi, regex: 'MRN[: ]?\d{6,10}'}
rules:
  - id: phi-stays-local
    description: Health data never leaves the building.
    when: {any: [{classes: [phi, ssn]}, {header: {x-data-class: restricted}}]}
    then: {route: local_only, cache: app}
  - id: legal-redacted-cloud
    when: {team: legal}
    then: {route: prefer_local, upstreams: [claude], redact: [email, phone, person_name]}
  - id: default
    then: {route: prefer_local, upstreams: [openai, claude], redact: [email, phone]}
)";

TEST(PolicyLoader, DesignExampleLoadsWithOneWarning) {
  PolicyParse parsed = parse_policy(kDesignExample, "p.yaml", known_upstreams());
  ASSERT_NE(parsed.policy, nullptr);
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_EQ(parsed.problems[0].to_string(),
            "p.yaml:11:77: warning: no detector reports class 'person_name' (hearth has no built-in person_name "
            "detector; add a detector with that class)");
  const Policy& policy = *parsed.policy;
  ASSERT_EQ(policy.rules().size(), 3u);
  EXPECT_EQ(policy.rules()[0].id, "phi-stays-local");
  EXPECT_EQ(policy.rules()[0].then.route, RouteMode::LocalOnly);
  EXPECT_EQ(policy.rules()[0].then.cache, CacheScope::App);
  EXPECT_EQ(policy.rules()[1].then.upstreams, std::vector<std::string>{"claude"});
  EXPECT_FALSE(policy.rules()[2].when.has_value());
  EXPECT_EQ(policy.hash().size(), 64u);
  ASSERT_EQ(policy.custom_detectors().size(), 1u);
  EXPECT_EQ(policy.custom_detectors()[0].cls, "phi");
}

TEST(PolicyLoader, ShippedExampleLoadsCleanly) {
  PolicyParse parsed = load_policy("config/policies.yaml", known_upstreams());
  for (const auto& p : parsed.problems) ADD_FAILURE() << p.to_string();
  ASSERT_NE(parsed.policy, nullptr);
  EXPECT_EQ(parsed.policy->rules().back().id, "default");
}

TEST(PolicyLoader, ReportsEveryProblemWithItsPosition) {
  const char* text = R"(version: 1
colour: blue
detectors:
  - {name: bad, class: phi, regex: '(unclosed'}
  - {name: nocls, regex: 'x'}
rules:
  - id: one
    when: {team: legal, planet: mars}
    then: {route: sideways}
  - id: one
    when: {classes: [phi, unknown_thing]}
    then: {route: prefer_local, upstreams: [openai, nowhere], redact: [emails]}
  - id: catch-all
    then: {route: deny}
  - id: after
    when: {app: x}
    then: {route: local_only, cache: sometimes, max_tokens: 0}
)";
  EXPECT_EQ(problems(text, known_upstreams()),
            (std::vector<std::string>{
                "p.yaml:2:1: unknown key 'colour' in the policy file (expected one of: version, detectors, rules)",
                "p.yaml:4:36: bad regex: Missing close parenthesis for group started at index 0.",
                "p.yaml:5:5: a detector needs a class",
                "p.yaml:8:25: unknown key 'planet' in a condition (expected one of: all, any, not, app, team, model, "
                "header, classes, prompt_tokens, has_tools, has_images)",
                "p.yaml:9:19: route must be one of: local_only, on_prem_only, prefer_local, cloud_allowed, deny",
                "p.yaml:10:9: duplicate rule id 'one' (first at 7:9)",
                "p.yaml:11:27: unknown class 'unknown_thing' (known: credit_card, email, iban, ip_address, phone, "
                "secret, ssn, phi)",
                "p.yaml:12:53: unknown upstream 'nowhere' (configured: openai, claude, lab-gpu)",
                "p.yaml:12:72: unknown class 'emails' (known: credit_card, email, iban, ip_address, phone, secret, "
                "ssn, phi)",
                "p.yaml:15:5: rule 'after' can never match: the default rule 'catch-all' at 13:5 matches every "
                "request before it",
                "p.yaml:15:5: the last rule must be a default rule (no `when`), so that every request gets a decision",
                "p.yaml:17:38: cache must be one of: off, app, shared",
                "p.yaml:17:61: max_tokens must be at least 1",
            }));
}

TEST(PolicyLoader, MissingDefaultAndVersion) {
  EXPECT_EQ(problems("rules:\n  - id: a\n    when: {app: x}\n    then: {route: deny}\n"),
            (std::vector<std::string>{
                "p.yaml:1:1: missing key 'version' (this format is version 1)",
                "p.yaml:2:5: the last rule must be a default rule (no `when`), so that every request gets a decision",
            }));
}

TEST(PolicyLoader, YamlSyntaxErrorHasAPosition) {
  auto p = problems("version: 1\nrules: [\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("p.yaml:", 0), 0u) << p[0];
}

TEST(PolicyLoader, UpstreamsAreCheckedOnlyWhenKnown) {
  const char* text = "version: 1\nrules:\n  - id: d\n    then: {route: cloud_allowed, upstreams: [anything]}\n";
  EXPECT_TRUE(problems(text).empty());
  EXPECT_EQ(problems(text, known_upstreams()),
            std::vector<std::string>{"p.yaml:4:46: unknown upstream 'anything' (configured: openai, claude, lab-gpu)"});
}

TEST(PolicyLoader, WarnsAboutUpstreamsThatCannotApply) {
  const char* text = "version: 1\nrules:\n  - id: d\n    then: {route: local_only, upstreams: [lab-gpu]}\n";
  PolicyParse parsed = parse_policy(text, "p.yaml", known_upstreams());
  EXPECT_NE(parsed.policy, nullptr);
  std::vector<std::string> got;
  for (const auto& p : parsed.problems) got.push_back(p.to_string());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "p.yaml:4:42: warning: upstreams has no effect with route: local_only",
                     "p.yaml:4:43: warning: upstream 'lab-gpu' is not a cloud upstream; on-prem upstreams need no "
                     "allowance",
                 }));
}

TEST(PolicyLoader, MissingFileIsAProblemAtOneOne) {
  auto r = load_policy_file("/nonexistent/policies.yaml", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "/nonexistent/policies.yaml:1:1: cannot open the file");
}

TEST(PolicyLoader, DenyGetsADefaultMessage) {
  auto parsed = parse_policy("version: 1\nrules:\n  - id: no\n    then: {route: deny}\n", "p.yaml", {});
  ASSERT_NE(parsed.policy, nullptr);
  EXPECT_EQ(parsed.policy->rules()[0].then.message, "request denied by policy rule 'no'");
}

}  // namespace
}  // namespace hearth::policies
