// Governing spec: 050-service
#include "traverse/service/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>

namespace traverse {
namespace {

TEST(WorkerPoolTest, AFullQueueRefusesInsteadOfGrowing) {
  // Declared before the pool: they must outlive its workers.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::latch started(1);
  WorkerPool pool(1, 1);
  ASSERT_TRUE(pool.try_post([&] {
    started.count_down();
    released.wait();
  }));
  started.wait();                      // the worker is busy
  EXPECT_TRUE(pool.try_post([] {}));   // queued
  EXPECT_FALSE(pool.try_post([] {}));  // beyond the bound
  const WorkerPoolStats stats = pool.stats();
  EXPECT_EQ(stats.busy, 1u);
  EXPECT_EQ(stats.queued, 1u);
  EXPECT_EQ(stats.rejected, 1u);
  release.set_value();
}

TEST(WorkerPoolTest, ShutdownRunsEveryQueuedJob) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 100);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(pool.try_post([&] { ran.fetch_add(1); }));
    }
    pool.shutdown();
    EXPECT_FALSE(pool.try_post([] {}));
  }
  EXPECT_EQ(ran.load(), 50);
}

}  // namespace
}  // namespace traverse
