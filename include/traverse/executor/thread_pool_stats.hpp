// traverse/executor/thread_pool_stats.hpp — a snapshot of a ThreadPoolExecutor's counters.
//
// Returned by ThreadPoolExecutor::stats(). Each field is read atomically on its own, without a
// lock, so a snapshot taken while calls are running need not be consistent across fields.
//
// Value type; thread-compatible.
#pragma once

#include <cstdint>

namespace traverse {

struct ThreadPoolStats {
  std::uint64_t workers = 0;    // worker threads (= capacity)
  std::uint64_t busy = 0;       // workers running a call right now
  std::uint64_t queued = 0;     // calls waiting for a worker right now
  std::uint64_t completed = 0;  // calls that ran and returned a success
  std::uint64_t failed = 0;     // calls that ran and returned an ExecutorError
  std::uint64_t panicked = 0;   // calls that ran and threw (reported as ExecutionFailed)
  std::uint64_t rejected = 0;   // calls refused without running: Overloaded, wrong artifact type
  std::uint64_t timed_out = 0;  // calls whose queue deadline expired before they could run

  friend bool operator==(const ThreadPoolStats&, const ThreadPoolStats&) = default;
};

}  // namespace traverse
