#include "hearth/router/route_table.hpp"

#include <gtest/gtest.h>

namespace hearth::router {
namespace {

TEST(ParseCandidate, SplitsAtTheFirstColon) {
  EXPECT_EQ(parse_candidate("openai:gpt-4o-mini").value(), (Candidate{"openai", "gpt-4o-mini"}));
  EXPECT_EQ(parse_candidate("lab:llama3:8b").value(), (Candidate{"lab", "llama3:8b"}));
  EXPECT_EQ(parse_candidate("local:tiny").value(), (Candidate{"local", "tiny"}));
}

TEST(ParseCandidate, RejectsMissingParts) {
  for (const char* bad : {"", "openai", ":gpt", "openai:"}) {
    EXPECT_FALSE(parse_candidate(bad).ok()) << bad;
  }
}

TEST(RouteTable, FindsByExactName) {
  RouteTable table({{"default", {{"a", "m"}}}, {"fast", {{"b", "n"}}}});
  ASSERT_NE(table.find("fast"), nullptr);
  EXPECT_EQ(table.find("fast")->candidates.front().target, "b");
  EXPECT_EQ(table.find("Fast"), nullptr);
  EXPECT_EQ(table.find("missing"), nullptr);
}

}  // namespace
}  // namespace hearth::router
