#include "hearth/policies/audit_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "audit_line.hpp"
#include "hearth/policies/digest.hpp"

namespace hearth::policies {
namespace {

using SystemTime = std::chrono::system_clock::time_point;

std::string errno_text(int error) { return std::strerror(error); }

int64_t day_of(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::hours>(t.time_since_epoch()).count() / 24;
}

// 2026-11-21T22:50:00.123Z
std::string rfc3339(SystemTime t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string compact_stamp(SystemTime t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Reads bytes [offset, offset + n) of `fd`.
bool read_at(int fd, uint64_t offset, size_t n, std::string& out) {
  out.resize(n);
  size_t done = 0;
  while (done < n) {
    const ssize_t r = pread(fd, out.data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

void fsync_directory(const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Result<std::string> load_hmac_key(const std::string& env_var, const std::string& file) {
  std::string key;
  if (!env_var.empty() && !file.empty()) {
    return make_error(ErrorCode::InvalidRequest, "name the audit HMAC key by an env var or a file, not both");
  }
  if (!env_var.empty()) {
    const char* value = std::getenv(env_var.c_str());
    if (value == nullptr) return make_error(ErrorCode::InvalidRequest, "audit HMAC key: $" + env_var + " is not set");
    key = value;
  } else if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return make_error(ErrorCode::InvalidRequest, "audit HMAC key: cannot read " + file);
    std::ostringstream text;
    text << in.rdbuf();
    key = text.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  } else {
    return std::string();
  }
  if (key.size() < 16) return make_error(ErrorCode::InvalidRequest, "audit HMAC key is shorter than 16 bytes");
  return key;
}

AuditLog::AuditLog(AuditOptions options) : options_(std::move(options)) {
  if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(AuditOptions options) {
  if (options.path.empty()) return make_error(ErrorCode::InvalidRequest, "audit log path is empty");
  std::unique_ptr<AuditLog> log(new AuditLog(std::move(options)));
  std::lock_guard lock(log->mutex_);
  if (auto r = log->open_file(); !r) return std::move(r).error();
  return log;
}

Result<void> AuditLog::open_file() {
  const std::string& path = options_.path;
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return fail("cannot open audit log " + path + ": " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return fail("cannot stat audit log " + path + ": " + errno_text(errno));
  size_ = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  if (size_ == 0) return {};

  // Find the last complete line: cut a trailing partial one (never acknowledged), then read
  // backwards to the newline before it.
  std::string tail;
  const size_t step = 64 * 1024;
  uint64_t start = size_ > step ? size_ - step : 0;
  if (!read_at(fd_, start, static_cast<size_t>(size_ - start), tail)) return fail("cannot read audit log " + path);
  if (tail.back() != '\n') {
    const size_t nl = tail.rfind('\n');
    // A partial line longer than what was read: read the whole file's end instead.
    const uint64_t keep = nl == std::string::npos ? (start == 0 ? 0 : size_) : start + nl + 1;
    if (keep == size_) return fail("audit log " + path + " ends with an overlong partial line");
    if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0) return fail("cannot cut partial line: " + errno_text(errno));
    size_ = keep;
    if (size_ == 0) return {};
    start = size_ > step ? size_ - step : 0;
    if (!read_at(fd_, start, static_cast<size_t>(size_ - start), tail)) return fail("cannot read audit log " + path);
  }
  size_t line_start = tail.rfind('\n', tail.size() - 2);
  while (line_start == std::string::npos && start > 0) {
    // The last line is longer than what was read so far: read further back.
    const uint64_t earlier = start > step ? start - step : 0;
    std::string more;
    if (!read_at(fd_, earlier, static_cast<size_t>(start - earlier), more)) return fail("cannot read audit log " + path);
    tail = more + tail;
    start = earlier;
    line_start = tail.rfind('\n', tail.size() - 2);
  }
  const std::string last = tail.substr(line_start == std::string::npos ? 0 : line_start + 1);
  const std::string line = last.substr(0, last.size() - 1);
  last_hash_ = sha256_hex(line);
  const auto record = nlohmann::json::parse(line, nullptr, false);
  if (!record.is_object() || !record.contains("seq") || !record["seq"].is_number_unsigned()) {
    return fail("audit log " + path + ": the last line is not a record; run `hearth audit verify`");
  }
  seq_ = record["seq"].get<uint64_t>() + 1;
  file_day_ = -1;
  if (record.contains("time") && record["time"].is_string()) {
    std::tm tm{};
    const std::string t = record["time"].get<std::string>();
    if (strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) != nullptr) file_day_ = static_cast<int64_t>(timegm(&tm) / 86400);
  }
  return {};
}

Result<void> AuditLog::fail(std::string reason) {
  unhealthy_ = reason;
  return make_error(ErrorCode::Internal, std::move(reason));
}

Result<void> AuditLog::rotate_if_needed(size_t line_bytes, SystemTime now) {
  if (size_ == 0) return {};
  const bool by_size = options_.rotate_bytes > 0 && size_ + line_bytes > options_.rotate_bytes;
  const bool by_day = options_.rotate_daily && file_day_ >= 0 && day_of(now) != file_day_;
  if (!by_size && !by_day) return {};

  // Close the old file under a time-stamped name; the chain (last_hash_) carries on.
  std::string rotated = options_.path + "." + compact_stamp(now);
  for (int n = 1; std::filesystem::exists(rotated); ++n) {
    rotated = options_.path + "." + compact_stamp(now) + "-" + std::to_string(n);
  }
  if (::fsync(fd_) != 0) return fail("audit log fsync before rotation failed: " + errno_text(errno));
  ::close(fd_);
  fd_ = -1;
  if (std::rename(options_.path.c_str(), rotated.c_str()) != 0) {
    const int error = errno;
    fd_ = ::open(options_.path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    return fail("audit log rotation failed: " + errno_text(error));
  }
  fd_ = ::open(options_.path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_EXCL, 0600);
  if (fd_ < 0) return fail("cannot open audit log " + options_.path + " after rotation: " + errno_text(errno));
  fsync_directory(options_.path);
  size_ = 0;
  file_day_ = day_of(now);
  return {};
}

Result<void> AuditLog::write_line(const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("audit log write failed: " + errno_text(n < 0 ? errno : EIO));
    done += static_cast<size_t>(n);
  }
  size_ += line.size();
  return {};
}

Result<void> AuditLog::append_fields(nlohmann::ordered_json fields) {
  std::vector<nlohmann::ordered_json> one;
  one.push_back(std::move(fields));
  return append_all(std::move(one));
}

Result<void> AuditLog::append_all(std::vector<nlohmann::ordered_json> records) {
  std::lock_guard lock(mutex_);
  if (broken_) return make_error(ErrorCode::Internal, unhealthy_);
  if (fd_ < 0) {
    if (auto r = open_file(); !r) return r;
  }
  // Where to go back to if the batch fails: the active file's state before its first line
  // (a rotation inside the batch has already made the lines before it durable).
  struct Mark {
    uint64_t size, seq;
    std::string hash;
    int64_t day;
  } mark{size_, seq_, last_hash_, file_day_};
  auto undo = [&](Result<void> failure) {
    // A failed rotation leaves no active file: the lines before it are in the rotated file,
    // and the next append opens a new one that chains on from them.
    if (fd_ < 0) return failure;
    if (::ftruncate(fd_, static_cast<off_t>(mark.size)) != 0) {
      broken_ = true;  // a partial or unsynced line stays: no further appends
    } else {
      size_ = mark.size;
      seq_ = mark.seq;
      last_hash_ = mark.hash;
      file_day_ = mark.day;
    }
    return failure;
  };

  for (nlohmann::ordered_json& fields : records) {
    const SystemTime now = options_.clock();
    fields["seq"] = seq_;
    fields["time"] = rfc3339(now);
    fields["prev"] = last_hash_;
    const std::string record = fields.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    const std::string line = audit_line::sign(record, options_.hmac_key);
    const uint64_t size_before = size_;
    if (auto r = rotate_if_needed(line.size() + 1, now); !r) return undo(std::move(r));
    if (size_ != size_before) mark = Mark{size_, seq_, last_hash_, file_day_};  // rotated
    if (auto r = write_line(line + "\n"); !r) return undo(std::move(r));
    if (file_day_ < 0) file_day_ = day_of(now);
    last_hash_ = sha256_hex(line);
    ++seq_;
  }
  // One flush for the whole batch (group commit): every record in it is durable, or none is
  // acknowledged.
  if (::fdatasync(fd_) != 0) return undo(fail("audit log fsync failed: " + errno_text(errno)));
  written_ += records.size();
  ++batches_;
  unhealthy_.clear();
  return {};
}

Result<void> AuditLog::append(const WriteAheadRecord& record) {
  return append_fields(to_json(record, options_.include_content));
}
Result<void> AuditLog::append(const OutcomeRecord& record) { return append_fields(to_json(record)); }
Result<void> AuditLog::append(const DenialRecord& record) { return append_fields(to_json(record)); }

std::string AuditLog::unhealthy_reason() const {
  std::lock_guard lock(mutex_);
  return unhealthy_;
}

std::string AuditLog::last_hash() const {
  std::lock_guard lock(mutex_);
  return last_hash_;
}

uint64_t AuditLog::records_written() const {
  std::lock_guard lock(mutex_);
  return written_;
}

uint64_t AuditLog::flushes() const {
  std::lock_guard lock(mutex_);
  return batches_;
}

}  // namespace hearth::policies
