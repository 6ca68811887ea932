// Governing spec: 001-artifact-formats
#include "writer_preferring_mutex.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace traverse {
namespace {

// Spins (yielding) until `done()` or a generous deadline; returns done().
template <typename Predicate>
bool eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  return done();
}

TEST(WriterPreferringMutex, ReadersShareTheLockAndExcludeWriters) {
  WriterPreferringMutex mutex;
  std::shared_lock first(mutex);
  ASSERT_TRUE(mutex.try_lock_shared());  // a second reader joins
  EXPECT_FALSE(mutex.try_lock());        // a writer cannot
  mutex.unlock_shared();
  first.unlock();
  ASSERT_TRUE(mutex.try_lock());
  EXPECT_FALSE(mutex.try_lock_shared());
  mutex.unlock();
}

TEST(WriterPreferringMutex, WaitingWriterBlocksNewReadersAndGetsTheLockNext) {
  WriterPreferringMutex mutex;
  mutex.lock_shared();  // an early reader is inside
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    std::unique_lock lock(mutex);
    writer_done = true;
  });
  ASSERT_TRUE(eventually([&] { return mutex.waiting_writers() == 1; }));
  // glibc's std::shared_mutex would admit this reader and could starve the writer forever.
  EXPECT_FALSE(mutex.try_lock_shared());
  EXPECT_FALSE(writer_done.load());
  mutex.unlock_shared();  // the last early reader leaves: the writer runs
  writer.join();
  EXPECT_TRUE(writer_done.load());
  EXPECT_TRUE(mutex.try_lock_shared());
  mutex.unlock_shared();
}

TEST(WriterPreferringMutex, CountsStayExactUnderContention) {
  WriterPreferringMutex mutex;
  long long counter = 0;  // protected by mutex
  constexpr int kThreads = 6;
  constexpr int kIterations = 2000;
  std::latch start(kThreads);
  std::atomic<int> torn_reads{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kIterations; ++i) {
        if (t % 2 == 0) {
          std::unique_lock lock(mutex);
          counter += 2;  // two steps; a reader must never see the odd midpoint
          counter -= 1;
          counter += 1;
        } else {
          std::shared_lock lock(mutex);
          if (counter % 2 != 0) {
            torn_reads.fetch_add(1);
          }
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(torn_reads.load(), 0);
  EXPECT_EQ(counter, 2LL * (kThreads / 2) * kIterations);
}

}  // namespace
}  // namespace traverse
