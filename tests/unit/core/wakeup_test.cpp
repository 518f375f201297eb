// Wakeup on a real io_context: wake() resumes the waiter inside wake's caller; a wake with no
// waiter is a no-op; a Wakeup destroyed with a waiter destroys the waiting coroutine.

#include "hearth/core/wakeup.hpp"

#include <memory>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "hearth/core/completion_source.hpp"

namespace hearth {
namespace {

namespace asio = boost::asio;

// Counts its own destruction: a coroutine frame that holds one has gone when it counts.
struct Gone {
  explicit Gone(int& count) : count_(count) {}
  ~Gone() { ++count_; }
  Gone(const Gone&) = delete;
  Gone& operator=(const Gone&) = delete;
  int& count_;
};

Task<void> wait_then_note(Wakeup& wakeup, std::vector<int>& steps, int& gone) {
  Gone guard(gone);
  steps.push_back(1);
  co_await wakeup.wait();
  steps.push_back(2);
}

TEST(WakeupTest, WakeResumesTheWaiterBeforeItReturns) {
  asio::io_context io;
  Wakeup wakeup;
  std::vector<int> steps;
  int gone = 0;
  asio::co_spawn(io, wait_then_note(wakeup, steps, gone), asio::detached);
  asio::post(io, [&] {
    steps.push_back(10);
    wakeup.wake();
    steps.push_back(11);  // after the waiter ran on to its end
  });
  io.run();
  EXPECT_EQ(steps, (std::vector<int>{1, 10, 2, 11}));
  EXPECT_EQ(gone, 1);
}

TEST(WakeupTest, AWakeWithNoWaiterIsNotKept) {
  asio::io_context io;
  Wakeup wakeup;
  wakeup.wake();
  std::vector<int> steps;
  int gone = 0;
  asio::co_spawn(io, wait_then_note(wakeup, steps, gone), asio::detached);
  io.poll();  // leaves the coroutine suspended: nothing woke it since it waits
  EXPECT_EQ(steps, (std::vector<int>{1}));
  wakeup.wake();
  EXPECT_EQ(steps, (std::vector<int>{1, 2}));
  EXPECT_EQ(gone, 1);
}

TEST(WakeupTest, DestroyingAWakeupWithAWaiterDestroysTheWaitingCoroutine) {
  int gone = 0;
  std::vector<int> steps;
  {
    asio::io_context io;
    auto wakeup = std::make_unique<Wakeup>();
    asio::co_spawn(io, wait_then_note(*wakeup, steps, gone), asio::detached);
    io.poll();
    EXPECT_EQ(gone, 0);
    wakeup.reset();  // Asio unwinds the coroutine through its executor: posted to io
    io.restart();
    io.poll();
    EXPECT_EQ(gone, 1);
  }
  EXPECT_EQ(steps, (std::vector<int>{1}));
}

}  // namespace
}  // namespace hearth
