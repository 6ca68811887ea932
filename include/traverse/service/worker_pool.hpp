// traverse/service/worker_pool.hpp — the bounded set of threads the service runs its blocking
// calls on (registration, trace queries: SQLite and registry writes), so that no I/O thread
// waits for them. Executions do not come here: they are submitted to the runtime, whose
// executors run them (ServiceApi::dispatch).
// Thread safety: every member is safe to call from any thread. The destructor calls shutdown.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace traverse {

struct WorkerPoolStats {
  std::uint64_t workers = 0;
  std::uint64_t busy = 0;      // running a job right now
  std::uint64_t queued = 0;    // waiting for a worker
  std::uint64_t rejected = 0;  // refused because the queue was full (since creation)
};

class WorkerPool {
 public:
  // `workers` threads (at least 1); at most `max_queued` jobs wait.
  WorkerPool(std::size_t workers, std::size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`. False (job dropped, not run) when the queue is full or the pool is shut down.
  [[nodiscard]] bool try_post(std::function<void()> job);

  [[nodiscard]] WorkerPoolStats stats() const;

  // Runs every queued job, then joins the threads. Idempotent.
  void shutdown();

 private:
  void run();

  const std::size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  // Guarded by mutex_.
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::uint64_t busy_ = 0;
  std::uint64_t rejected_ = 0;
  std::vector<std::thread> threads_;  // written by the constructor and shutdown only
};

}  // namespace traverse
