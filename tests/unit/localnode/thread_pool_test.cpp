#include "thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace hearth::localnode {
namespace {

// Jobs of three phases: every unit counts its runs and checks that the phase before it had
// finished.
struct PhasedJobs {
  static constexpr size_t kUnits[3] = {7, 64, 1};
  std::vector<std::atomic<int>> runs[3];
  std::atomic<int> out_of_order{0};
  int done = 0;  // jobs finished

  PhasedJobs() {
    for (size_t p = 0; p < 3; ++p) runs[p] = std::vector<std::atomic<int>>(kUnits[p]);
  }

  void run(ThreadPool& pool, int jobs, int threads) {
    for (int j = 0; j < jobs; ++j, ++done) {
      pool.run(
          [&](int, int) {
            ThreadPool::Phases phases(pool);
            for (size_t p = 0; p < 3; ++p) {
              phases.run(kUnits[p], [&](size_t u) {
                if (p > 0) {
                  for (auto& before : runs[p - 1]) {
                    if (before.load() != done + 1) ++out_of_order;
                  }
                }
                // A little work, so that threads overlap.
                volatile double x = 1;
                for (int i = 0; i < 2000; ++i) x = x * 1.0000001 + 1e-9;
                ++runs[p][u];
              });
            }
          },
          threads);
    }
  }

  void expect_each_unit_ran(int times) const {
    for (size_t p = 0; p < 3; ++p) {
      for (size_t u = 0; u < kUnits[p]; ++u)
        EXPECT_EQ(runs[p][u].load(), times) << "phase " << p << " unit " << u;
    }
    EXPECT_EQ(out_of_order.load(), 0);
  }
};

TEST(ThreadPool, EveryUnitRunsOnceAndPhasesRunInOrder) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    PhasedJobs jobs;
    jobs.run(pool, 50, threads);
    jobs.expect_each_unit_ran(50);
  }
}

}  // namespace
}  // namespace hearth::localnode
