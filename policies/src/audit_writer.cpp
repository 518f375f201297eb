#include "hearth/policies/audit_writer.hpp"

#include <vector>

namespace hearth::policies {

AuditWriter::AuditWriter(AuditLog& log) : log_(log), thread_([this] { run(); }) {}

AuditWriter::~AuditWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void AuditWriter::submit(nlohmann::ordered_json record, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(record), std::move(done)});
  }
  wake_.notify_one();
}

void AuditWriter::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

void AuditWriter::run() {
  for (;;) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(mutex_);
      writing_ = false;
      if (queue_.empty()) idle_.notify_all();
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is written
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
      writing_ = true;
    }
    std::vector<nlohmann::ordered_json> records;
    records.reserve(batch.size());
    for (Pending& p : batch) records.push_back(std::move(p.record));
    const Result<void> written = log_.append_all(std::move(records));
    for (Pending& p : batch) {
      if (p.done) p.done(written);
    }
  }
}

}  // namespace hearth::policies
