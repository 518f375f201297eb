#include "hearth/router/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "fakes/fake_clock.hpp"

namespace hearth::router {
namespace {

using State = CircuitBreaker::State;

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresOnly) {
  testing::FakeClock clock;
  CircuitBreaker breaker({.failure_threshold = 3, .open_for = Duration(1000)}, clock);
  breaker.record_failure();
  breaker.record_failure();
  breaker.record_success();  // resets the streak
  breaker.record_failure();
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), State::Closed);
  EXPECT_TRUE(breaker.try_acquire());
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), State::Open);
  EXPECT_FALSE(breaker.try_acquire());
  EXPECT_EQ(breaker.retry_in(), Duration(1000));
}

TEST(CircuitBreaker, HalfOpenLetsExactlyOneProbeThrough) {
  testing::FakeClock clock;
  CircuitBreaker breaker({.failure_threshold = 1, .open_for = Duration(500)}, clock);
  breaker.record_failure();
  clock.advance(Duration(499));
  EXPECT_FALSE(breaker.try_acquire());
  clock.advance(Duration(1));
  EXPECT_EQ(breaker.state(), State::HalfOpen);
  EXPECT_TRUE(breaker.try_acquire());
  EXPECT_FALSE(breaker.try_acquire()) << "a second caller must wait for the probe";
  breaker.record_success();
  EXPECT_EQ(breaker.state(), State::Closed);
  EXPECT_TRUE(breaker.try_acquire());
}

TEST(CircuitBreaker, FailedProbeReopensForAnotherPeriod) {
  testing::FakeClock clock;
  CircuitBreaker breaker({.failure_threshold = 5, .open_for = Duration(500)}, clock);
  for (int i = 0; i < 5; ++i) breaker.record_failure();
  clock.advance(Duration(500));
  ASSERT_TRUE(breaker.try_acquire());
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), State::Open);
  EXPECT_EQ(breaker.retry_in(), Duration(500));
}

TEST(CircuitBreaker, AbandonedProbeFreesTheSlot) {
  testing::FakeClock clock;
  CircuitBreaker breaker({.failure_threshold = 1, .open_for = Duration(10)}, clock);
  breaker.record_failure();
  clock.advance(Duration(10));
  ASSERT_TRUE(breaker.try_acquire());
  breaker.record_abandoned();
  EXPECT_TRUE(breaker.try_acquire());
}

// Workers share one breaker per upstream; while it is clean they pass it without its lock.
TEST(CircuitBreaker, SharedByThreadsOnAHealthyUpstreamItStaysClosedAndStillOpens) {
  testing::FakeClock clock;
  CircuitBreaker breaker({.failure_threshold = 3, .open_for = Duration(100)}, clock);
  std::vector<std::thread> workers;
  std::atomic<int> refused{0};
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        if (!breaker.try_acquire()) ++refused;
        breaker.record_success();
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(breaker.state(), State::Closed);
  breaker.record_failure();
  breaker.record_failure();
  EXPECT_TRUE(breaker.try_acquire());  // two of three: still closed, through the lock
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), State::Open);
  EXPECT_FALSE(breaker.try_acquire());
  breaker.record_abandoned();  // no probe was in flight: nothing changes
  EXPECT_EQ(breaker.state(), State::Open);
}

}  // namespace
}  // namespace hearth::router
