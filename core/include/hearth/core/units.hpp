#pragma once
// Config primitives: durations ("250ms", "30s", "5m", "24h") and sizes ("512", "64KiB",
// "2GiB", "10MB"). Pure parsing; the config loader adds file:line:col to the errors.

#include <cstdint>
#include <string_view>

#include "hearth/core/clock.hpp"
#include "hearth/core/result.hpp"

namespace hearth {

Result<Duration> parse_duration(std::string_view text);
Result<uint64_t> parse_size(std::string_view text);

}  // namespace hearth
