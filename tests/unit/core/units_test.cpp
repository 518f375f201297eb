#include "hearth/core/units.hpp"

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("250ms").value(), Duration(250));
  EXPECT_EQ(parse_duration("30s").value(), Duration(30'000));
  EXPECT_EQ(parse_duration("5m").value(), Duration(300'000));
  EXPECT_EQ(parse_duration("24h").value(), Duration(86'400'000));
  EXPECT_EQ(parse_duration("2d").value(), Duration(172'800'000));
}

TEST(ParseDuration, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "s", "10", "10x", "-5s", "1.5s", "99999999999999999999h"}) {
    auto result = parse_duration(bad);
    EXPECT_FALSE(result.ok()) << bad;
  }
}

TEST(ParseSize, AcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(parse_size("512").value(), 512u);
  EXPECT_EQ(parse_size("64KiB").value(), 65'536u);
  EXPECT_EQ(parse_size("2GiB").value(), 2ull << 30);
  EXPECT_EQ(parse_size("10MB").value(), 10'000'000u);
}

TEST(ParseSize, RejectsUnknownUnitsAndOverflow) {
  for (const char* bad : {"", "GiB", "1PB", "1 GiB", "99999999999999999999TiB"}) {
    EXPECT_FALSE(parse_size(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace hearth
