#include "background_pace.hpp"

#include <gtest/gtest.h>

namespace hearth::localnode {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(BackgroundPace, DecidesOnlyOnceAWindowHasPassed) {
  PaceWindow w;
  restart(w, 100 * kMs, 7 * kMs);
  EXPECT_FALSE(pace_due(w, 100 * kMs + kPaceWindowNs - 1));
  EXPECT_TRUE(pace_due(w, 100 * kMs + kPaceWindowNs));
  // Not a whole window: no decision, however little the thread ran.
  EXPECT_EQ(pace(w, 100 * kMs + kPaceWindowNs - 1, 7 * kMs), 0);
  EXPECT_EQ(w.wall0_ns, 100 * kMs);
}

TEST(BackgroundPace, GoesOnWhileTheThreadHadHalfItsCoreOrMore) {
  PaceWindow w;
  restart(w, 0, 0);
  EXPECT_EQ(pace(w, 4 * kMs, 2 * kMs), 0);  // exactly half
  EXPECT_EQ(w.wall0_ns, 4 * kMs);           // and a new window starts
  EXPECT_EQ(w.cpu0_ns, 2 * kMs);
  EXPECT_EQ(pace(w, 8 * kMs, 6 * kMs), 0);  // the whole window
}

TEST(BackgroundPace, PausesLongerEachCrowdedWindowInARowUpToTheCap) {
  PaceWindow w;
  restart(w, 0, 0);
  int64_t wall = 0, cpu = 0, expected = kFirstPauseNs;
  for (int i = 0; i < 12; ++i) {
    wall += 10 * kMs;
    cpu += 1 * kMs;  // a tenth of the window: others wanted the core
    EXPECT_EQ(pace(w, wall, cpu), expected) << "window " << i;
    expected = std::min(2 * expected, kMaxPauseNs);
  }
  EXPECT_EQ(w.pause_ns, kMaxPauseNs);
  // A window with the core to itself ends the series: the next crowded one starts over.
  wall += 10 * kMs;
  cpu += 10 * kMs;
  EXPECT_EQ(pace(w, wall, cpu), 0);
  wall += 10 * kMs;
  EXPECT_EQ(pace(w, wall, cpu), kFirstPauseNs);
}

}  // namespace
}  // namespace hearth::localnode
