#pragma once
// Clock: the one source of "now" for decisions (backoff, breakers, deadlines), so tests can
// inject a FakeClock instead of sleeping. Implementations are thread-safe.

#include <chrono>

namespace hearth {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace hearth
