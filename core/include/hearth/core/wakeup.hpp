#pragma once
// Wakeup: one coroutine waits, and a handler on the same thread wakes it. wake() resumes the
// waiter at once, inside wake's caller. A timer cancelled for the purpose (what this replaced
// in the gateway's session) posts the resumption instead, behind a turn of the reactor: one
// system call more on a keep-alive request's critical path.
//
// While it waits, the coroutine is owned by its Wakeup (by the Asio handler kept here), so the
// Wakeup's owner must not be owned by that coroutine meanwhile, or neither would ever go.
// Destroying a Wakeup that has a waiter destroys the waiting coroutine, as destroying a pending
// operation's handler does.

#include <optional>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hearth {

class Wakeup {
 public:
  // Suspends until wake(). Only for a wake() still to come: one that came before is not kept.
  auto wait() {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void()>(
        [this](Handler handler) { waiter_.emplace(std::move(handler)); }, boost::asio::use_awaitable);
  }

  // Resumes the waiter, if there is one, before returning.
  void wake() {
    if (!waiter_) return;
    Handler handler = std::move(*waiter_);
    waiter_.reset();
    std::move(handler)();
  }

 private:
  using Handler = boost::asio::async_result<boost::asio::use_awaitable_t<>, void()>::handler_type;
  std::optional<Handler> waiter_;
};

}  // namespace hearth
