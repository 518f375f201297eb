#include <array>
#include <charconv>
#include <ctime>

#include "hearth/core/ascii.hpp"
#include "hearth/upstream/upstream_errors.hpp"

namespace hearth::upstream {

namespace {

std::optional<double> parse_number(std::string_view text) {
  text = trim_ows(text);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0) || value > 1e9) {
    return std::nullopt;
  }
  return value;
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// IMF-fixdate, the only form senders may generate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  text = trim_ows(text);
  if (text.size() != 29 || text[3] != ',' || text.substr(26) != "GMT") return std::nullopt;
  auto day = parse_int(text.substr(5, 2));
  auto year = parse_int(text.substr(12, 4));
  auto hour = parse_int(text.substr(17, 2));
  auto minute = parse_int(text.substr(20, 2));
  auto second = parse_int(text.substr(23, 2));
  if (!day || !year || !hour || !minute || !second || text[19] != ':' || text[22] != ':') {
    return std::nullopt;
  }
  int month = -1;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (text.substr(8, 3) == kMonths[i]) month = static_cast<int>(i);
  }
  if (month < 0 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  std::time_t seconds = ::timegm(&tm);
  if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(seconds);
}

}  // namespace

std::optional<Duration> parse_retry_after(std::string_view retry_after,
                                          std::string_view retry_after_ms,
                                          std::chrono::system_clock::time_point now) {
  if (auto ms = parse_number(retry_after_ms)) return Duration(static_cast<Duration::rep>(*ms));
  if (auto seconds = parse_number(retry_after)) {
    return Duration(static_cast<Duration::rep>(*seconds * 1000));
  }
  if (auto when = parse_http_date(retry_after)) {
    if (*when <= now) return Duration(0);
    return std::chrono::duration_cast<Duration>(*when - now);
  }
  return std::nullopt;
}

}  // namespace hearth::upstream
