// traverse/executor/thread_pool_executor.hpp — a bounded pool of native worker threads in front
// of another executor (docs/native-capabilities.md).
//
// `create` starts `capacity` worker threads, named "traverse-pool-N" (N from 0; Linux keeps 15
// characters, so from N = 10 the prefix gives way: "traverse-pool10", "traverse-poo100"), and
// takes ownership of the inner executor. `submit` queues a call and returns its completion at
// once; `execute` hands the call to a worker and blocks the caller until the worker has run
// `inner.execute`; the inner result comes back unchanged. A blocking call from an ordinary thread
// allocates nothing: its slot lives on the caller's stack and waits in a FIFO guarded by a lock
// held for a few instructions. Idle workers and waiting callers spin briefly and then sleep on
// futexes (see ThreadPoolExecutorConfig); an idle pool uses no CPU.
//
// The pool is also a TaskScheduler: the WorkflowEngine posts ready workflow nodes to it, so the
// process runs `capacity` workers however many workflow runs are in flight.
//
// Waiting on a worker: a worker that waits — a nested `execute` from a handler, or
// Completion::wait on any completion — runs other queued calls and tasks meanwhile (Taskflow's
// "corun"), so nested calls and nested workflows never deadlock, whatever the capacity.
//
// Destruction completes every queued and running call and task (including those they post),
// then joins the workers; a pool that never ran a call is destroyed at once.
//
// Memory ordering: everything the worker did in the call (the output, events recorded in the
// context, any other writes) happens-before `execute` returns to the caller, and before the
// call's completion becomes ready.
//
// Thread safety: `execute`, `execute_until`, `submit`, `submit_until`, `post` and `stats` are
// safe to call from many threads at once without external synchronisation.
#pragma once

#include <chrono>
#include <expected>
#include <memory>
#include <string>

#include "traverse/executor/capability_executor.hpp"
#include "traverse/executor/config_error.hpp"
#include "traverse/executor/thread_pool_executor_config.hpp"
#include "traverse/executor/thread_pool_stats.hpp"
#include "traverse/support/task_scheduler.hpp"

namespace traverse {

class ThreadPoolExecutor final : public CapabilityExecutor, public TaskScheduler {
 public:
  // Checks `config`, starts every worker and waits until each has run `on_worker_start`.
  // Failure: InvalidCapacity (capacity outside 1..=256), InvalidOption (another field out of
  // range, or `inner` is null), PoolBuildFailed (a thread could not be started or a start hook
  // failed; workers already started are stopped and joined, nothing leaks).
  [[nodiscard]] static std::expected<std::unique_ptr<ThreadPoolExecutor>, ConfigError> create(
      ThreadPoolExecutorConfig config, std::unique_ptr<CapabilityExecutor> inner);

  // Drains, then joins. Calls already inside `execute` when destruction begins are completed:
  // queued ones still run (or time out at their queue deadline), running ones finish, and every
  // waiting caller gets its result; calls arriving after that point are refused with Overloaded.
  // Submitted calls and posted tasks already accepted run to the end too. Then every worker
  // exits and is joined. A pool with no calls is destroyed at once. Blocks only as long as the
  // calls it waits for run. Destroyed on one of its own workers (work that held the last
  // reference), it returns at once and a short-lived reaper thread does the same once that
  // worker's task is over.
  // REQUIRES: no new call starts from outside once the destructor has returned.
  ~ThreadPoolExecutor() override;

  // Workers hold the pool's address: it can be neither copied nor moved.
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  // Runs `inner.execute(capability, input, context)` on a pool worker and returns its result
  // unchanged. `capability`, `input` and `context` are used by the worker while the caller
  // blocks; they are not copied. Failure, besides what the inner executor returns:
  //   UnsupportedArtifactType — `capability` is not Native; checked first, nothing is queued.
  //   Overloaded — `max_queued` is set and that many calls are already waiting; nothing runs.
  //   Timeout — the configured `queue_deadline` passed before a worker was free; nothing ran.
  //   ExecutionFailed("capability panicked: <what()>") — the inner call threw (a non-standard
  //     exception gives "capability panicked: unknown exception"); the worker stays usable.
  // A call made from a pool worker is queued like any other and the worker runs queued work
  // while it waits (see the file comment); during shutdown it is still accepted. Thread-safe.
  [[nodiscard]] std::expected<ExecutorOutput, ExecutorError> execute(
      const ExecutorCapability& capability, const Value& input,
      ExecutionContext& context) const override;

  // As `execute`, with a per-call queue deadline that replaces the configured one: if no worker
  // has started the call by `queue_deadline`, it fails with Timeout and never runs. Thread-safe.
  [[nodiscard]] std::expected<ExecutorOutput, ExecutorError> execute_until(
      const ExecutorCapability& capability, const Value& input, ExecutionContext& context,
      std::chrono::steady_clock::time_point queue_deadline) const;

  // Queues the call and returns its completion at once (failures as for `execute`; a refused
  // call gives a completion that is already fulfilled with the error). `capability`, `input`
  // and `context` must stay alive until the completion is ready. A queue deadline is checked
  // when a worker takes the call. Thread-safe.
  [[nodiscard]] ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                                          ExecutionContext& context) const override;
  // As `submit`, with a per-call queue deadline that replaces the configured one. Thread-safe.
  [[nodiscard]] ExecutorCompletion submit_until(
      const ExecutorCapability& capability, const Value& input, ExecutionContext& context,
      std::chrono::steady_clock::time_point queue_deadline) const;

  // TaskScheduler: runs `task` on a worker (see task_scheduler.hpp). Tasks are not counted
  // against `max_queued`: they are steps of work already admitted. Failure: ShuttingDown, for
  // tasks posted from outside the pool once destruction has begun. Thread-safe.
  [[nodiscard]] std::expected<void, TaskRefused> post(Task task) const override;

  // Live counters (see ThreadPoolStats); lock-free. Thread-safe.
  [[nodiscard]] ThreadPoolStats stats() const;

  // The number of worker threads.
  [[nodiscard]] std::size_t capacity() const;

  // True when the calling thread is one of this pool's workers. Thread-safe.
  [[nodiscard]] bool on_worker_thread() const;
  // True when the calling thread is a worker of any ThreadPoolExecutor. Thread-safe.
  [[nodiscard]] static bool on_any_worker_thread();

  struct Impl;  // the worker threads and the queue; defined in thread_pool_executor.cpp

 private:
  explicit ThreadPoolExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace traverse
