#pragma once
// Loading a policy file: parse the YAML, validate all of it, and report every problem with
// its position (FILE:LINE:COL, 1-based) rather than stopping at the first.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hearth/core/result.hpp"
#include "hearth/policies/policy.hpp"

namespace hearth::policies {

struct PolicyProblem {
  std::string file;
  int line = 1;  // 1-based
  int column = 1;
  std::string message;
  bool warning = false;  // warnings do not stop the policy from loading

  // "FILE:LINE:COL: message" ("FILE:LINE:COL: warning: message" for warnings).
  std::string to_string() const;
};

// An upstream the gateway knows (from hearth.yaml), so that rules naming others are caught.
struct KnownUpstream {
  std::string name;
  bool cloud = true;  // zone: cloud
};

struct PolicyLoadOptions {
  std::optional<std::vector<KnownUpstream>> upstreams;  // nullopt: names are not checked
};

struct PolicyParse {
  std::shared_ptr<const Policy> policy;  // null when any problem is an error
  std::vector<PolicyProblem> problems;   // errors and warnings, in file order
};

// Validates `text` (the bytes of the file named `path`). Never throws.
PolicyParse parse_policy(const std::string& text, const std::string& path, const PolicyLoadOptions& options);

// Reads and validates the file at `path`; a missing file is a problem at 1:1.
PolicyParse load_policy(const std::string& path, const PolicyLoadOptions& options);

// load_policy as a Result: the error's message holds every error, one per line.
[[nodiscard]] Result<std::shared_ptr<const Policy>> load_policy_file(const std::string& path,
                                                                     const PolicyLoadOptions& options);

}  // namespace hearth::policies
