#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>

namespace kiln {
namespace {

TEST(ThreadPool, RunsEverySubmittedTask) {
  std::atomic<int> sum{0};
  {
    ThreadPool pool(3);
    for (int i = 1; i <= 1000; ++i) ASSERT_TRUE(pool.Submit([&sum, i] { sum += i; }));
    pool.WaitIdle();
    EXPECT_EQ(sum.load(), 500500);
  }
}

TEST(ThreadPool, DestructorDrainsTheQueue) {
  std::atomic<int> done{0};
  {
    ThreadPool pool(1);
    for (int i = 0; i < 100; ++i) pool.Submit([&done] { ++done; });
  }
  EXPECT_EQ(done.load(), 100);
}

}  // namespace
}  // namespace kiln
