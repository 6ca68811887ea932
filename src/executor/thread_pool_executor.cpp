// ThreadPoolExecutor: how a call travels (see also the header).
//
//   caller                                   worker
//   ------                                   ------
//   register (stripe counter)
//   Job on its own stack ──push (lock)──────► FIFO ◄──pop (lock)── spinning or woken worker
//   wake a parked worker only if calls         runs inner.execute, catches what it throws,
//     outnumber searching workers              stores the result in the Job,
//   poll Job::state for a bounded time         state := kDone (wakes the caller if it sleeps)
//     (pausing, then yielding), then sleep
//   unregister (its last access to the pool)
//
// One spin lock guards the FIFO, the stack of parked workers and the count of searching workers;
// a worker parks and a caller pushes under it, so "is anyone coming for this call?" is always
// decided with both sides in view. Threads sleep on futexes: a parked worker on its own word
// (woken by whoever took it off the idle stack), a caller on its Job's state word. Before
// sleeping, threads poll for a bounded time: a few of them first with CPU pauses for a few
// microseconds (the fastest handoff when the other side runs on another CPU), then all of them
// yielding the CPU between polls (the other side gets this CPU if it needs it, and no wake-up is
// needed when the news comes: a wake-up is an inter-processor interrupt, costly in a VM). The
// pause phase is switched off for a while when a poller notices it was descheduled
// (oversubscribed CPUs).
// Linux only (futex, pthread_setname_np).
#include "traverse/executor/thread_pool_executor.hpp"

#if !defined(__linux__)
#error "ThreadPoolExecutor uses Linux futexes; port futex_wait/futex_wake for this platform"
#endif

#include <cxxabi.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <exception>
#include <latch>
#include <optional>
#include <ostream>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "spin_lock.hpp"
#include "traverse/support/completion.hpp"

namespace traverse {
namespace {

using Clock = std::chrono::steady_clock;
constexpr Clock::time_point kNoDeadline = Clock::time_point::max();
// A spinning thread that sees this much time pass between two polls (normally well under a
// microsecond apart) was descheduled: the CPUs are oversubscribed.
constexpr std::chrono::microseconds kPreemptionGap{50};
// How long a poller may poll with CPU pauses before it switches to yielding between polls.
constexpr std::chrono::microseconds kPausePhase{3};
// How long spinning then stays off, pool-wide: kMinSpinSuspension, doubled for each further
// descheduling within kQuietSpell of the previous one, up to 2^kMaxSuspensionLevel times.
constexpr std::chrono::milliseconds kMinSpinSuspension{20};
constexpr int kMaxSuspensionLevel = 6;  // 20 ms · 64 ≈ 1.3 s
constexpr std::chrono::seconds kQuietSpell{5};
// How long a sleeping caller lets its call wait for the spinning worker it was left to before it
// wakes a sleeping worker itself (see ThreadPoolExecutor::Impl::wait).
constexpr std::chrono::microseconds kRescueDelay{500};

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "futex words must be plain 32-bit atomics");

// ---- futex: the kernel's sleep/wake primitive, used only to sleep
// Every wait re-checks its condition through atomics afterwards, so spurious wake-ups (including
// a wake aimed at a futex word whose owner has already returned) are harmless. Data is never
// passed through the futex: happens-before always comes from an acquire load of the word.

std::uint32_t* futex_address(std::atomic<std::uint32_t>* word) {
  return reinterpret_cast<std::uint32_t*>(word);
}

// Sleeps while `*word == expected`, until woken or (if `deadline` is set) until that time.
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected,
                const Clock::time_point* deadline) {
  if (deadline == nullptr) {
    syscall(SYS_futex, futex_address(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
    return;
  }
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time, which is steady_clock's epoch.
  const auto since_epoch = deadline->time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  timespec at{};
  at.tv_sec = static_cast<time_t>(seconds.count());
  at.tv_nsec = static_cast<long>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count());
  syscall(SYS_futex, futex_address(word), FUTEX_WAIT_BITSET_PRIVATE, expected, &at, nullptr,
          FUTEX_BITSET_MATCH_ANY);
}

void futex_wake(std::atomic<std::uint32_t>* word, int count) {
  syscall(SYS_futex, futex_address(word), FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

// One piece of work handed to a worker. A blocking call (`execute` from an ordinary thread) is a
// Job on the caller's stack; the caller does not return before the call is finished or taken
// back out of the queue, so the worker never sees a dead slot. Asynchronous calls (`submit`, and
// every call made from a pool worker) and tasks (`post`) are AsyncJobs on the heap, freed by the
// worker that runs them.
enum JobState : std::uint32_t { kPending = 0, kWaiting = 1, kDone = 2 };
enum class JobKind : std::uint8_t { Call, AsyncCall, Task };

struct alignas(64) Job {
  JobKind kind = JobKind::Call;
  const ExecutorCapability* capability = nullptr;
  const Value* input = nullptr;
  ExecutionContext* context = nullptr;
  Clock::time_point deadline = kNoDeadline;
  Clock::time_point enqueued_at{};  // set only when there is a deadline
  // Queue links, guarded by the queue lock.
  Job* prev = nullptr;
  Job* next = nullptr;
  // Written under the queue lock; also read without it (relaxed) by the waiting caller, as a hint.
  std::atomic<bool> in_queue{false};
  // Written by the worker before `state` becomes kDone (release); read by the caller after it
  // saw kDone (acquire).
  std::optional<std::expected<ExecutorOutput, ExecutorError>> result;
  // kPending → kWaiting (caller went to sleep) → kDone (worker finished; wakes the caller if it
  // saw kWaiting). The futex word the caller sleeps on.
  std::atomic<std::uint32_t> state{kPending};
};

struct AsyncJob final : Job {
  CompletionPromise<ExecutorResult> promise;  // AsyncCall
  TaskScheduler::Task task;                   // Task
};

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

std::string format_duration(std::chrono::nanoseconds duration) {
  std::ostringstream text;
  text.setf(std::ios::fixed);
  text.precision(3);
  text << static_cast<double>(duration.count()) / 1e6 << " ms";
  return text.str();
}

// ---- one worker thread

// A worker is also what wakes it while it coruns (a completion's Waker) and the thread's
// cooperative waiter (completion_detail): Completion::wait on a worker runs pool work meanwhile.
struct alignas(64) Worker final : completion_detail::Waker, completion_detail::CooperativeWaiter {
  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() = default;

  // Completion wake-up while corunning: a change of the futex word that never sets bit 0.
  void wake() noexcept override;
  void corun_until(completion_detail::StateBase& state) override;

  ThreadPoolExecutor::Impl* pool = nullptr;
  std::size_t index = 0;
  pthread_t thread{};
  bool started = false;
  std::latch* started_latch = nullptr;  // valid until the worker counted it down
  std::optional<std::string> start_error;
  // Parking: guarded by the pool's queue lock while the worker is on the idle stack.
  Worker* next_idle = nullptr;
  // Futex word of a parked worker: 0 when it parks; bit 0 set = taken off the idle stack (the
  // waker counted it as searching); + 2 = a completion it coruns on was fulfilled.
  std::atomic<std::uint32_t> signal{0};
  // Single writer (this worker); read by stats().
  std::atomic<std::uint32_t> busy{0};
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> panicked{0};
};

// The worker the current thread is, if it is one (for inline nested calls).
thread_local Worker* tls_worker = nullptr;

void bump(std::atomic<std::uint64_t>& counter) {  // single-writer increment: no locked RMW
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

// ---- the pool

struct ThreadPoolExecutor::Impl {
  Impl(ThreadPoolExecutorConfig cfg, std::unique_ptr<CapabilityExecutor> inner_executor)
      : config(std::move(cfg)),
        inner(std::move(inner_executor)),
        bounded(config.max_queued.has_value()),
        admission_limit(config.max_queued.value_or(0) > SIZE_MAX - config.capacity
                            ? SIZE_MAX
                            : config.capacity + config.max_queued.value_or(0)) {}

  // Member layout: read-mostly state first, then one cache line per group of state that is
  // written on every call, so that a spinning thread's polled lines change only when there is
  // news for it.

  // Immutable after create().
  const ThreadPoolExecutorConfig config;
  const std::unique_ptr<CapabilityExecutor> inner;
  const bool bounded;
  const std::size_t admission_limit;
  std::vector<std::unique_ptr<Worker>> workers;

  // Written once each, by the destructor. `stopping`: new calls are refused from now on.
  // `exiting`: no caller is left; workers exit when the queue is empty.
  std::atomic<bool> stopping{false};
  std::atomic<bool> exiting{false};

  // Adaptive pausing (written rarely). Polling with CPU pauses only pays while the thread being
  // waited for is on another CPU. A pauser that notices it was descheduled (a gap between two
  // clock reads far longer than the loop takes) concludes the machine is oversubscribed and
  // suspends the pause phase pool-wide for a while: under CPU contention pollers only yield.
  std::atomic<std::int64_t> spin_suspended_until{0};  // steady_clock ticks
  // Repeated descheduling doubles the suspension (hysteresis under sustained load).
  std::atomic<std::int64_t> last_preemption{0};  // steady_clock ticks
  std::atomic<int> suspension_level{0};

  // Everything that decides who runs what is guarded by one lock whose critical sections are a
  // handful of pointer writes: the FIFO of waiting calls (an intrusive list of caller-owned
  // slots), the stack of parked workers and the number of searching workers. A producer that
  // pushes a call and a worker that parks both look at the other side under the lock, so a call
  // can never be left queued while every worker sleeps.
  alignas(64) executor_detail::SpinLock queue_lock;
  Job* head = nullptr;          // guarded by queue_lock
  Job* tail = nullptr;          // guarded by queue_lock
  Worker* idle_head = nullptr;  // guarded by queue_lock: parked workers, most recent first
  // Awake workers looking for a call: spinning, or woken and not yet back at the queue. A push
  // wakes a parked worker only when calls outnumber searchers, so no wake-up is wasted on a call
  // that a searcher is about to take. Guarded by queue_lock.
  std::size_t searching = 0;
  // Length of the list; written under queue_lock, read without it (spinners, stats).
  std::atomic<std::size_t> queued{0};

  // Calls admitted and not finished (maintained only when `bounded`).
  alignas(64) std::atomic<std::size_t> in_flight{0};

  // Callers spinning on their result right now.
  alignas(64) std::atomic<int> spinning_callers{0};

  alignas(64) std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> timed_out{0};

  // Asynchronous calls and tasks accepted and not yet finished (the destructor waits for 0).
  alignas(64) std::atomic<std::size_t> outstanding{0};

  // Callers inside `execute` (registered before they touch anything else, unregistered as their
  // very last access), spread over cache lines so that concurrent callers do not contend. The
  // destructor waits for the sum to reach zero before it lets the workers go.
  struct alignas(64) CallerStripe {
    std::atomic<std::int64_t> count{0};
  };
  static constexpr std::size_t kCallerStripes = 16;
  std::array<CallerStripe, kCallerStripes> callers;

  // -- queue

  // Takes a parked worker off the idle stack and counts it as searching; nullptr if none.
  // REQUIRES: queue_lock held. The caller notifies the worker after unlocking.
  Worker* take_idle_locked() {
    Worker* worker = idle_head;
    if (worker != nullptr) {
      idle_head = worker->next_idle;
      worker->next_idle = nullptr;
      ++searching;
    }
    return worker;
  }

  // A worker that has more calls waiting than searchers looking for them gets company.
  // REQUIRES: queue_lock held.
  Worker* take_idle_if_needed_locked() {
    return queued.load(std::memory_order_relaxed) > searching ? take_idle_locked() : nullptr;
  }

  static void notify(Worker* worker) {
    if (worker != nullptr) {
      worker->signal.fetch_or(1, std::memory_order_release);
      futex_wake(&worker->signal, 1);
    }
  }

  // How a pushed call is expected to reach a worker.
  struct Handoff {
    // A searching worker is there for every queued call: it should start at once.
    bool immediate = false;
    // Left to searching workers although parked ones exist (see `rescue`).
    bool rescuable = false;
  };

  // Appends `job` and wakes a parked worker if calls now outnumber searchers.
  Handoff push(Job& job) {
    queue_lock.lock();
    job.prev = tail;
    job.next = nullptr;
    if (tail != nullptr) {
      tail->next = &job;
    } else {
      head = &job;
    }
    tail = &job;
    job.in_queue.store(true, std::memory_order_relaxed);
    queued.store(queued.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    Worker* wake = take_idle_if_needed_locked();
    Handoff handoff;
    if (wake == nullptr && searching > 0) {
      handoff.immediate = searching >= queued.load(std::memory_order_relaxed);
      handoff.rescuable = idle_head != nullptr;
    }
    queue_lock.unlock();
    notify(wake);
    return handoff;
  }

  // REQUIRES: queue_lock held.
  void unlink_locked(Job& job) {
    (job.prev != nullptr ? job.prev->next : head) = job.next;
    (job.next != nullptr ? job.next->prev : tail) = job.prev;
    job.prev = job.next = nullptr;
    job.in_queue.store(false, std::memory_order_relaxed);
    queued.store(queued.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }

  // Takes `job` back out of the queue. False if a worker already took it.
  bool remove(Job& job) {
    queue_lock.lock();
    const bool was_queued = job.in_queue.load(std::memory_order_relaxed);
    if (was_queued) {
      unlink_locked(job);
    }
    queue_lock.unlock();
    return was_queued;
  }

  // Wakes a parked worker for `job` if it is still queued, whoever is searching (used when a
  // searcher seems to have been descheduled).
  void rescue(Job& job) {
    queue_lock.lock();
    Worker* wake = job.in_queue.load(std::memory_order_relaxed) ? take_idle_locked() : nullptr;
    queue_lock.unlock();
    notify(wake);
  }

  // -- workers

  std::expected<ExecutorOutput, ExecutorError> invoke(Worker& worker,
                                                      const ExecutorCapability& capability,
                                                      const Value& input,
                                                      ExecutionContext& context) {
    try {
      auto result = inner->execute(capability, input, context);
      bump(result ? worker.completed : worker.failed);
      return result;
    } catch (const abi::__forced_unwind&) {
      throw;  // thread cancellation must unwind
    } catch (const std::exception& error) {
      bump(worker.panicked);
      return std::unexpected(
          ExecutorError::execution_failed(std::string("capability panicked: ") + error.what()));
    } catch (...) {
      bump(worker.panicked);
      return std::unexpected(
          ExecutorError::execution_failed("capability panicked: unknown exception"));
    }
  }

  std::expected<ExecutorOutput, ExecutorError> queue_timeout(const Job& job,
                                                             Clock::time_point now) {
    timed_out.fetch_add(1, std::memory_order_relaxed);
    if (bounded) {
      in_flight.fetch_sub(1, std::memory_order_release);
    }
    return std::unexpected(ExecutorError::timeout(
        "capability '" + job.capability->capability_id + "' waited " +
        format_duration(now - job.enqueued_at) +
        " for a free thread pool worker and passed its queue deadline; it did not run"));
  }

  void complete(Job& job) {
    std::atomic<std::uint32_t>* word = &job.state;
    // After this exchange the caller may return and its slot may be gone: only the address is
    // used below, as a futex key.
    if (word->exchange(kDone, std::memory_order_acq_rel) == kWaiting) {
      futex_wake(word, 1);
    }
  }

  void run(Worker& worker, Job& job) {
    switch (job.kind) {
      case JobKind::Call:
        run_call(worker, job);
        return;
      case JobKind::AsyncCall:
        run_async_call(worker, static_cast<AsyncJob&>(job));
        return;
      case JobKind::Task:
        run_task(static_cast<AsyncJob&>(job));
        return;
    }
  }

  void run_async_call(Worker& worker, AsyncJob& job) {
    std::unique_ptr<AsyncJob> owned(&job);
    std::optional<ExecutorResult> result;
    if (job.deadline != kNoDeadline) {
      if (const auto now = Clock::now(); now >= job.deadline) {
        result.emplace(queue_timeout(job, now));
      }
    }
    if (!result) {
      worker.busy.store(1, std::memory_order_relaxed);
      result.emplace(invoke(worker, *job.capability, *job.input, *job.context));
      worker.busy.store(0, std::memory_order_relaxed);
      if (bounded) {
        in_flight.fetch_sub(1, std::memory_order_release);
      }
    }
    CompletionPromise<ExecutorResult> promise = std::move(job.promise);
    owned.reset();
    promise.fulfil(std::move(*result));  // may run the caller's continuation here
    outstanding.fetch_sub(1, std::memory_order_release);
  }

  void run_task(AsyncJob& job) {
    TaskScheduler::Task task = std::move(job.task);
    delete &job;
    task();
    task = nullptr;  // its captures go before the pool may be let go
    outstanding.fetch_sub(1, std::memory_order_release);
  }

  void run_call(Worker& worker, Job& job) {
    if (job.deadline != kNoDeadline) {
      const auto now = Clock::now();
      if (now >= job.deadline) {
        job.result.emplace(queue_timeout(job, now));
        complete(job);
        return;
      }
    }
    worker.busy.store(1, std::memory_order_relaxed);
    job.result.emplace(invoke(worker, *job.capability, *job.input, *job.context));
    worker.busy.store(0, std::memory_order_relaxed);
    if (bounded) {
      in_flight.fetch_sub(1, std::memory_order_release);
    }
    complete(job);
  }

  bool spinning_allowed(Clock::time_point now) const {
    return now.time_since_epoch().count() >= spin_suspended_until.load(std::memory_order_relaxed);
  }

  // Called by a spinner that was descheduled. The first time (or after a quiet spell) spinning
  // stops for kMinSpinSuspension; each further descheduling soon after doubles that, up to
  // 2^kMaxSuspensionLevel times, so a machine that stays busy sees almost no spinning. These are
  // hints: concurrent updates may lose one another harmlessly.
  void suspend_spinning(Clock::time_point now) {
    const auto ticks = now.time_since_epoch().count();
    const auto previous = last_preemption.exchange(ticks, std::memory_order_relaxed);
    int level = 0;
    if (Clock::duration(ticks - previous) < kQuietSpell) {
      level = std::min(suspension_level.load(std::memory_order_relaxed) + 1, kMaxSuspensionLevel);
    }
    suspension_level.store(level, std::memory_order_relaxed);
    spin_suspended_until.store((now + kMinSpinSuspension * (1 << level)).time_since_epoch().count(),
                               std::memory_order_relaxed);
  }

  // Polls `done` with a CPU pause between polls until it returns true (→ true), `until` passes
  // or the thread notices it was descheduled (→ false; spinning is then suspended, see above).
  // The fastest handoff when the thread being waited for runs on another CPU; kept short
  // (kPausePhase) because if that thread waits for this CPU, every pause delays it.
  template <typename Done>
  bool pause_spin(Done done, Clock::time_point until) {
    auto last = Clock::now();
    for (std::uint32_t i = 1;; ++i) {
      if (done()) {
        // Also on success: a spinner descheduled while the event happened is the costly case
        // (nobody woke it, because it was spinning).
        if (const auto now = Clock::now(); now - last > kPreemptionGap) {
          suspend_spinning(now);
        }
        return true;
      }
      cpu_relax();
      if ((i & 7U) == 0) {
        const auto now = Clock::now();
        if (now - last > kPreemptionGap) {
          suspend_spinning(now);
          return false;
        }
        if (now >= until) {
          return false;
        }
        last = now;
      }
    }
  }

  // Polls `done` until it returns true (→ true) or `until` passes (→ false), yielding the CPU
  // between polls: when the thread being waited for needs this CPU it gets it at once, when no
  // one does the yield returns at once, and no wake-up (an inter-processor interrupt, costly in a
  // VM) is needed when the event comes.
  template <typename Done>
  bool yield_poll(Done done, Clock::time_point until) {
    for (;;) {
      if (done()) {
        return true;
      }
      if (Clock::now() >= until) {
        return false;
      }
      sched_yield();
    }
  }

  // Polls for at most `budget` (and never past `limit`): first with CPU pauses for up to
  // kPausePhase if `may_pause` and spinning is not suspended, then yielding between polls.
  template <typename Done>
  bool poll(Done done, std::chrono::nanoseconds budget, Clock::time_point limit, bool may_pause) {
    const auto start = Clock::now();
    // `limit` may be any time point, also time_point::min(): compare before subtracting.
    const auto until = limit <= start ? limit : (budget < limit - start ? start + budget : limit);
    if (may_pause && spinning_allowed(start) &&
        pause_spin(done, std::min(until, start + kPausePhase))) {
      return true;
    }
    return yield_poll(done, until);
  }

  // Takes the call at the head of the queue for a worker, if there is one: the worker stops
  // counting as searching, and if more calls wait than workers search, a parked worker is woken
  // (a burst spreads over the parked workers instead of queueing behind this one). Returns null,
  // with the lock still held, when the queue is empty; otherwise unlocks.
  // REQUIRES: queue_lock held.
  Job* take_head_and_unlock(bool& counted_searching) {
    Job* job = head;
    if (job == nullptr) {
      return nullptr;
    }
    unlink_locked(*job);
    if (counted_searching) {
      --searching;
      counted_searching = false;
    }
    Worker* wake = take_idle_if_needed_locked();
    queue_lock.unlock();
    notify(wake);
    return job;
  }

  // The worker loop. Each pass takes the lock once: to take a call, or to decide to spin (at most
  // max_spinning_workers do, outside the lock) or to park on the idle stack.
  void serve(Worker& worker) {
    bool counted_searching = false;  // whether this worker is counted in `searching`
    bool spun = false;               // spun since the last call: park next time
    for (;;) {
      queue_lock.lock();
      if (Job* job = take_head_and_unlock(counted_searching)) {
        spun = false;
        run(worker, *job);
        continue;
      }
      if (exiting.load(std::memory_order_relaxed)) {
        queue_lock.unlock();
        return;
      }
      // Idle from here on: poll for a while, then park.
      // Up to max_spinning_workers poll with a CPU pause first; the others only yield.
      const std::size_t spinners_after = searching + (counted_searching ? 0 : 1);
      const bool may_pause = spinners_after <= config.max_spinning_workers;
      if (!spun && config.worker_spin.count() > 0) {
        if (!counted_searching) {
          ++searching;
          counted_searching = true;
        }
        queue_lock.unlock();
        poll(
            [&] {
              return queued.load(std::memory_order_relaxed) != 0 ||
                     exiting.load(std::memory_order_relaxed);
            },
            config.worker_spin, kNoDeadline, may_pause);
        spun = true;  // found something or not: back to the queue, then park if still nothing
        continue;
      }
      // Park. Whoever takes this worker off the idle stack counts it as searching.
      if (counted_searching) {
        --searching;
      }
      worker.signal.store(0, std::memory_order_relaxed);
      worker.next_idle = idle_head;
      idle_head = &worker;
      queue_lock.unlock();
      wait_until_taken(worker);
      counted_searching = true;
      spun = false;
    }
  }

  // Sleeps until whoever took `worker` off the idle stack has notified it (bit 0 of its word).
  static void wait_until_taken(Worker& worker) {
    for (;;) {
      const std::uint32_t word = worker.signal.load(std::memory_order_acquire);
      if ((word & 1U) != 0) {
        return;
      }
      futex_wait(&worker.signal, word, nullptr);
    }
  }

  // Takes `worker` off the idle stack if it is still there. False if a waker took it (the waker
  // counted it as searching and is about to notify it). REQUIRES: queue_lock held.
  bool leave_idle_stack_locked(Worker& worker) {
    for (Worker** link = &idle_head; *link != nullptr; link = &(*link)->next_idle) {
      if (*link == &worker) {
        *link = worker.next_idle;
        worker.next_idle = nullptr;
        return true;
      }
    }
    return false;
  }

  // Runs queued work on `worker` until `state` is ready (Completion::wait on a worker). When
  // there is nothing to run, the worker parks on the idle stack like an idle worker — so a new
  // call wakes it — and the completion wakes it too when it is fulfilled. No worker is ever
  // blocked while work it could run is queued, so nested calls cannot deadlock the pool.
  void corun(Worker& worker, completion_detail::StateBase& state) {
    bool counted_searching = false;
    while (!state.is_ready()) {
      queue_lock.lock();
      if (Job* job = take_head_and_unlock(counted_searching)) {
        run(worker, *job);
        continue;
      }
      if (counted_searching) {
        --searching;
        counted_searching = false;
      }
      worker.signal.store(0, std::memory_order_relaxed);
      worker.next_idle = idle_head;
      idle_head = &worker;
      queue_lock.unlock();
      if (state.set_waker(&worker)) {
        for (;;) {
          const std::uint32_t word = worker.signal.load(std::memory_order_acquire);
          if ((word & 1U) != 0 || state.is_ready()) {
            break;
          }
          futex_wait(&worker.signal, word, nullptr);
        }
        state.clear_waker();  // no wake() of this state runs after this returns
      }
      queue_lock.lock();
      const bool left = leave_idle_stack_locked(worker);
      queue_lock.unlock();
      if (!left) {
        // Taken off the stack for new work: wait for the notification, so that it cannot
        // arrive later, when this worker has parked again.
        wait_until_taken(worker);
        counted_searching = true;
      }
    }
    if (counted_searching) {
      queue_lock.lock();
      --searching;
      // It was woken for a call it will not take now: pass the wake-up on.
      Worker* wake = take_idle_if_needed_locked();
      queue_lock.unlock();
      notify(wake);
    }
  }

  static void* thread_main(void* arg) {
    auto& worker = *static_cast<Worker*>(arg);
    tls_worker = &worker;
    completion_detail::current_cooperative_waiter() = &worker;
    Impl& pool = *worker.pool;
    // Linux limits thread names to 15 characters: "traverse-pool-N" up to N = 9, then the
    // prefix gives way to the digits ("traverse-pool12", "traverse-poo123").
    std::string name = "traverse-pool-" + std::to_string(worker.index);
    if (name.size() > 15) {
      name.erase(15 - std::to_string(worker.index).size(), name.size() - 15);
    }
    pthread_setname_np(pthread_self(), name.c_str());
    if (pool.config.on_worker_start) {
      try {
        if (auto started = pool.config.on_worker_start(worker.index); !started) {
          worker.start_error = std::move(started.error());
        }
      } catch (const std::exception& error) {
        worker.start_error = std::string("worker start hook threw: ") + error.what();
      } catch (...) {
        worker.start_error = "worker start hook threw an unknown exception";
      }
    }
    std::exchange(worker.started_latch, nullptr)->count_down();
    pool.serve(worker);
    return nullptr;
  }

  std::int64_t active_callers() const {
    std::int64_t total = 0;
    for (const auto& stripe : callers) {
      total += stripe.count.load(std::memory_order_seq_cst);
    }
    return total;
  }

  // Refuses new calls, lets every call already inside `execute` finish (queued ones still run),
  // then stops and joins the workers.
  void shutdown() {
    stopping.store(true, std::memory_order_seq_cst);
    // A caller registers before it looks at `stopping`, so every caller that missed the flag is
    // counted here. They unregister as their last access, so nothing can be signalled back: poll,
    // backing off from yields to short sleeps (only while calls are still running).
    // Asynchronous calls and tasks already accepted run to the end too (they may post more).
    for (int round = 0; active_callers() != 0 || outstanding.load(std::memory_order_acquire) != 0;
         round = std::min(round + 1, 1000)) {
      if (round < 64) {
        sched_yield();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds{round < 1000 ? 20 : 1000});
      }
    }
    std::vector<Worker*> parked;
    parked.reserve(workers.size());
    queue_lock.lock();
    exiting.store(true, std::memory_order_relaxed);
    while (Worker* worker = take_idle_locked()) {
      parked.push_back(worker);
    }
    queue_lock.unlock();
    for (Worker* worker : parked) {
      notify(worker);
    }
    for (auto& worker : workers) {
      if (worker->started) {
        pthread_join(worker->thread, nullptr);
        worker->started = false;
      }
    }
  }

  // -- callers

  std::expected<ExecutorOutput, ExecutorError> wait(Job& job, Handoff handoff) {
    bool deadline_armed = job.deadline != kNoDeadline;
    // Before sleeping, poll for a bounded time. With a CPU pause only when a searching worker
    // took the call at once (the pool has CPU to spare) and few other callers do so; otherwise
    // (or after that) yielding between polls, which hands this CPU to the threads doing the work.
    if (config.caller_spin.count() > 0) {
      const auto is_done = [&] { return job.state.load(std::memory_order_acquire) == kDone; };
      bool may_pause = false;
      if (handoff.immediate) {
        may_pause = spinning_callers.fetch_add(1, std::memory_order_relaxed) <
                    static_cast<int>(config.max_spinning_callers);
        if (!may_pause) {
          spinning_callers.fetch_sub(1, std::memory_order_relaxed);
        }
      }
      const bool done = poll(is_done, config.caller_spin, job.deadline, may_pause);
      if (may_pause) {
        spinning_callers.fetch_sub(1, std::memory_order_relaxed);
      }
      if (done) {
        return std::move(*job.result);
      }
    }
    // Rescue: if the call was left to a searching worker that then got descheduled (nobody wakes
    // a spinner), the caller itself wakes a parked worker once the call has sat in the queue
    // for kRescueDelay.
    auto rescue_at = handoff.rescuable ? Clock::now() + kRescueDelay : kNoDeadline;
    std::uint32_t state = kPending;
    if (job.state.compare_exchange_strong(state, kWaiting, std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
      for (;;) {
        const auto wake_at = std::min(deadline_armed ? job.deadline : kNoDeadline, rescue_at);
        futex_wait(&job.state, kWaiting, wake_at != kNoDeadline ? &wake_at : nullptr);
        if (job.state.load(std::memory_order_acquire) == kDone) {
          break;
        }
        if (rescue_at != kNoDeadline && Clock::now() >= rescue_at) {
          rescue_at = kNoDeadline;
          if (job.in_queue.load(std::memory_order_relaxed)) {
            rescue(job);
          }
        }
        if (deadline_armed) {
          const auto now = Clock::now();
          if (now >= job.deadline) {
            if (remove(job)) {
              return queue_timeout(job, now);
            }
            deadline_armed = false;  // a worker has it: wait for the result, however long
          }
        }
      }
    }
    return std::move(*job.result);
  }

  std::expected<ExecutorOutput, ExecutorError> execute(const ExecutorCapability& capability,
                                                       const Value& input,
                                                       ExecutionContext& context,
                                                       Clock::time_point deadline) {
    if (capability.artifact_type != ArtifactType::Native) {
      rejected.fetch_add(1, std::memory_order_relaxed);
      return std::unexpected(ExecutorError::unsupported_artifact_type());
    }
    if (tls_worker != nullptr || completion_detail::current_cooperative_waiter() != nullptr) {
      // A call from a pool worker (a nested call, or one into another pool) must not block the
      // worker: it goes through a completion, and the worker runs queued work while it waits.
      return submit(capability, input, context, deadline).wait();
    }
    auto& registration = callers[caller_stripe()].count;
    registration.fetch_add(1, std::memory_order_seq_cst);
    auto result = execute_registered(capability, input, context, deadline);
    registration.fetch_sub(1, std::memory_order_release);  // last access to the pool
    return result;
  }

  // The stripe of the calling thread: threads take stripes round-robin on first use.
  static std::size_t caller_stripe() {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t stripe =
        next.fetch_add(1, std::memory_order_relaxed) % kCallerStripes;
    return stripe;
  }

  std::expected<ExecutorOutput, ExecutorError> execute_registered(
      const ExecutorCapability& capability, const Value& input, ExecutionContext& context,
      Clock::time_point deadline) {
    if (auto refused = admit(); !refused) {
      return std::unexpected(std::move(refused.error()));
    }
    Job job;
    job.capability = &capability;
    job.input = &input;
    job.context = &context;
    job.deadline = deadline;
    if (deadline != kNoDeadline) {
      job.enqueued_at = Clock::now();
    }
    return wait(job, push(job));
  }

  // True on a worker of this pool: its calls and tasks are part of work already accepted.
  bool on_own_worker() const { return tls_worker != nullptr && tls_worker->pool == this; }

  ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                            ExecutionContext& context, Clock::time_point deadline) {
    if (capability.artifact_type != ArtifactType::Native) {
      rejected.fetch_add(1, std::memory_order_relaxed);
      return ExecutorCompletion::fulfilled(
          std::unexpected(ExecutorError::unsupported_artifact_type()));
    }
    auto& registration = callers[caller_stripe()].count;
    registration.fetch_add(1, std::memory_order_seq_cst);
    auto completion = submit_registered(capability, input, context, deadline);
    registration.fetch_sub(1, std::memory_order_release);  // last access to the pool
    return completion;
  }

  ExecutorCompletion submit_registered(const ExecutorCapability& capability, const Value& input,
                                       ExecutionContext& context, Clock::time_point deadline) {
    if (auto refused = admit(); !refused) {
      return ExecutorCompletion::fulfilled(std::unexpected(std::move(refused.error())));
    }
    auto job = std::make_unique<AsyncJob>();
    job->kind = JobKind::AsyncCall;
    job->capability = &capability;
    job->input = &input;
    job->context = &context;
    job->deadline = deadline;
    if (deadline != kNoDeadline) {
      job->enqueued_at = Clock::now();
    }
    ExecutorCompletion completion = job->promise.completion();
    outstanding.fetch_add(1, std::memory_order_relaxed);
    push(*job.release());
    return completion;
  }

  // Admission of one call: refused while shutting down (unless it comes from this pool's own
  // work in flight) and when `max_queued` calls already wait.
  std::expected<void, ExecutorError> admit() {
    if (!on_own_worker() && stopping.load(std::memory_order_seq_cst)) {
      rejected.fetch_add(1, std::memory_order_relaxed);
      return std::unexpected(ExecutorError::overloaded("the thread pool is shutting down"));
    }
    if (bounded) {
      std::size_t current = in_flight.load(std::memory_order_relaxed);
      do {
        if (current >= admission_limit) {
          rejected.fetch_add(1, std::memory_order_relaxed);
          return std::unexpected(ExecutorError::overloaded(
              "thread pool queue is full: " + std::to_string(current) +
              " calls in flight (capacity " + std::to_string(config.capacity) + " + max_queued " +
              std::to_string(*config.max_queued) + ")"));
        }
      } while (!in_flight.compare_exchange_weak(current, current + 1, std::memory_order_acquire,
                                                std::memory_order_relaxed));
    }
    return {};
  }

  std::expected<void, TaskRefused> post(TaskScheduler::Task task) {
    auto& registration = callers[caller_stripe()].count;
    registration.fetch_add(1, std::memory_order_seq_cst);
    if (!on_own_worker() && stopping.load(std::memory_order_seq_cst)) {
      registration.fetch_sub(1, std::memory_order_release);
      return std::unexpected(
          TaskRefused(TaskRefused::Kind::ShuttingDown, "the thread pool is shutting down"));
    }
    auto job = std::make_unique<AsyncJob>();
    job->kind = JobKind::Task;
    job->task = std::move(task);
    outstanding.fetch_add(1, std::memory_order_relaxed);
    push(*job.release());
    registration.fetch_sub(1, std::memory_order_release);
    return {};
  }

  ThreadPoolStats stats() const {
    ThreadPoolStats out;
    out.workers = workers.size();
    out.queued = queued.load(std::memory_order_relaxed);
    out.rejected = rejected.load(std::memory_order_relaxed);
    out.timed_out = timed_out.load(std::memory_order_relaxed);
    for (const auto& worker : workers) {
      out.busy += worker->busy.load(std::memory_order_relaxed);
      out.completed += worker->completed.load(std::memory_order_relaxed);
      out.failed += worker->failed.load(std::memory_order_relaxed);
      out.panicked += worker->panicked.load(std::memory_order_relaxed);
    }
    return out;
  }
};

// ---- public surface

std::expected<std::unique_ptr<ThreadPoolExecutor>, ConfigError> ThreadPoolExecutor::create(
    ThreadPoolExecutorConfig config, std::unique_ptr<CapabilityExecutor> inner) {
  if (config.capacity < ConfigError::kMinCapacity || config.capacity > ConfigError::kMaxCapacity) {
    return std::unexpected(ConfigError::invalid_capacity(config.capacity));
  }
  if (inner == nullptr) {
    return std::unexpected(ConfigError::invalid_option("inner executor is null; expected one"));
  }
  if (config.queue_deadline && config.queue_deadline->count() <= 0) {
    return std::unexpected(ConfigError::invalid_option(
        "queue_deadline " + std::to_string(config.queue_deadline->count()) +
        " ns; expected a positive duration or none"));
  }
  if (config.worker_spin.count() < 0 || config.caller_spin.count() < 0) {
    return std::unexpected(ConfigError::invalid_option(
        "worker_spin/caller_spin is negative; expected 0 or a positive duration"));
  }
  if (config.worker_stack_size &&
      *config.worker_stack_size < static_cast<std::size_t>(PTHREAD_STACK_MIN)) {
    return std::unexpected(ConfigError::invalid_option(
        "worker_stack_size " + std::to_string(*config.worker_stack_size) +
        " bytes; expected at least " + std::to_string(PTHREAD_STACK_MIN)));
  }

  const std::size_t capacity = config.capacity;
  auto impl = std::make_unique<Impl>(std::move(config), std::move(inner));
  impl->workers.reserve(capacity);
  std::latch started(static_cast<std::ptrdiff_t>(capacity));
  std::optional<std::string> spawn_error;

  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  if (impl->config.worker_stack_size) {
    if (int rc = pthread_attr_setstacksize(&attributes, *impl->config.worker_stack_size); rc != 0) {
      spawn_error = "cannot set worker stack size " +
                    std::to_string(*impl->config.worker_stack_size) + ": " +
                    std::system_category().message(rc);
    }
  }
  for (std::size_t i = 0; i < capacity && !spawn_error; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->pool = impl.get();
    worker->index = i;
    worker->started_latch = &started;
    Worker& slot = *impl->workers.emplace_back(std::move(worker));
    if (int rc = pthread_create(&slot.thread, &attributes, &Impl::thread_main, &slot); rc != 0) {
      spawn_error = "cannot start worker thread " + std::to_string(i) + " of " +
                    std::to_string(capacity) + ": " + std::system_category().message(rc);
      break;
    }
    slot.started = true;
  }
  pthread_attr_destroy(&attributes);

  std::size_t running = 0;
  for (const auto& worker : impl->workers) {
    running += worker->started ? 1 : 0;
  }
  started.count_down(static_cast<std::ptrdiff_t>(capacity - running));  // never-started ones
  started.wait();

  if (!spawn_error) {
    for (const auto& worker : impl->workers) {
      if (worker->start_error) {
        spawn_error = *worker->start_error;
        break;
      }
    }
  }
  if (spawn_error) {
    impl->shutdown();
    return std::unexpected(ConfigError::pool_build_failed(std::move(*spawn_error)));
  }
  return std::unique_ptr<ThreadPoolExecutor>(new ThreadPoolExecutor(std::move(impl)));
}

ThreadPoolExecutor::ThreadPoolExecutor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ThreadPoolExecutor::~ThreadPoolExecutor() {
  if (impl_->on_own_worker()) {
    // The last reference was dropped by work running on one of this pool's workers (a task that
    // owned it, e.g. a workflow run outliving its engine). That worker cannot join itself: a
    // reaper thread takes the pool and shuts it down once the worker has finished its task. The
    // worker touches only the Impl, which the reaper keeps alive until every worker is joined.
    std::thread([impl = std::move(impl_)] { impl->shutdown(); }).detach();
    return;
  }
  impl_->shutdown();
}

namespace {

Clock::time_point configured_deadline(const ThreadPoolExecutorConfig& config) {
  if (!config.queue_deadline) {
    return kNoDeadline;
  }
  const auto now = Clock::now();
  const auto wait = std::chrono::duration_cast<Clock::duration>(*config.queue_deadline);
  return wait < kNoDeadline - now ? now + wait : kNoDeadline;  // saturate, never overflow
}

}  // namespace

void Worker::wake() noexcept {
  signal.fetch_add(2, std::memory_order_release);
  futex_wake(&signal, 1);
}

void Worker::corun_until(completion_detail::StateBase& state) {
  pool->corun(*this, state);
}

std::expected<ExecutorOutput, ExecutorError> ThreadPoolExecutor::execute(
    const ExecutorCapability& capability, const Value& input, ExecutionContext& context) const {
  return impl_->execute(capability, input, context, configured_deadline(impl_->config));
}

ExecutorCompletion ThreadPoolExecutor::submit(const ExecutorCapability& capability,
                                              const Value& input, ExecutionContext& context) const {
  return impl_->submit(capability, input, context, configured_deadline(impl_->config));
}

ExecutorCompletion ThreadPoolExecutor::submit_until(
    const ExecutorCapability& capability, const Value& input, ExecutionContext& context,
    std::chrono::steady_clock::time_point queue_deadline) const {
  return impl_->submit(capability, input, context, queue_deadline);
}

std::expected<void, TaskRefused> ThreadPoolExecutor::post(Task task) const {
  return impl_->post(std::move(task));
}

std::expected<ExecutorOutput, ExecutorError> ThreadPoolExecutor::execute_until(
    const ExecutorCapability& capability, const Value& input, ExecutionContext& context,
    std::chrono::steady_clock::time_point queue_deadline) const {
  return impl_->execute(capability, input, context, queue_deadline);
}

ThreadPoolStats ThreadPoolExecutor::stats() const {
  return impl_->stats();
}

std::size_t ThreadPoolExecutor::capacity() const {
  return impl_->config.capacity;
}

bool ThreadPoolExecutor::on_worker_thread() const {
  return tls_worker != nullptr && tls_worker->pool == impl_.get();
}

bool ThreadPoolExecutor::on_any_worker_thread() {
  return tls_worker != nullptr;
}

}  // namespace traverse
