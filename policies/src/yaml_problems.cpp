#include "yaml_problems.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace hearth::policies {

std::string join(std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

bool YamlProblems::has_errors() const {
  return std::any_of(problems.begin(), problems.end(), [](const PolicyProblem& p) { return !p.warning; });
}

std::string YamlProblems::where(const YAML::Node& at) const {
  const YAML::Mark m = at.Mark();
  if (m.is_null()) return "1:1";
  return std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

void YamlProblems::add(const YAML::Node& at, std::string message, bool warning) {
  PolicyProblem p;
  p.file = path_;
  const YAML::Mark m = at.Mark();
  if (!m.is_null()) {
    p.line = m.line + 1;
    p.column = m.column + 1;
  }
  p.message = std::move(message);
  p.warning = warning;
  problems.push_back(std::move(p));
}

bool YamlProblems::expect_map(const YAML::Node& node, std::string_view what,
                              std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) {
    error(node, std::string(what) + " must be a mapping");
    return false;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    error(it->first, "unknown key '" + key + "' in " + std::string(what) + " (expected one of: " + join(allowed) + ")");
  }
  return true;
}

std::optional<std::string> YamlProblems::read_string(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) {
    error(node, std::string(what) + " must be a single value");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<int64_t> YamlProblems::read_int(const YAML::Node& node, std::string_view what) {
  auto s = read_string(node, what);
  if (!s) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s->c_str(), &end, 10);
  if (s->empty() || *end != '\0' || errno != 0) {
    error(node, std::string(what) + " must be a whole number");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> YamlProblems::read_bool(const YAML::Node& node, std::string_view what) {
  auto s = read_string(node, what);
  if (!s) return std::nullopt;
  if (*s == "true") return true;
  if (*s == "false") return false;
  error(node, std::string(what) + " must be true or false");
  return std::nullopt;
}

std::vector<std::string> YamlProblems::read_strings(const YAML::Node& node, std::string_view what) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
  } else if (node.IsSequence() && node.size() > 0) {
    for (const auto& item : node) {
      if (auto s = read_string(item, what)) out.push_back(*s);
    }
  } else {
    error(node, std::string(what) + " must be a value or a non-empty list of values");
  }
  return out;
}

}  // namespace hearth::policies
