#pragma once
// The compliance objects `hearth serve` builds from its config: the policy store (loaded at
// start, reloaded on SIGHUP and when the file changes) and the egress audit log. Owned by
// the composition root; the routers point into it.

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hearth/app/config.hpp"
#include "hearth/core/result.hpp"
#include "hearth/policies/audit_log.hpp"
#include "hearth/policies/audit_writer.hpp"
#include "hearth/policies/policy_loader.hpp"
#include "hearth/policies/policy_store.hpp"
#include "hearth/router/router.hpp"

namespace hearth::app {

// The upstreams a policy may name, with their zones.
std::vector<policies::KnownUpstream> known_upstreams(const Config& config);

class Compliance {
 public:
  // Loads the policy file and opens the audit log the config names (each optional). Errors:
  // every problem of the policy file (FILE:LINE:COL, one per line), a missing HMAC key, an
  // audit log that cannot be opened.
  [[nodiscard]] static Result<std::unique_ptr<Compliance>> create(const Config& config);

  // What the routers use.
  router::Compliance for_router() const;

  // Loads the policy file again and makes it current; on any problem the old policy stays
  // and the error says why. Requests in flight keep the policy they started with.
  [[nodiscard]] Result<void> reload();
  // Whether the policy file changed (modification time or size) since it was last loaded.
  bool policy_file_changed();

  // For /readyz: the active policy (path, hash, rules, last reload) and the audit log.
  Json describe() const;
  // Blocks until every audit record submitted so far is written (before the workers whose
  // coroutines wait on them go away).
  void wait_for_audit();

  // What start-up should tell the operator (an unset HMAC key variable).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct FileStamp {
    std::filesystem::file_time_type modified;
    uintmax_t size = 0;
    friend bool operator==(const FileStamp&, const FileStamp&) = default;
  };
  static std::optional<FileStamp> stamp_of(const std::string& path);

  std::string policy_path_;
  std::unique_ptr<policies::PolicyStore> store_;  // null: no policies configured
  std::unique_ptr<policies::AuditLog> audit_;     // null: no audit log configured
  std::unique_ptr<policies::AuditWriter> writer_;  // appends audit_ off the I/O threads
  bool include_content_ = false;
  std::string hmac_note_;  // why records carry no HMAC; empty when they do
  std::vector<std::string> warnings_;
  mutable std::mutex mutex_;              // guards the two below (reloads vs /readyz)
  std::optional<FileStamp> loaded_stamp_;
  std::string last_reload_error_;
};

}  // namespace hearth::app
