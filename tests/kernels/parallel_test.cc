// WorkerPool (kernels/cpu/parallel.h): every task runs exactly once, on a
// thread index within range, over many back-to-back jobs (the decode pattern),
// and jobs from several threads are serialised.
#include "kernels/cpu/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace kiln::kernels::cpu {
namespace {

TEST(WorkerPoolTest, RunsEachTaskOnce) {
  for (int threads : {1, 2, 3}) {
    WorkerPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int64_t n : {0, 1, 2, 5, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> bad_thread{0};
      pool.Run(n, [&](int64_t t, int thread) {
        hits[static_cast<size_t>(t)].fetch_add(1);
        if (thread < 0 || thread >= threads) bad_thread.fetch_add(1);
      });
      for (int64_t t = 0; t < n; ++t) EXPECT_EQ(hits[static_cast<size_t>(t)].load(), 1) << t;
      EXPECT_EQ(bad_thread.load(), 0);
    }
  }
}

TEST(WorkerPoolTest, ManySmallJobsBackToBack) {
  WorkerPool pool(2);
  int64_t total = 0;
  std::atomic<int64_t> sum{0};
  for (int job = 0; job < 20000; ++job) {
    const int64_t n = 1 + job % 7;
    pool.Run(n, [&](int64_t t, int) { sum.fetch_add(t + 1); });
    total += n * (n + 1) / 2;
  }
  EXPECT_EQ(sum.load(), total);
}

TEST(WorkerPoolTest, BothThreadsTakePart) {
  WorkerPool pool(2);
  std::atomic<int> seen[2] = {0, 0};
  // Tasks long enough that one thread cannot take them all before the other wakes.
  for (int round = 0; round < 50 && (seen[0] == 0 || seen[1] == 0); ++round) {
    pool.Run(64, [&](int64_t, int thread) {
      seen[thread].fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    });
  }
  EXPECT_GT(seen[0].load(), 0);
  EXPECT_GT(seen[1].load(), 0);
}

TEST(WorkerPoolTest, CallersOnSeveralThreadsAreSerialised) {
  WorkerPool pool(2);
  std::atomic<int64_t> count{0};
  auto caller = [&] {
    for (int i = 0; i < 2000; ++i) {
      pool.Run(4, [&](int64_t, int) { count.fetch_add(1); });
    }
  };
  std::thread a(caller), b(caller);
  a.join();
  b.join();
  EXPECT_EQ(count.load(), 2 * 2000 * 4);
}

TEST(WorkerPoolTest, DefaultPoolExists) { EXPECT_GE(WorkerPool::Default().threads(), 1); }

}  // namespace
}  // namespace kiln::kernels::cpu
