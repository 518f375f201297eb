#include "hearth/policies/policy.hpp"

#include <algorithm>

namespace hearth::policies {
namespace {

// `pattern` with '*' matching any run of characters; no other metacharacters.
bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool any_glob(const std::vector<std::string>& patterns, std::string_view value) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return glob_match(p, value); });
}

}  // namespace

std::string_view to_string(RouteMode mode) {
  switch (mode) {
    case RouteMode::LocalOnly: return "local_only";
    case RouteMode::OnPremOnly: return "on_prem_only";
    case RouteMode::PreferLocal: return "prefer_local";
    case RouteMode::CloudAllowed: return "cloud_allowed";
    case RouteMode::Deny: return "deny";
  }
  return "deny";
}

std::string_view to_string(CacheScope scope) {
  switch (scope) {
    case CacheScope::Off: return "off";
    case CacheScope::App: return "app";
    case CacheScope::Shared: return "shared";
  }
  return "off";
}

bool PolicyVerdict::allows_cloud_upstream(std::string_view name) const {
  if (route != RouteMode::PreferLocal && route != RouteMode::CloudAllowed) return false;
  if (!allowed_upstreams) return true;
  return std::find(allowed_upstreams->begin(), allowed_upstreams->end(), name) != allowed_upstreams->end();
}

bool condition_holds(const Condition& c, const RequestFacts& facts) {
  using Kind = Condition::Kind;
  switch (c.kind) {
    case Kind::All:
      return std::all_of(c.children.begin(), c.children.end(), [&](const Condition& x) { return condition_holds(x, facts); });
    case Kind::Any:
      return std::any_of(c.children.begin(), c.children.end(), [&](const Condition& x) { return condition_holds(x, facts); });
    case Kind::Not:
      return c.children.size() == 1 && !condition_holds(c.children[0], facts);
    case Kind::App:
      return any_glob(c.values, facts.app);
    case Kind::Team:
      return any_glob(c.values, facts.team);
    case Kind::Model:
      return any_glob(c.values, facts.model);
    case Kind::Header: {
      auto it = facts.headers.find(c.header);
      return it != facts.headers.end() && any_glob(c.values, it->second);
    }
    case Kind::Classes:
      return std::any_of(c.values.begin(), c.values.end(), [&](const std::string& cls) {
        return std::binary_search(facts.classes.begin(), facts.classes.end(), cls);
      });
    case Kind::PromptTokens: {
      const int64_t n = facts.prompt_tokens;
      return (!c.gt || n > *c.gt) && (!c.gte || n >= *c.gte) && (!c.lt || n < *c.lt) && (!c.lte || n <= *c.lte);
    }
    case Kind::HasTools:
      return facts.has_tools == c.flag;
    case Kind::HasImages:
      return facts.has_images == c.flag;
  }
  return false;
}

PolicyVerdict evaluate_rules(const std::vector<Rule>& rules, const RequestFacts& facts) {
  PolicyVerdict verdict;
  verdict.detected_classes = facts.classes;
  for (const Rule& rule : rules) {
    if (rule.when && !condition_holds(*rule.when, facts)) continue;
    verdict.rule_id = rule.id;
    verdict.route = rule.then.route;
    verdict.deny_message = rule.then.message;
    verdict.allowed_upstreams = rule.then.upstreams;
    verdict.redact_classes = rule.then.redact;
    verdict.cache_scope = rule.then.cache;
    verdict.max_tokens = rule.then.max_tokens;
    return verdict;
  }
  verdict.route = RouteMode::Deny;
  verdict.deny_message = "no policy rule matched";
  return verdict;
}

const Rule* Policy::find_rule(std::string_view id) const {
  for (const Rule& rule : rules_) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

}  // namespace hearth::policies
