#include "hearth/core/watchdog.hpp"

#include <utility>

namespace hearth {

Watchdog::Watchdog(const boost::asio::any_io_executor& executor, Duration longest_wait)
    : timer_(executor), state_(std::make_shared<State>()) {
  state_->timer = &timer_;
  state_->longest_wait = longest_wait;
}

Watchdog::~Watchdog() {
  disarm();
  state_->timer = nullptr;  // the timer's destructor cancels the pending wait
}

void Watchdog::watch(TimePoint deadline, std::function<void()> on_fire) {
  State& state = *state_;
  state.fired = false;
  state.on_fire = std::move(on_fire);
  state.deadline = deadline;
  if (state.waiting && state.waiting_until <= deadline) return;
  wait_until(state_, deadline);
}

void Watchdog::wait_until(const std::shared_ptr<State>& state, TimePoint at) {
  const std::uint64_t id = ++state->wait_id;
  const TimePoint now = std::chrono::steady_clock::now();
  if (state->longest_wait != Duration::max() && at - now > state->longest_wait) {
    at = now + state->longest_wait;
  }
  state->waiting = true;
  state->waiting_until = at;
  state->timer->expires_at(at);  // a wait pending until later ends as superseded
  state->timer->async_wait([state, id](const boost::system::error_code& ec) {
    if (id != state->wait_id) return;
    state->waiting = false;
    if (ec || state->timer == nullptr || !state->on_fire) return;
    if (std::chrono::steady_clock::now() < state->deadline) {
      wait_until(state, state->deadline);  // not yet: the deadline moved on, or the wait was capped
      return;
    }
    state->fired = true;
    auto fire = std::move(state->on_fire);  // once; and free to watch anew from inside
    state->on_fire = nullptr;
    fire();
  });
}

}  // namespace hearth
