// Watchdog on a real io_context and steady clock: it fires at its deadline and not before,
// also when its waits are capped short of the deadline; it stays quiet once disarmed or gone.

#include "hearth/core/watchdog.hpp"

#include <chrono>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace hearth {
namespace {

using std::chrono::milliseconds;

class WatchdogTest : public ::testing::Test {
 protected:
  // Runs the io_context until `done` or 5 s.
  template <class Done>
  void run_until(Done done) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < give_up) io_.run_one_for(milliseconds(10));
    io_.restart();
  }

  // Runs the io_context for `length` (long enough for the short deadlines here to pass).
  void run_for(milliseconds length) {
    io_.run_for(length);
    io_.restart();
  }

  boost::asio::io_context io_;
};

TEST_F(WatchdogTest, FiresOnceTheDeadlinePasses) {
  Watchdog watchdog(io_.get_executor());
  const TimePoint deadline = std::chrono::steady_clock::now() + milliseconds(30);
  TimePoint fired_at{};
  watchdog.watch(deadline, [&] { fired_at = std::chrono::steady_clock::now(); });
  EXPECT_FALSE(watchdog.fired());
  run_until([&] { return watchdog.fired(); });
  ASSERT_TRUE(watchdog.fired());
  EXPECT_GE(fired_at, deadline);
}

TEST_F(WatchdogTest, ACappedWaitLooksAgainAndFiresAtTheDeadline) {
  Watchdog watchdog(io_.get_executor(), milliseconds(5));
  const TimePoint deadline = std::chrono::steady_clock::now() + milliseconds(40);
  TimePoint fired_at{};
  int fires = 0;
  watchdog.watch(deadline, [&] {
    fired_at = std::chrono::steady_clock::now();
    ++fires;
  });
  run_until([&] { return watchdog.fired(); });
  ASSERT_TRUE(watchdog.fired());
  EXPECT_GE(fired_at, deadline);
  run_for(milliseconds(100));  // nothing more comes
  EXPECT_EQ(fires, 1);
}

TEST_F(WatchdogTest, ALaterWatchMovesTheDeadline) {
  Watchdog watchdog(io_.get_executor());
  int first = 0;
  watchdog.watch(std::chrono::steady_clock::now() + milliseconds(10), [&] { ++first; });
  const TimePoint later = std::chrono::steady_clock::now() + milliseconds(60);
  TimePoint fired_at{};
  watchdog.watch(later, [&] { fired_at = std::chrono::steady_clock::now(); });
  run_until([&] { return watchdog.fired(); });
  EXPECT_EQ(first, 0);
  ASSERT_TRUE(watchdog.fired());
  EXPECT_GE(fired_at, later);
}

TEST_F(WatchdogTest, AnEarlierWatchIsNotLate) {
  Watchdog watchdog(io_.get_executor());
  watchdog.watch(std::chrono::steady_clock::now() + std::chrono::hours(1), [] {});
  const TimePoint sooner = std::chrono::steady_clock::now() + milliseconds(20);
  watchdog.watch(sooner, [] {});
  run_until([&] { return watchdog.fired(); });
  EXPECT_TRUE(watchdog.fired());
}

TEST_F(WatchdogTest, DisarmedItStaysQuiet) {
  Watchdog watchdog(io_.get_executor());
  int fires = 0;
  watchdog.watch(std::chrono::steady_clock::now() + milliseconds(10), [&] { ++fires; });
  watchdog.disarm();
  run_for(milliseconds(100));
  EXPECT_EQ(fires, 0);
  EXPECT_FALSE(watchdog.fired());
}

TEST_F(WatchdogTest, GoneItStaysQuiet) {
  int fires = 0;
  {
    Watchdog watchdog(io_.get_executor());
    watchdog.watch(std::chrono::steady_clock::now() + milliseconds(10), [&] { ++fires; });
  }
  run_for(milliseconds(100));
  EXPECT_EQ(fires, 0);
}

TEST_F(WatchdogTest, ItCanWatchAnewFromItsOwnCallback) {
  Watchdog watchdog(io_.get_executor());
  int fires = 0;
  watchdog.watch(std::chrono::steady_clock::now() + milliseconds(5), [&] {
    ++fires;
    watchdog.watch(std::chrono::steady_clock::now() + milliseconds(5), [&] { ++fires; });
  });
  run_until([&] { return fires == 2; });
  EXPECT_EQ(fires, 2);
}

}  // namespace
}  // namespace hearth
