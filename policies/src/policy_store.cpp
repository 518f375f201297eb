#include "hearth/policies/policy_store.hpp"

namespace hearth::policies {

std::shared_ptr<const Policy> PolicyStore::current() const {
  std::lock_guard lock(mutex_);
  return policy_;
}

Result<void> PolicyStore::reload(const std::string& path) {
  // Load outside the lock: compiling detectors takes milliseconds and requests keep going.
  auto loaded = load_policy_file(path, options_);
  if (!loaded) return std::move(loaded).error();
  replace(std::move(loaded).value());
  return {};
}

void PolicyStore::replace(std::shared_ptr<const Policy> policy) {
  std::lock_guard lock(mutex_);
  policy_ = std::move(policy);
}

}  // namespace hearth::policies
