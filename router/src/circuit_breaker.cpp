#include "hearth/router/circuit_breaker.hpp"

#include <algorithm>

namespace hearth::router {

CircuitBreaker::State CircuitBreaker::state_locked() const {
  if (state_ == State::Open && clock_.now() >= open_until_) return State::HalfOpen;
  return state_;
}

bool CircuitBreaker::try_acquire() {
  std::lock_guard lock(mutex_);
  switch (state_locked()) {
    case State::Closed:
      return true;
    case State::Open:
      return false;
    case State::HalfOpen:
      if (probe_in_flight_) return false;
      state_ = State::HalfOpen;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::record_success() {
  std::lock_guard lock(mutex_);
  state_ = State::Closed;
  consecutive_failures_ = 0;
  probe_in_flight_ = false;
}

void CircuitBreaker::record_failure() {
  std::lock_guard lock(mutex_);
  ++consecutive_failures_;
  // A failed probe re-opens at once; a closed breaker opens at the threshold.
  if (state_ == State::HalfOpen || consecutive_failures_ >= config_.failure_threshold) {
    state_ = State::Open;
    open_until_ = clock_.now() + config_.open_for;
  }
  probe_in_flight_ = false;
}

void CircuitBreaker::record_abandoned() {
  std::lock_guard lock(mutex_);
  probe_in_flight_ = false;
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  return state_locked();
}

Duration CircuitBreaker::retry_in() const {
  std::lock_guard lock(mutex_);
  if (state_ != State::Open) return Duration::zero();
  return std::max(Duration::zero(),
                  std::chrono::duration_cast<Duration>(open_until_ - clock_.now()));
}

std::string_view to_string(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::Closed: return "closed";
    case CircuitBreaker::State::HalfOpen: return "half_open";
    case CircuitBreaker::State::Open: return "open";
  }
  return "closed";
}

}  // namespace hearth::router
