// traverse/executor/thread_pool_executor_config.hpp — how a ThreadPoolExecutor is built.
//
// Plain options struct, passed by value to ThreadPoolExecutor::create, which checks every field
// (ConfigError on a bad value). Every field has a default; each says what it trades off.
//
// Value type; thread-compatible.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <optional>
#include <string>

namespace traverse {

struct ThreadPoolExecutorConfig {
  // ---- Parameters that affect behaviour ----

  // Number of worker threads, 1..=256 (else ConfigError InvalidCapacity). All are started by
  // `create` and live until the pool is destroyed. Default 4.
  std::size_t capacity = 4;

  // Bound on calls waiting for a worker. A call is admitted only while fewer than
  // `capacity + *max_queued` calls are in flight (running or waiting); otherwise it fails at once
  // with ExecutorError Overloaded and nothing runs. 0 means "never wait: reject when every worker
  // is busy". Calls made from the pool's own workers run inline and are never counted or refused.
  // nullopt (default): no bound beyond the callers themselves — every waiting call is a blocked
  // caller thread, and the pool allocates nothing per call.
  std::optional<std::size_t> max_queued;

  // Longest time a call may wait in the queue for a worker. If it expires first, the call fails
  // with ExecutorError Timeout and never runs (a call that has started is never interrupted).
  // Must be positive (else ConfigError InvalidOption). nullopt (default): wait as long as needed.
  // ThreadPoolExecutor::execute_until sets the deadline per call instead.
  std::optional<std::chrono::nanoseconds> queue_deadline;

  // Called once on each worker thread, with its index 0..capacity-1, before it serves any call
  // (e.g. to set CPU affinity, priority or thread-local state). If it returns an error (or
  // throws), `create` stops and joins every worker and fails with ConfigError PoolBuildFailed
  // carrying that text. Default: none.
  std::function<std::expected<void, std::string>(std::size_t worker_index)> on_worker_start;

  // Stack size of each worker thread in bytes; nullopt (default): the platform default. Raise it
  // for deeply recursive handlers. A size the OS refuses fails `create` with PoolBuildFailed.
  std::optional<std::size_t> worker_stack_size;

  // ---- Parameters that affect performance ----
  // Before sleeping, idle workers and waiting callers poll for a bounded time: for the first
  // few microseconds with a CPU pause (the fastest handoff, sub-microsecond, when the other side
  // runs on another CPU), then yielding the CPU between polls (sched_yield: the other side gets
  // this CPU at once if it needs it, and no wake-up is needed when the news comes; a wake-up
  // costs several microseconds, more in a VM). An idle pool sleeps and uses no CPU.

  // How long an idle worker keeps polling for a new call before it sleeps. Default 50 µs.
  // Longer: calls arriving in bursts are picked up faster; more CPU burnt after each burst.
  // 0: idle workers sleep at once.
  std::chrono::nanoseconds worker_spin = std::chrono::microseconds{50};

  // At most this many idle workers poll with CPU pauses at the same time; the others only
  // yield between polls. Default 1, which suits small machines.
  std::size_t max_spinning_workers = 1;

  // How long a caller polls for its result before it sleeps. Default 20 µs. Longer: fewer
  // sleeps for calls of moderate length; more CPU burnt by callers of long ones. 0: sleep at once.
  std::chrono::nanoseconds caller_spin = std::chrono::microseconds{20};

  // A caller polls with CPU pauses only when a polling worker took its call at once and fewer
  // than this many callers do so; otherwise it only yields between polls. Default 1: with more
  // callers than CPUs, pausing callers would take the CPUs from the workers.
  std::size_t max_spinning_callers = 1;

  // Whatever these say, a thread that notices it was descheduled while pausing (the CPUs are
  // oversubscribed) stops, and the pool then skips the pause phase for 20 ms, doubling while it
  // keeps happening, up to about 1 s. The yielding phase has no such brake yet: on a machine
  // whose CPUs other programs keep busy, each yield can cost a scheduler time slice, so there set
  // worker_spin and caller_spin to 0 (threads then sleep at once; bench/executor_bench.cpp's
  // *_Contended cases measure both; the runtime's pool: Builder::with_native_pool_spin).
};

}  // namespace traverse
