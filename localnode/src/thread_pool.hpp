#pragma once
// A fixed set of worker threads that help the calling thread run one job at a time. A job is
// a sequence of phases (Phases::run), each a number of independent work units that the
// threads claim one by one; a phase returns once all its units are done. No thread waits for
// another to arrive anywhere, so a thread that the OS preempts (a busy machine) holds up only
// the unit it has claimed: the others take the rest, and a worker that wakes late joins the
// job where it stands, or not at all. Owned by one InferenceContext; run() must not be called
// concurrently or re-entrantly.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "background_pace.hpp"

namespace hearth::localnode {

// Moves the calling thread to the background (Linux, per thread: SCHED_IDLE, or nice 19
// where that is refused): it gets about 1/340 of a core that a normal thread also wants
// (1/70 at nice 19), and the whole core when nothing else does. A server's engine threads use
// it so that its I/O threads keep their throughput and latency however busy the engine is;
// a background ThreadPool also paces itself (background_pace.hpp), since the gaps that
// SCHED_IDLE leaves it still cost the proxy (bench/README.md).
void run_in_background();

class ThreadPool {
 public:
  // n_threads >= 1, counting the caller; `background`: the workers run_in_background(), and
  // every thread of a job steps aside while others want its core (background_pace.hpp).
  explicit ThreadPool(int n_threads, bool background = false);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Runs fn(thread_index, n) on the caller (index 0) and on the workers 1 .. n - 1 that join
  // (1 <= n <= size(); n == 1 runs the caller alone). Returns once the caller's fn returned
  // and no worker is inside fn. fn must do all its work through Phases.
  void run(const std::function<void(int, int)>& fn, int n);

  // The phases of the running job, as seen by thread `index` (fn's first argument): every
  // thread creates one at the start of fn and calls run() with the same sequence of unit
  // counts.
  class Phases {
   public:
    Phases(ThreadPool& pool, int index) : pool_(pool), index_(index) {
      if (pool_.background_) pool_.start_pacing(index_);
    }
    // Calls unit(u) for the units u in [0, n) this thread claims; returns when all n are done,
    // or at once in a worker that has stepped aside (it left the job: the others do its part).
    template <class F>
    void run(size_t n, F&& unit) {
      const uint64_t begin = base_, end = base_ + n;
      base_ = end;
      if (left_) return;
      for (;;) {
        if (pool_.background_ && pool_.steps_aside(index_)) {
          left_ = true;
          return;
        }
        const uint64_t u = pool_.claim(end);
        if (u >= end) break;
        unit(static_cast<size_t>(u - begin));
        pool_.complete();
      }
      pool_.wait_done(end);
    }

   private:
    ThreadPool& pool_;
    int index_;
    bool left_ = false;  // stepped aside
    uint64_t base_ = 0;  // units of the phases before this one
  };

 private:
  void worker(int index);
  // Background pools: a new pacing window for thread `index`. Between units (it holds none),
  // whether it steps aside: the caller pauses there and goes on; a worker leaves the job and
  // pauses once out of it, so that run() does not wait for it.
  void start_pacing(int index);
  bool steps_aside(int index);
  void pause(int index);
  // The next unclaimed unit below `end`, or `end` when there is none.
  uint64_t claim(uint64_t end);
  void complete();
  void wait_done(uint64_t end);
  // Returns once ready() holds: spins, yields, then sleeps on `seq` (a futex word that wake()
  // bumps after whatever ready() reads has changed).
  template <class Ready>
  void wait_until(Ready ready, std::atomic<uint32_t>& seq);
  void wake(std::atomic<uint32_t>& seq);

  int n_threads_;
  bool background_;
  struct Pacing {
    PaceWindow window;
    bool left = false;  // a worker stepped aside from its last job
  };
  std::vector<Pacing> pace_;  // per thread
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  int n_active_ = 1;
  std::atomic<bool> stop_{false};
  std::atomic<uint32_t> generation_{0};  // bumped to start a job (or to stop)
  std::atomic<bool> closed_{true};       // the job no longer takes new workers
  std::atomic<int> inside_{0};           // workers inside fn
  std::atomic<uint64_t> next_{0};        // the next unclaimed unit of the job
  std::atomic<uint64_t> done_{0};        // units completed
  std::atomic<uint32_t> done_seq_{0};    // bumped after done_ changes while a thread sleeps
  std::atomic<uint32_t> sleepers_{0};    // threads blocked in a futex wait
};

}  // namespace hearth::localnode
