#pragma once
// Watchdog: runs a callback (cancelling a pending operation, say) when a deadline passes, and
// remembers that it did, so that the operation's error reads as a timeout.
//
// One timer, and one wait on it at a time: a new deadline no earlier than the pending wait's
// leaves the timer alone, and a wait that ends before the deadline waits on, instead of a
// cancelled wait and a new one per operation. A wait lasts at most `longest_wait`, so that
// the next deadlines, which come later, find a wait pending before them: a watchdog kept by
// a connection then serves request after request without touching its timer (a cancelled
// wait is a lock, a timer-queue update and a handler run through the scheduler). Handlers
// hold only the shared state; the timer is reached through it while the watchdog lives.
// Used on one executor's thread only.

#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "hearth/core/clock.hpp"

namespace hearth {

// The longest wait for a watchdog that outlives its requests (one per connection): 1 s, so
// that the next request's limit, seconds away as a rule, finds a wait already pending.
inline constexpr Duration kWatchdogRecheck = std::chrono::seconds(1);

class Watchdog {
 public:
  explicit Watchdog(const boost::asio::any_io_executor& executor,
                    Duration longest_wait = Duration::max());
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Calls `on_fire` once `deadline` has passed, unless disarmed or watching anew before.
  void watch(TimePoint deadline, std::function<void()> on_fire);

  // Nothing to watch until the next watch(); a pending wait stays and ends harmlessly.
  void disarm() { state_->on_fire = nullptr; }

  // Whether the current watch fired.
  bool fired() const { return state_->fired; }

 private:
  struct State {
    boost::asio::steady_timer* timer = nullptr;  // null once the watchdog is gone
    Duration longest_wait = Duration::max();
    TimePoint deadline{};  // of the current watch
    bool fired = false;
    std::function<void()> on_fire;  // null: disarmed
    bool waiting = false;           // a wait is pending on the timer
    TimePoint waiting_until{};
    std::uint64_t wait_id = 0;  // the pending wait's; earlier ones were superseded
  };

  static void wait_until(const std::shared_ptr<State>& state, TimePoint at);

  boost::asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

}  // namespace hearth
