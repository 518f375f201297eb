#include "hearth/policies/policy_loader.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "hearth/policies/digest.hpp"
#include "yaml_problems.hpp"

namespace hearth::policies {
namespace {

using Kind = Condition::Kind;

bool valid_class_name(const std::string& s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool valid_id(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// Reads one policy file into detector specs and rules.
class Reader : public YamlProblems {
 public:
  Reader(std::string path, const PolicyLoadOptions& options) : YamlProblems(std::move(path)), options_(options) {}

  void read(const YAML::Node& root) {
    if (!root || root.IsNull()) {
      error(root, "the policy file is empty (it needs version and rules)");
      return;
    }
    if (!expect_map(root, "the policy file", {"version", "detectors", "rules"})) return;
    if (auto v = root["version"]) {
      auto version = read_int(v, "version");
      if (version && *version != 1) error(v, "version must be 1");
    } else {
      error(root, "missing key 'version' (this format is version 1)");
    }
    if (auto d = root["detectors"]) read_detectors(d);
    if (auto r = root["rules"]) {
      read_rules(r);
    } else {
      error(root, "missing key 'rules'");
    }
  }

  std::vector<DetectorSpec> detectors;
  std::vector<Rule> rules;
  YAML::Node detectors_node;

 private:
  bool class_known(const std::string& cls) const {
    auto in = [&](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), cls) != v.end(); };
    return in(builtin_classes()) || in(reserved_classes()) || custom_classes_.count(cls) > 0;
  }
  bool class_detected(const std::string& cls) const {
    return std::find(builtin_classes().begin(), builtin_classes().end(), cls) != builtin_classes().end() ||
           custom_classes_.count(cls) > 0;
  }

  // A class named in a rule: must be known; one no detector reports is a warning.
  void check_class(const YAML::Node& at, const std::string& cls) {
    if (!class_known(cls)) {
      std::string known;
      for (const auto& c : builtin_classes()) known += (known.empty() ? "" : ", ") + c;
      for (const auto& c : custom_classes_) known += ", " + c;
      error(at, "unknown class '" + cls + "' (known: " + known + ")");
    } else if (!class_detected(cls)) {
      warn(at, "no detector reports class '" + cls + "' (hearth has no built-in " + cls +
                   " detector; add a detector with that class)");
    }
  }

  void read_detectors(const YAML::Node& node) {
    detectors_node = node;
    if (!node.IsSequence()) {
      error(node, "detectors must be a list");
      return;
    }
    std::map<std::string, std::string> seen;  // name → position
    for (const auto& d : node) {
      if (!expect_map(d, "a detector", {"name", "class", "regex", "words", "ignore_case", "description"})) continue;
      DetectorSpec spec;
      bool ok = true;
      if (auto n = d["name"]) {
        if (auto s = read_string(n, "detector name")) {
          spec.name = *s;
          if (!valid_id(spec.name)) {
            error(n, "detector name '" + spec.name + "' may use only letters, digits, '-', '_' and '.'");
            ok = false;
          } else if (auto it = seen.find(spec.name); it != seen.end()) {
            error(n, "duplicate detector name '" + spec.name + "' (first at " + it->second + ")");
            ok = false;
          } else {
            seen[spec.name] = where(n);
          }
        } else {
          ok = false;
        }
      } else {
        error(d, "a detector needs a name");
        ok = false;
      }
      if (auto c = d["class"]) {
        if (auto s = read_string(c, "detector class")) {
          spec.cls = *s;
          if (!valid_class_name(spec.cls)) {
            error(c, "class '" + spec.cls + "' must be lower-case letters, digits and '_', starting with a letter");
            ok = false;
          }
        } else {
          ok = false;
        }
      } else {
        error(d, "a detector needs a class");
        ok = false;
      }
      if (auto n = d["ignore_case"]) {
        auto b = read_bool(n, "ignore_case");
        if (b) spec.ignore_case = *b;
      }
      const YAML::Node regex = d["regex"], words = d["words"];
      if (regex && words) {
        error(words, "a detector has either regex or words, not both");
        ok = false;
      } else if (regex) {
        if (auto s = read_string(regex, "regex")) {
          spec.regex = *s;
          if (spec.regex.empty()) {
            error(regex, "regex must not be empty");
            ok = false;
          } else if (auto checked = DetectorSet::check_regex(spec.regex, spec.ignore_case); !checked) {
            error(regex, "bad regex: " + checked.error().message);
            ok = false;
          }
        } else {
          ok = false;
        }
      } else if (words) {
        if (!words.IsSequence() || words.size() == 0) {
          error(words, "words must be a non-empty list");
          ok = false;
        } else {
          for (const auto& w : words) {
            auto s = read_string(w, "a word");
            if (!s || s->empty()) {
              if (s) error(w, "a word must not be empty");
              ok = false;
              continue;
            }
            spec.words.push_back(*s);
          }
        }
      } else {
        error(d, "a detector needs regex or words");
        ok = false;
      }
      if (!spec.cls.empty()) custom_classes_.insert(spec.cls);
      if (ok) detectors.push_back(std::move(spec));
    }
  }

  std::optional<Condition> read_condition(const YAML::Node& node) {
    const std::initializer_list<std::string_view> kKeys = {
        "all", "any", "not", "app", "team", "model", "header", "classes", "prompt_tokens", "has_tools", "has_images"};
    if (!node.IsMap()) {
      error(node, "a condition must be a mapping (one of: " + join(kKeys) + ")");
      return std::nullopt;
    }
    if (node.size() == 0) {
      error(node, "a condition must not be empty (leave `when` out for a default rule)");
      return std::nullopt;
    }
    expect_map(node, "a condition", kKeys);
    Condition all;
    all.kind = Kind::All;
    bool ok = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      const YAML::Node value = it->second;
      auto leaf = [&](Kind kind) {
        Condition c;
        c.kind = kind;
        return c;
      };
      if (key == "all" || key == "any") {
        Condition c = leaf(key == "all" ? Kind::All : Kind::Any);
        if (!value.IsSequence() || value.size() == 0) {
          error(value, key + " must be a non-empty list of conditions");
          ok = false;
          continue;
        }
        for (const auto& item : value) {
          auto child = read_condition(item);
          if (child) c.children.push_back(std::move(*child));
          else ok = false;
        }
        all.children.push_back(std::move(c));
      } else if (key == "not") {
        Condition c = leaf(Kind::Not);
        auto child = read_condition(value);
        if (!child) {
          ok = false;
          continue;
        }
        c.children.push_back(std::move(*child));
        all.children.push_back(std::move(c));
      } else if (key == "app" || key == "team" || key == "model") {
        Condition c = leaf(key == "app" ? Kind::App : key == "team" ? Kind::Team : Kind::Model);
        c.values = read_strings(value, key);
        if (c.values.empty()) ok = false;
        all.children.push_back(std::move(c));
      } else if (key == "header") {
        if (!value.IsMap() || value.size() == 0) {
          error(value, "header must map header names to values, e.g. {x-data-class: restricted}");
          ok = false;
          continue;
        }
        for (auto h = value.begin(); h != value.end(); ++h) {
          Condition c = leaf(Kind::Header);
          c.header = h->first.IsScalar() ? h->first.Scalar() : "";
          std::transform(c.header.begin(), c.header.end(), c.header.begin(),
                         [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
          c.values = read_strings(h->second, "header " + c.header);
          if (c.header.empty() || c.values.empty()) ok = false;
          all.children.push_back(std::move(c));
        }
      } else if (key == "classes") {
        Condition c = leaf(Kind::Classes);
        if (value.IsScalar()) {
          check_class(value, value.Scalar());
          c.values.push_back(value.Scalar());
        } else if (value.IsSequence() && value.size() > 0) {
          for (const auto& item : value) {
            if (auto s = read_string(item, "a class")) {
              check_class(item, *s);
              c.values.push_back(*s);
            }
          }
        } else {
          error(value, "classes must be a class or a non-empty list of classes");
          ok = false;
        }
        all.children.push_back(std::move(c));
      } else if (key == "prompt_tokens") {
        Condition c = leaf(Kind::PromptTokens);
        if (!value.IsMap() || value.size() == 0) {
          error(value, "prompt_tokens must compare, e.g. {gt: 4000} (gt, gte, lt, lte)");
          ok = false;
          continue;
        }
        expect_map(value, "prompt_tokens", {"gt", "gte", "lt", "lte"});
        if (auto n = value["gt"]) c.gt = read_int(n, "prompt_tokens.gt");
        if (auto n = value["gte"]) c.gte = read_int(n, "prompt_tokens.gte");
        if (auto n = value["lt"]) c.lt = read_int(n, "prompt_tokens.lt");
        if (auto n = value["lte"]) c.lte = read_int(n, "prompt_tokens.lte");
        all.children.push_back(std::move(c));
      } else if (key == "has_tools" || key == "has_images") {
        Condition c = leaf(key == "has_tools" ? Kind::HasTools : Kind::HasImages);
        auto b = read_bool(value, key);
        if (!b) {
          ok = false;
          continue;
        }
        c.flag = *b;
        all.children.push_back(std::move(c));
      } else {
        ok = false;  // reported by expect_map
      }
    }
    if (!ok) return std::nullopt;
    if (all.children.size() == 1) return std::move(all.children[0]);
    return all;
  }

  std::optional<RuleAction> read_action(const YAML::Node& node, const std::string& id) {
    if (!expect_map(node, "then", {"route", "message", "upstreams", "redact", "cache", "max_tokens"})) return std::nullopt;
    RuleAction a;
    bool ok = true;
    if (auto n = node["route"]) {
      const std::string route = n.IsScalar() ? n.Scalar() : "";
      if (route == "local_only") a.route = RouteMode::LocalOnly;
      else if (route == "on_prem_only") a.route = RouteMode::OnPremOnly;
      else if (route == "prefer_local") a.route = RouteMode::PreferLocal;
      else if (route == "cloud_allowed") a.route = RouteMode::CloudAllowed;
      else if (route == "deny") a.route = RouteMode::Deny;
      else {
        error(n, "route must be one of: local_only, on_prem_only, prefer_local, cloud_allowed, deny");
        ok = false;
      }
    } else {
      error(node, "then needs a route");
      ok = false;
    }
    const bool egress = a.route == RouteMode::PreferLocal || a.route == RouteMode::CloudAllowed;
    if (auto n = node["message"]) {
      if (auto s = read_string(n, "message")) a.message = *s;
      if (a.route != RouteMode::Deny) warn(n, "message is only sent with route: deny");
    } else if (a.route == RouteMode::Deny) {
      a.message = "request denied by policy rule '" + id + "'";
    }
    if (auto n = node["upstreams"]) {
      if (!n.IsSequence()) {
        error(n, "upstreams must be a list of upstream names (or [] for none)");
        ok = false;
      } else {
        std::vector<std::string> names;
        for (const auto& item : n) {
          auto s = read_string(item, "an upstream");
          if (!s) {
            ok = false;
            continue;
          }
          if (options_.upstreams) {
            auto known = std::find_if(options_.upstreams->begin(), options_.upstreams->end(),
                                      [&](const KnownUpstream& u) { return u.name == *s; });
            if (known == options_.upstreams->end()) {
              std::string list;
              for (const auto& u : *options_.upstreams) list += (list.empty() ? "" : ", ") + u.name;
              error(item, "unknown upstream '" + *s + "' (configured: " + (list.empty() ? "none" : list) + ")");
              ok = false;
            } else if (!known->cloud) {
              warn(item, "upstream '" + *s + "' is not a cloud upstream; on-prem upstreams need no allowance");
            }
          }
          names.push_back(*s);
        }
        a.upstreams = std::move(names);
        if (!egress) warn(n, "upstreams has no effect with route: " + std::string(to_string(a.route)));
      }
    }
    if (auto n = node["redact"]) {
      if (!n.IsSequence()) {
        error(n, "redact must be a list of classes");
        ok = false;
      } else {
        for (const auto& item : n) {
          if (auto s = read_string(item, "a class")) {
            check_class(item, *s);
            if (class_known(*s)) a.redact.push_back(*s);
            else ok = false;
          }
        }
      }
    }
    if (auto n = node["cache"]) {
      const std::string scope = n.IsScalar() ? n.Scalar() : "";
      if (scope == "off") a.cache = CacheScope::Off;
      else if (scope == "app") a.cache = CacheScope::App;
      else if (scope == "shared") a.cache = CacheScope::Shared;
      else {
        error(n, "cache must be one of: off, app, shared");
        ok = false;
      }
    }
    if (auto n = node["max_tokens"]) {
      auto v = read_int(n, "max_tokens");
      if (v && *v < 1) {
        error(n, "max_tokens must be at least 1");
        ok = false;
      }
      if (v) a.max_tokens = *v;
      else ok = false;
    }
    if (!ok) return std::nullopt;
    return a;
  }

  void read_rules(const YAML::Node& node) {
    if (!node.IsSequence() || node.size() == 0) {
      error(node, "rules must be a non-empty list");
      return;
    }
    std::map<std::string, std::string> ids;  // id → position
    std::string catch_all;                   // the first rule that matches everything
    YAML::Node last;
    bool last_is_default = false;
    for (const auto& r : node) {
      last.reset(r);
      if (!expect_map(r, "a rule", {"id", "description", "when", "then"})) {
        last_is_default = false;
        continue;
      }
      Rule rule;
      bool ok = true;
      if (auto n = r["id"]) {
        if (auto s = read_string(n, "id")) {
          rule.id = *s;
          if (!valid_id(rule.id)) {
            error(n, "rule id '" + rule.id + "' may use only letters, digits, '-', '_' and '.'");
            ok = false;
          } else if (auto it = ids.find(rule.id); it != ids.end()) {
            error(n, "duplicate rule id '" + rule.id + "' (first at " + it->second + ")");
            ok = false;
          } else {
            ids[rule.id] = where(n);
          }
        } else {
          ok = false;
        }
      } else {
        error(r, "a rule needs an id");
        ok = false;
      }
      if (auto n = r["description"]) {
        if (auto s = read_string(n, "description")) rule.description = *s;
      }
      if (!catch_all.empty()) {
        error(r, "rule '" + rule.id + "' can never match: " + catch_all + " matches every request before it");
      }
      if (auto n = r["when"]) {
        rule.when = read_condition(n);
        if (!rule.when) ok = false;
        last_is_default = false;
      } else {
        last_is_default = true;
        if (catch_all.empty()) catch_all = "the default rule '" + rule.id + "' at " + where(r);
      }
      if (auto n = r["then"]) {
        auto action = read_action(n, rule.id);
        if (action) rule.then = std::move(*action);
        else ok = false;
      } else {
        error(r, "a rule needs then (at least a route)");
        ok = false;
      }
      if (ok) rules.push_back(std::move(rule));
    }
    if (!last_is_default) {
      error(last, "the last rule must be a default rule (no `when`), so that every request gets a decision");
    }
  }

  const PolicyLoadOptions& options_;
  std::set<std::string> custom_classes_;
};

}  // namespace

std::string PolicyProblem::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + (warning ? "warning: " : "") +
         message;
}

PolicyParse parse_policy(const std::string& text, const std::string& path, const PolicyLoadOptions& options) {
  PolicyParse out;
  Reader reader(path, options);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    PolicyProblem p{path, e.mark.is_null() ? 1 : e.mark.line + 1, e.mark.is_null() ? 1 : e.mark.column + 1, e.msg,
                    false};
    out.problems.push_back(std::move(p));
    return out;
  }
  try {
    reader.read(root);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on malformed access it cannot report through the reader.
    reader.problems.push_back({path, e.mark.is_null() ? 1 : e.mark.line + 1,
                               e.mark.is_null() ? 1 : e.mark.column + 1, e.msg, false});
  }

  std::shared_ptr<const DetectorSet> detector_set;
  if (!reader.has_errors()) {
    auto built = DetectorSet::build(reader.detectors);
    if (built) {
      detector_set = std::move(built).value();
    } else {
      reader.error(reader.detectors_node, built.error().message);
    }
  }
  std::stable_sort(reader.problems.begin(), reader.problems.end(), [](const PolicyProblem& a, const PolicyProblem& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  out.problems = std::move(reader.problems);
  if (detector_set) {
    out.policy = std::make_shared<const Policy>(path, sha256_hex(text), std::move(reader.detectors),
                                                std::move(detector_set), std::move(reader.rules));
  }
  return out;
}

PolicyParse load_policy(const std::string& path, const PolicyLoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    PolicyParse out;
    out.problems.push_back({path, 1, 1, "cannot open the file", false});
    return out;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_policy(text.str(), path, options);
}

Result<std::shared_ptr<const Policy>> load_policy_file(const std::string& path, const PolicyLoadOptions& options) {
  PolicyParse parsed = load_policy(path, options);
  if (parsed.policy) return std::move(parsed.policy);
  std::string message;
  for (const PolicyProblem& p : parsed.problems) {
    if (p.warning) continue;
    message += (message.empty() ? "" : "\n") + p.to_string();
  }
  return make_error(ErrorCode::InvalidRequest, message);
}

}  // namespace hearth::policies
