#pragma once
// AuditLog: the append-only, tamper-evident egress log (JSON Lines). Each line carries
// `prev` (SHA-256 of the line before it, across rotations) and `hmac` (HMAC-SHA256 of the
// line without its hmac). append() returns only after the line is written and fsync'd; an
// I/O error is returned, never swallowed, so egress can fail closed on it.
// Thread-safe: appends are serialised. Owned by the composition root.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/core/result.hpp"
#include "hearth/policies/audit_record.hpp"

namespace hearth::policies {

using WallClock = std::function<std::chrono::system_clock::time_point()>;

struct AuditOptions {
  std::string path;             // the active file; rotated files get a time suffix
  std::string hmac_key;         // raw key bytes; empty: records carry no hmac
  bool include_content = false; // write-ahead records carry the bytes sent
  uint64_t rotate_bytes = 0;    // rotate before a line would grow the file past this; 0: never
  bool rotate_daily = false;    // rotate when the UTC day of a record differs from the file's
  WallClock clock;              // empty: the system clock
};

// The key named by an env var or a file (one of them); trailing newlines of a file are
// dropped. An empty name means no key; a named but missing or short (< 16 bytes) key is an
// error.
[[nodiscard]] Result<std::string> load_hmac_key(const std::string& env_var, const std::string& file);

// The 64-zero `prev` of the very first record.
inline constexpr const char* kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

class AuditLog {
 public:
  // Opens (or creates, mode 0600) the file and continues its chain from its last line. A
  // trailing partial line (a crash mid-append; never acknowledged) is cut off.
  [[nodiscard]] static Result<std::unique_ptr<AuditLog>> open(AuditOptions options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one record and flushes it to disk. Call before the egress it describes; on an
  // error the egress must not happen.
  [[nodiscard]] Result<void> append(const WriteAheadRecord& record);
  [[nodiscard]] Result<void> append(const OutcomeRecord& record);
  [[nodiscard]] Result<void> append(const DenialRecord& record);
  // Any object (its "kind" first); seq, time, prev and hmac are added.
  [[nodiscard]] Result<void> append_fields(nlohmann::ordered_json fields);
  // Several records with one flush (group commit): all are durable when this returns ok;
  // on an error none of them is acknowledged and the file is cut back to before the batch.
  [[nodiscard]] Result<void> append_all(std::vector<nlohmann::ordered_json> records);

  // Empty while healthy; else why the last append failed (for /readyz).
  std::string unhealthy_reason() const;
  // The hash of the last line written (the next record's prev).
  std::string last_hash() const;
  uint64_t records_written() const;
  uint64_t flushes() const;  // fdatasync calls that acknowledged records

 private:
  explicit AuditLog(AuditOptions options);
  Result<void> open_file();
  Result<void> rotate_if_needed(size_t line_bytes, std::chrono::system_clock::time_point now);
  Result<void> write_line(const std::string& line);
  Result<void> fail(std::string reason);

  AuditOptions options_;
  mutable std::mutex mutex_;
  int fd_ = -1;
  uint64_t size_ = 0;
  int64_t file_day_ = -1;  // days since the epoch (UTC) of the active file's first record
  uint64_t seq_ = 0;
  uint64_t written_ = 0;
  uint64_t batches_ = 0;
  std::string last_hash_ = kGenesisHash;
  std::string unhealthy_;
  bool broken_ = false;  // a partial line could not be undone: no further appends
};

}  // namespace hearth::policies
