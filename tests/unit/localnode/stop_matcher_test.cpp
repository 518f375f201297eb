// Stop sequences over streamed text: spanning pushes, held-back prefixes, the earliest match,
// and nothing after a stop.

#include "hearth/localnode/stop_matcher.hpp"

#include <gtest/gtest.h>

namespace hearth::localnode {
namespace {

TEST(StopMatcher, PassesTextThroughWithoutStops) {
  StopMatcher m({});
  EXPECT_EQ(m.push("hello"), "hello");
  EXPECT_EQ(m.push(" world"), " world");
  EXPECT_EQ(m.flush(), "");
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, StopsBeforeASequenceThatSpansPushes) {
  StopMatcher m({"\nUser:"});
  EXPECT_EQ(m.push("Sure."), "Sure.");
  EXPECT_EQ(m.push(" Bye\n"), " Bye");  // "\n" might start the stop: held
  EXPECT_EQ(m.push("Us"), "");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.push("er: more"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.matched(), "\nUser:");
  EXPECT_EQ(m.push("anything"), "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, ReleasesAHeldPrefixThatDoesNotContinue) {
  StopMatcher m({"###"});
  EXPECT_EQ(m.push("a#"), "a");
  EXPECT_EQ(m.push("#"), "");
  EXPECT_EQ(m.push("b"), "##b");
  EXPECT_EQ(m.push("##"), "");
  EXPECT_EQ(m.flush(), "##");  // the end of the stream: it never became a stop
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, TheEarliestStopWinsAndTextBeforeItInTheSamePushIsKept) {
  StopMatcher m({"world", "lo w", ""});
  EXPECT_EQ(m.push("hello world"), "hel");
  EXPECT_EQ(m.matched(), "lo w");
  StopMatcher n({"END"});
  EXPECT_EQ(n.push("abcEND"), "abc");
  StopMatcher whole({"stop"});
  EXPECT_EQ(whole.push("stop"), "");
  EXPECT_TRUE(whole.stopped());
}

TEST(StopMatcher, HoldsTheLongestPossiblePrefix) {
  StopMatcher m({"abcd", "cx"});
  // "abc" could begin "abcd"; "c" alone could begin "cx": the longer hold wins.
  EXPECT_EQ(m.push("zabc"), "z");
  EXPECT_EQ(m.push("x"), "ab");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.matched(), "cx");
}

}  // namespace
}  // namespace hearth::localnode
