#include "hearth/core/log.hpp"

#include "hearth/core/wire_object.hpp"

#include <chrono>
#include <ctime>
#include <string>

namespace hearth {
namespace {

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis.count()));
  return buffer;
}

}  // namespace

void Logger::log(LogLevel level, std::string_view event, nlohmann::json fields) {
  if (!enabled(level)) return;
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  nlohmann::json line = {{"ts", utc_now()}, {"level", kNames[static_cast<int>(level)]},
                         {"event", event}};
  if (fields.is_object()) line.update(fields);
  std::string text = dump_json(line);
  text += '\n';
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace hearth
