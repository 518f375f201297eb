#pragma once
// Reading hand-written YAML while collecting every problem with its position, rather than
// stopping at the first (core's yaml_fields throws on the first): `policy check` must list
// them all. Readers of one document derive from it; not thread-safe.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "hearth/policies/policy_loader.hpp"

namespace hearth::policies {

// "a, b, c"
std::string join(std::initializer_list<std::string_view> names);

class YamlProblems {
 public:
  explicit YamlProblems(std::string path) : path_(std::move(path)) {}

  std::vector<PolicyProblem> problems;  // in the order found

  void error(const YAML::Node& at, std::string message) { add(at, std::move(message), false); }
  void warn(const YAML::Node& at, std::string message) { add(at, std::move(message), true); }
  bool has_errors() const;
  // "LINE:COL" of `at` (1-based), for messages that point at another place.
  std::string where(const YAML::Node& at) const;

  // A mapping whose keys are all in `allowed`; each stranger is reported (the rest is read).
  bool expect_map(const YAML::Node& node, std::string_view what, std::initializer_list<std::string_view> allowed);
  // Scalars; nullopt (and a problem) when the node is not one or does not parse.
  std::optional<std::string> read_string(const YAML::Node& node, std::string_view what);
  std::optional<int64_t> read_int(const YAML::Node& node, std::string_view what);
  std::optional<bool> read_bool(const YAML::Node& node, std::string_view what);
  // A single value or a non-empty list of them; empty (and a problem) otherwise.
  std::vector<std::string> read_strings(const YAML::Node& node, std::string_view what);

 private:
  void add(const YAML::Node& at, std::string message, bool warning);

  std::string path_;
};

}  // namespace hearth::policies
