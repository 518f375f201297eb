#pragma once
// A loaded policy: custom detectors compiled with the built-ins, and the ordered rules. The
// policy decides where a request may go; the first rule whose `when` holds wins.
// Immutable after loading; share it as shared_ptr<const Policy> (in-flight requests keep
// the one they started with while a reload swaps in another).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/result.hpp"
#include "hearth/policies/detector.hpp"

namespace hearth::policies {

enum class RouteMode { LocalOnly, OnPremOnly, PreferLocal, CloudAllowed, Deny };
enum class CacheScope { Off, App, Shared };

std::string_view to_string(RouteMode mode);
std::string_view to_string(CacheScope scope);

// One test in a rule's `when`. Leaves compare one fact of the request; All/Any/Not combine.
struct Condition {
  enum class Kind { All, Any, Not, App, Team, Model, Header, Classes, PromptTokens, HasTools, HasImages };
  Kind kind = Kind::All;
  std::vector<Condition> children;  // All, Any: any number; Not: exactly one
  std::vector<std::string> values;  // App, Team, Model (globs with *), Header, Classes: any of
  std::string header;               // Header: the lower-case header name
  std::optional<int64_t> gt, gte, lt, lte;  // PromptTokens
  bool flag = true;                 // HasTools, HasImages
};

struct RuleAction {
  RouteMode route = RouteMode::PreferLocal;
  std::string message;                                   // Deny: what the client is told
  std::optional<std::vector<std::string>> upstreams;     // cloud upstreams allowed; nullopt: any
  std::vector<std::string> redact;                       // classes replaced before egress
  std::optional<CacheScope> cache;                       // nullopt: the gateway's default
  std::optional<int64_t> max_tokens;                     // cap on the completion's tokens
};

struct Rule {
  std::string id;
  std::string description;
  std::optional<Condition> when;  // nullopt: the default rule (always matches)
  RuleAction then;
};

// The facts a rule can look at, gathered from one request (see policy_input.hpp).
struct RequestFacts {
  std::string app;
  std::string team;
  std::string model;                          // the public model name the client asked for
  std::map<std::string, std::string> headers; // lower-case names
  std::vector<std::string> classes;           // detected classes, sorted, unique
  int64_t prompt_tokens = 0;
  bool has_tools = false;
  bool has_images = false;
};

// What the policy says about one request.
struct PolicyVerdict {
  std::string rule_id;
  RouteMode route = RouteMode::Deny;
  std::string deny_message;
  std::optional<std::vector<std::string>> allowed_upstreams;  // nullopt: any cloud upstream
  std::vector<std::string> redact_classes;
  std::optional<CacheScope> cache_scope;
  std::optional<int64_t> max_tokens;
  std::vector<std::string> detected_classes;  // sorted, unique
  std::map<std::string, int> detected_counts; // findings per class
  std::string policy_hash;                    // SHA-256 hex of the policy file

  bool denied() const { return route == RouteMode::Deny; }
  // Whether egress to the cloud upstream `name` is allowed at all by this verdict.
  bool allows_cloud_upstream(std::string_view name) const;
};

// First matching rule wins; a policy that loaded always has a default rule, so this only
// falls through for hand-built rule lists (then: deny, rule id "").
PolicyVerdict evaluate_rules(const std::vector<Rule>& rules, const RequestFacts& facts);

// Whether one condition holds for `facts` (exposed for tests and `policy explain`).
bool condition_holds(const Condition& condition, const RequestFacts& facts);

class Policy {
 public:
  Policy(std::string path, std::string hash, std::vector<DetectorSpec> detectors,
         std::shared_ptr<const DetectorSet> detector_set, std::vector<Rule> rules)
      : path_(std::move(path)), hash_(std::move(hash)), detectors_(std::move(detectors)),
        detector_set_(std::move(detector_set)), rules_(std::move(rules)) {}

  const std::string& path() const { return path_; }
  const std::string& hash() const { return hash_; }  // SHA-256 hex of the file's bytes
  const std::vector<DetectorSpec>& custom_detectors() const { return detectors_; }
  const DetectorSet& detectors() const { return *detector_set_; }
  const std::vector<Rule>& rules() const { return rules_; }
  const Rule* find_rule(std::string_view id) const;

 private:
  std::string path_;
  std::string hash_;
  std::vector<DetectorSpec> detectors_;
  std::shared_ptr<const DetectorSet> detector_set_;
  std::vector<Rule> rules_;
};

}  // namespace hearth::policies
