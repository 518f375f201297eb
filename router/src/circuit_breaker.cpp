#include "hearth/router/circuit_breaker.hpp"

#include <algorithm>

namespace hearth::router {

CircuitBreaker::State CircuitBreaker::state_locked() const {
  if (state_ == State::Open && clock_.now() >= open_until_) return State::HalfOpen;
  return state_;
}

void CircuitBreaker::note_health_locked() {
  healthy_.store(state_ == State::Closed && consecutive_failures_ == 0 && !probe_in_flight_,
                 std::memory_order_release);
}

bool CircuitBreaker::try_acquire() {
  if (healthy_.load(std::memory_order_acquire)) return true;
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
      note_health_locked();
      return true;
  }
  return false;
}

void CircuitBreaker::record_success() {
  if (healthy_.load(std::memory_order_acquire)) return;  // already closed and clean
  std::lock_guard lock(mutex_);
  state_ = State::Closed;
  consecutive_failures_ = 0;
  probe_in_flight_ = false;
  note_health_locked();
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
  note_health_locked();
}

void CircuitBreaker::record_abandoned() {
  if (healthy_.load(std::memory_order_acquire)) return;  // no probe in flight
  std::lock_guard lock(mutex_);
  probe_in_flight_ = false;
  note_health_locked();
}

CircuitBreaker::State CircuitBreaker::state() const {
  if (healthy_.load(std::memory_order_acquire))
    return State::Closed;  // the router asks per request
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
