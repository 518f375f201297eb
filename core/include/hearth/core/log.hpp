#pragma once
// Logger: structured logs, one JSON object per line. Thread-safe; owned by the composition
// root. A null stream makes it silent. Never give it a prompt or a key.

#include <cstdio>
#include <mutex>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hearth {

enum class LogLevel { Debug, Info, Warn, Error };

class Logger {
 public:
  explicit Logger(std::FILE* out = stderr, LogLevel min_level = LogLevel::Info)
      : out_(out), min_level_(min_level) {}

  // Whether a line at `level` would be written: callers skip building its fields otherwise.
  bool enabled(LogLevel level) const { return out_ != nullptr && level >= min_level_; }

  void log(LogLevel level, std::string_view event, nlohmann::json fields = nlohmann::json::object());
  void info(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
    log(LogLevel::Info, event, std::move(fields));
  }
  void warn(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
    log(LogLevel::Warn, event, std::move(fields));
  }
  void error(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
    log(LogLevel::Error, event, std::move(fields));
  }

 private:
  std::mutex mutex_;
  std::FILE* out_;
  LogLevel min_level_;
};

}  // namespace hearth
