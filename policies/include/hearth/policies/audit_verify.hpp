#pragma once
// Verifying audit files: the hash chain (each line's prev is the SHA-256 of the line before,
// across files) and, with the key, each line's HMAC. Names the first bad line.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/result.hpp"

namespace hearth::policies {

struct AuditVerifyOptions {
  std::string hmac_key;       // empty: HMACs are not checked
  std::string expected_prev;  // the first line's prev must be this; empty: genesis or anything
};

struct AuditVerifyReport {
  bool ok = true;
  uint64_t records = 0;
  std::string file;   // where the first bad record is
  uint64_t line = 0;  // 1-based; 0 when ok
  std::string reason;
  std::string last_hash;     // of the last good line (chain into the next file)
  bool first_is_genesis = false;
  std::string first_prev;    // the first line's prev
  bool hmac_checked = false;
};

// Verifies `content` (one file's bytes, named `file` in the report).
AuditVerifyReport verify_audit_text(std::string_view content, const std::string& file,
                                    const AuditVerifyOptions& options);

// Verifies files in order, each chained to the one before.
[[nodiscard]] Result<AuditVerifyReport> verify_audit_files(const std::vector<std::string>& files,
                                                           const AuditVerifyOptions& options);

}  // namespace hearth::policies
