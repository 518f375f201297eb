#pragma once
// AuditWriter: appends audit records on its own thread, so that the gateway's I/O threads
// never wait on the disk, and flushes everything that queued up while the last flush ran in
// one fdatasync (group commit): under load many requests share a flush instead of each
// paying for its own. Each record's `done` callback runs on the writer's thread once the
// record is durable (or failed); callers hop back to their own executor from there.
// Thread-safe. Owned by the composition root; destroying it writes what is queued first.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "hearth/core/result.hpp"
#include "hearth/policies/audit_log.hpp"

namespace hearth::policies {

class AuditWriter {
 public:
  using Done = std::function<void(Result<void>)>;

  explicit AuditWriter(AuditLog& log);
  ~AuditWriter();
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  // Queues one record (as made by to_json); `done` may be empty (fire and forget: outcome
  // and denial records, whose failure only makes the log unhealthy).
  void submit(nlohmann::ordered_json record, Done done);

  // Blocks until everything submitted so far has been written (tests; shutdown).
  void wait_idle();

  AuditLog& log() { return log_; }

 private:
  struct Pending {
    nlohmann::ordered_json record;
    Done done;
  };
  void run();

  AuditLog& log_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Pending> queue_;
  bool writing_ = false;  // a batch is being written
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hearth::policies
