#pragma once
// FakeClock: time moves only when a test says so.

#include <atomic>

#include "hearth/core/clock.hpp"

namespace hearth::testing {

class FakeClock final : public Clock {
 public:
  TimePoint now() const override { return TimePoint(Duration(now_ms_.load())); }
  void advance(Duration by) { now_ms_ += by.count(); }

 private:
  std::atomic<Duration::rep> now_ms_{1'000'000};
};

}  // namespace hearth::testing
