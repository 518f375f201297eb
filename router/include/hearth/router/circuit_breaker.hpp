#pragma once
// CircuitBreaker: one per upstream, shared by every worker thread (thread-safe). After
// `failure_threshold` consecutive failures it opens: the upstream is skipped at no latency
// cost. After `open_for` one probe request is let through (half-open); its outcome closes
// or re-opens the breaker. A closed breaker with no failure (every request, while the
// upstream is healthy) is read and kept without the lock: two I/O threads proxying to one
// upstream would otherwise take it three times per request (try_acquire, record_success, and
// state for the gauge), and wait on each other.

#include <atomic>
#include <mutex>

#include "hearth/core/clock.hpp"

namespace hearth::router {

struct BreakerConfig {
  int failure_threshold = 5;
  Duration open_for{30'000};
};

class CircuitBreaker {
 public:
  enum class State { Closed = 0, HalfOpen = 1, Open = 2 };

  CircuitBreaker(BreakerConfig config, const Clock& clock) : config_(config), clock_(clock) {}

  // Whether a request may go to the upstream now. In half-open, only the first caller gets
  // true (the probe); it must report its outcome with record_success/record_failure.
  bool try_acquire();
  void record_success();
  void record_failure();
  // The request ended without telling anything about the upstream (client went away).
  void record_abandoned();

  State state() const;
  // How long until a probe will be allowed (zero unless open).
  Duration retry_in() const;

 private:
  State state_locked() const;
  void note_health_locked();

  BreakerConfig config_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  State state_ = State::Closed;
  int consecutive_failures_ = 0;
  TimePoint open_until_{};
  bool probe_in_flight_ = false;
  std::atomic<bool> healthy_{true};  // closed, no failure, no probe: nothing to record
};

std::string_view to_string(CircuitBreaker::State state);

}  // namespace hearth::router
