#include "hearth/core/units.hpp"

#include <charconv>
#include <limits>
#include <string>

namespace hearth {
namespace {

struct Split {
  uint64_t number = 0;
  std::string_view suffix;
};

Result<Split> split_number(std::string_view text, std::string_view what) {
  Split out;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out.number);
  if (ec != std::errc() || end == text.data()) {
    return make_error(ErrorCode::InvalidRequest,
                      "invalid " + std::string(what) + " '" + std::string(text) + "'");
  }
  out.suffix = text.substr(static_cast<size_t>(end - text.data()));
  return out;
}

Result<uint64_t> scaled(uint64_t number, uint64_t unit, std::string_view text) {
  if (unit != 0 && number > std::numeric_limits<uint64_t>::max() / unit) {
    return make_error(ErrorCode::InvalidRequest, "value '" + std::string(text) + "' is too large");
  }
  return number * unit;
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  auto split = split_number(text, "duration");
  if (!split) return std::move(split).error();
  struct Unit { std::string_view name; uint64_t ms; };
  static constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000},
                                    {"h", 3'600'000}, {"d", 86'400'000}};
  for (const auto& unit : kUnits) {
    if (split->suffix == unit.name) {
      auto ms = scaled(split->number, unit.ms, text);
      if (!ms) return std::move(ms).error();
      if (*ms > static_cast<uint64_t>(std::numeric_limits<Duration::rep>::max())) {
        return make_error(ErrorCode::InvalidRequest, "duration '" + std::string(text) + "' is too large");
      }
      return Duration(static_cast<Duration::rep>(*ms));
    }
  }
  return make_error(ErrorCode::InvalidRequest, "invalid duration '" + std::string(text) +
                                                   "': expected a number with ms, s, m, h or d");
}

Result<uint64_t> parse_size(std::string_view text) {
  auto split = split_number(text, "size");
  if (!split) return std::move(split).error();
  struct Unit { std::string_view name; uint64_t bytes; };
  static constexpr Unit kUnits[] = {{"", 1},           {"B", 1},
                                    {"KB", 1000},      {"MB", 1000'000},
                                    {"GB", 1000'000'000}, {"KiB", 1ull << 10},
                                    {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
                                    {"TiB", 1ull << 40}};
  for (const auto& unit : kUnits) {
    if (split->suffix == unit.name) return scaled(split->number, unit.bytes, text);
  }
  return make_error(ErrorCode::InvalidRequest,
                    "invalid size '" + std::string(text) + "': expected a number with B, KiB, MiB, GiB, KB, MB or GB");
}

}  // namespace hearth
