#include "traverse/support/completion.hpp"

#include <sched.h>

namespace traverse::completion_detail {

CooperativeWaiter*& current_cooperative_waiter() noexcept {
  thread_local CooperativeWaiter* waiter = nullptr;
  return waiter;
}

namespace {

// How long a blocking waiter polls before it sleeps. Most completions a caller waits on are
// short executions (microseconds); a wake-up from a condition variable costs several
// microseconds, and tens under load in a VM, so a short poll — yielding the CPU between looks,
// so the thread producing the result gets it when it needs it — answers those at once. Longer
// waits then sleep, having burnt at most this much CPU (the same bound as the pool's callers).
constexpr auto kPollBeforeSleep = std::chrono::microseconds{20};

bool poll_briefly(const StateBase& state) {
  const auto until = std::chrono::steady_clock::now() + kPollBeforeSleep;
  do {
    sched_yield();
    if (state.is_ready()) {
      return true;
    }
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

}  // namespace

void StateBase::wait_ready() {
  if (is_ready()) {
    return;
  }
  if (CooperativeWaiter* cooperative = current_cooperative_waiter(); cooperative != nullptr) {
    cooperative->corun_until(*this);
    return;
  }
  if (poll_briefly(*this)) {
    return;
  }
  std::unique_lock lock(mutex_);
  ++blocked_waiters_;
  ready_cv_.wait(lock, [this] { return is_ready(); });
  --blocked_waiters_;
}

bool StateBase::wait_ready_until(std::chrono::steady_clock::time_point deadline) {
  if (is_ready()) {
    return true;
  }
  std::unique_lock lock(mutex_);
  ++blocked_waiters_;
  const bool ready = ready_cv_.wait_until(lock, deadline, [this] { return is_ready(); });
  --blocked_waiters_;
  return ready;
}

bool StateBase::set_waker(Waker* waker) {
  std::lock_guard lock(mutex_);
  if (is_ready()) {
    return false;
  }
  waker_ = waker;
  return true;
}

void StateBase::clear_waker() {
  std::lock_guard lock(mutex_);
  waker_ = nullptr;
}

void StateBase::mark_ready_locked() {
  ready_.store(true, std::memory_order_release);
  if (waker_ != nullptr) {
    waker_->wake();
  }
  if (blocked_waiters_ > 0) {
    ready_cv_.notify_all();
  }
}

}  // namespace traverse::completion_detail
