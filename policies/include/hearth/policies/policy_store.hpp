#pragma once
// PolicyStore: the active policy, swapped whole on reload. Thread-safe: current() may be
// called from any thread while reload() runs; a request keeps the shared_ptr it took, so it
// finishes under the policy it started with.

#include <memory>
#include <mutex>
#include <string>

#include "hearth/core/result.hpp"
#include "hearth/policies/policy.hpp"
#include "hearth/policies/policy_loader.hpp"

namespace hearth::policies {

class PolicyStore {
 public:
  PolicyStore(std::shared_ptr<const Policy> initial, PolicyLoadOptions options)
      : policy_(std::move(initial)), options_(std::move(options)) {}

  std::shared_ptr<const Policy> current() const;

  // Loads `path` and makes it current. On any error the old policy stays and the error
  // (every problem, one per line) is returned for the caller to log.
  [[nodiscard]] Result<void> reload(const std::string& path);

  // Makes `policy` current (tests; a policy built elsewhere).
  void replace(std::shared_ptr<const Policy> policy);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Policy> policy_;
  PolicyLoadOptions options_;
};

}  // namespace hearth::policies
