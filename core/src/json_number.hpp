#pragma once
// The double a JSON number's text stands for, as both JSON readers (parse_json and
// scan_json_object) must judge it alike: correctly rounded; an underflow keeps its tiny value
// or zero; an overflow (infinity) is refused, as nlohmann refuses it ("number overflow").

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

namespace hearth {

// `begin`..`end` is a JSON number's text; nullopt when its value overflows a double (or the
// text is not all one number).
inline std::optional<double> json_number_value(const char* begin, const char* end) {
  double value = 0;
  const auto result = std::from_chars(begin, end, value);
  if (result.ec == std::errc::result_out_of_range) {
    // from_chars gives no value out of range; strtod's tells an underflow from an overflow.
    value = std::strtod(std::string(begin, end).c_str(), nullptr);
    if (std::isinf(value)) return std::nullopt;
  } else if (result.ec != std::errc() || result.ptr != end) {
    return std::nullopt;
  }
  return value;
}

}  // namespace hearth
