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

namespace hearth::localnode {

// Moves the calling thread to the background (Linux, per thread: SCHED_IDLE, or nice 19
// where that is refused): it gets about 1/340 of a core that a normal thread also wants
// (1/70 at nice 19), and the whole core when nothing else does. A server's engine threads use
// it so that its I/O threads keep their throughput and latency however busy the engine is:
// with 8 streams decoding, proxying kept 74-95 % of its idle requests/s against 55-86 % at
// nice 19 (three paired runs of bench/local/run.sh, bench/README.md).
// A starved engine measures low rates, and admission bursts what it cannot serve in time.
void run_in_background();

class ThreadPool {
 public:
  // n_threads >= 1, counting the caller; `background`: the workers run_in_background().
  explicit ThreadPool(int n_threads, bool background = false);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Runs fn(thread_index, n) on the caller (index 0) and on the workers 1 .. n - 1 that join
  // (1 <= n <= size(); n == 1 runs the caller alone). Returns once the caller's fn returned
  // and no worker is inside fn. fn must do all its work through Phases.
  void run(const std::function<void(int, int)>& fn, int n);

  // The phases of the running job, as seen by one thread: every thread creates one at the
  // start of fn and calls run() with the same sequence of unit counts.
  class Phases {
   public:
    explicit Phases(ThreadPool& pool) : pool_(pool) {}
    // Calls unit(u) for the units u in [0, n) this thread claims; returns when all n are done.
    template <class F>
    void run(size_t n, F&& unit) {
      const uint64_t end = base_ + n;
      for (uint64_t u; (u = pool_.claim(end)) < end;) {
        unit(static_cast<size_t>(u - base_));
        pool_.complete();
      }
      pool_.wait_done(end);
      base_ = end;
    }

   private:
    ThreadPool& pool_;
    uint64_t base_ = 0;  // units of the phases before this one
  };

 private:
  void worker(int index);
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
