#include "thread_pool.hpp"

#include <pthread.h>
#include <sched.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HEARTH_CPU_RELAX() _mm_pause()
#else
#define HEARTH_CPU_RELAX() std::this_thread::yield()
#endif

namespace hearth::localnode {
namespace {
// Polls before sleeping. A decode step runs a few hundred phases a few microseconds apart and
// the next token's job follows within ~0.1 ms, so the spin covers both; a thread left waiting
// longer (an idle context) sleeps on the futex.
constexpr int kSpinPolls = 4000;
constexpr int kYieldPolls = 50;
}  // namespace

template <class Ready>
void ThreadPool::wait_until(Ready ready, std::atomic<uint32_t>& seq) {
  for (int i = 0; i < kSpinPolls; ++i) {
    if (ready()) return;
    HEARTH_CPU_RELAX();
  }
  for (int i = 0; i < kYieldPolls; ++i) {
    if (ready()) return;
    std::this_thread::yield();
  }
  // Announce the sleep before re-checking (seq_cst here and in wake(), so that either wake()
  // sees the sleeper or the sleeper sees the new state); wait() re-checks seq atomically.
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  for (;;) {
    const uint32_t s = seq.load(std::memory_order_seq_cst);
    if (ready()) break;
    seq.wait(s, std::memory_order_seq_cst);
  }
  sleepers_.fetch_sub(1, std::memory_order_relaxed);
}

void ThreadPool::wake(std::atomic<uint32_t>& seq) {
  if (sleepers_.load(std::memory_order_seq_cst) == 0) return;
  seq.fetch_add(1, std::memory_order_seq_cst);
  seq.notify_all();
}

void run_in_background() {
  // Best effort: a thread that may not change its priority runs at the process's.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
  const sched_param none{};
  (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &none);
}

ThreadPool::ThreadPool(int n_threads, bool background) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) {
    workers_.emplace_back([this, i, background] {
      pthread_setname_np(pthread_self(), "hearth-compute");
      if (background) run_in_background();
      worker(i);
    });
  }
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_seq_cst);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker(int index) {
  uint32_t seen = 0;
  for (;;) {
    wait_until([&] { return generation_.load(std::memory_order_seq_cst) != seen; }, generation_);
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_seq_cst)) return;
    // Join the job unless it has closed (this worker woke too late) or does not want us.
    inside_.fetch_add(1, std::memory_order_seq_cst);
    if (!closed_.load(std::memory_order_seq_cst) && index < n_active_) (*job_)(index, n_active_);
    inside_.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::run(const std::function<void(int, int)>& fn, int n) {
  n_active_ = std::clamp(n, 1, n_threads_);
  job_ = &fn;
  next_.store(0, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  if (n_active_ > 1) {
    closed_.store(false, std::memory_order_seq_cst);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) != 0) generation_.notify_all();
  }
  fn(0, n_active_);
  // Every unit is done; wait for the workers still inside fn to leave it.
  closed_.store(true, std::memory_order_seq_cst);
  for (int i = 0; inside_.load(std::memory_order_seq_cst) != 0; ++i) {
    if (i < kSpinPolls) {
      HEARTH_CPU_RELAX();
    } else {
      std::this_thread::yield();
    }
  }
}

uint64_t ThreadPool::claim(uint64_t end) {
  uint64_t u = next_.load(std::memory_order_relaxed);
  while (u < end && !next_.compare_exchange_weak(u, u + 1, std::memory_order_acq_rel)) {
  }
  return std::min(u, end);
}

void ThreadPool::complete() {
  done_.fetch_add(1, std::memory_order_seq_cst);
  wake(done_seq_);
}

void ThreadPool::wait_done(uint64_t end) {
  if (done_.load(std::memory_order_acquire) >= end) return;
  wait_until([&] { return done_.load(std::memory_order_seq_cst) >= end; }, done_seq_);
}

}  // namespace hearth::localnode
