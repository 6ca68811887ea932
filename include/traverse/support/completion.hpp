// traverse/support/completion.hpp — a one-shot result that arrives later: the asynchronous half
// of an executor call (CapabilityExecutor::submit) and of a workflow run (WorkflowEngine::start).
//
// A CompletionPromise<T> is kept by whoever produces the result; the Completion<T> it hands out
// is kept by whoever consumes it. The consumer either blocks (`wait`, `wait_until`), polls
// (`ready`) or registers one continuation (`then`), which runs exactly once, on the thread that
// fulfils the promise (or at once, on the caller, if the result is already there).
//
// Waiting never wastes a pool thread: when `wait` is called on a worker of a ThreadPoolExecutor,
// the worker runs other queued work until the result arrives (Taskflow's "corun"), so nested
// calls and nested workflows cannot deadlock a bounded pool, whatever its capacity.
//
// Ownership: the promise and its completion share the state (reference-counted); either may be
// destroyed first. A promise must be fulfilled before it is destroyed (a producer that can fail
// fulfils with its error value; T is typically a std::expected).
// Thread safety: a promise and its completion may be used from different threads at once; each
// object itself is used by one thread at a time (move it to hand it over).
#pragma once

#include <atomic>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace traverse {

namespace completion_detail {

// Something a fulfilment must wake besides the condition variable (a pool worker parked while it
// coruns). wake() is called with the state's mutex held and must not block.
class Waker {
 public:
  virtual void wake() noexcept = 0;

 protected:
  ~Waker() = default;
};

// The part of a completion's state that does not depend on T.
class StateBase {
 public:
  StateBase() = default;
  StateBase(const StateBase&) = delete;
  StateBase& operator=(const StateBase&) = delete;

  [[nodiscard]] bool is_ready() const noexcept { return ready_.load(std::memory_order_acquire); }

  // Blocks until ready; on a cooperative thread (a pool worker), runs other work meanwhile.
  void wait_ready();
  // As wait_ready, giving up at `deadline` (then false). A pool worker blocks without running
  // other work here: a bounded wait must not be prolonged by someone else's task.
  [[nodiscard]] bool wait_ready_until(std::chrono::steady_clock::time_point deadline);

  // For cooperative waiters: registers `waker` to be woken by the fulfilment. False (nothing
  // registered) when already ready. clear_waker() returns only when no wake() is in progress.
  [[nodiscard]] bool set_waker(Waker* waker);
  void clear_waker();

 protected:
  ~StateBase() = default;
  // Marks the state ready and wakes every waiter. REQUIRES: mutex_ held, value stored.
  void mark_ready_locked();

  std::mutex mutex_;

 private:
  std::condition_variable ready_cv_;
  std::atomic<bool> ready_{false};
  Waker* waker_ = nullptr;   // guarded by mutex_
  int blocked_waiters_ = 0;  // guarded by mutex_: threads in ready_cv_.wait
};

// A thread that can run other work while it waits for a completion: a ThreadPoolExecutor worker
// installs one for its lifetime (see current_cooperative_waiter).
class CooperativeWaiter {
 public:
  // Runs other work until state.is_ready(), then returns.
  virtual void corun_until(StateBase& state) = 0;

 protected:
  ~CooperativeWaiter() = default;
};

// The calling thread's cooperative waiter (nullptr on ordinary threads). Pool workers set it.
[[nodiscard]] CooperativeWaiter*& current_cooperative_waiter() noexcept;

template <typename T>
class State final : public StateBase {
 public:
  void fulfil(T value) {
    std::move_only_function<void(T)> continuation;
    {
      std::lock_guard lock(mutex_);
      assert(!is_ready() && "a completion is fulfilled once");
      if (continuation_) {
        continuation = std::move(continuation_);
      } else {
        value_.emplace(std::move(value));
      }
      mark_ready_locked();
    }
    if (continuation) {
      continuation(std::move(value));
    }
  }

  // Runs `continuation` with the value now (on the caller) if ready, else on fulfilment.
  void set_continuation(std::move_only_function<void(T)> continuation) {
    {
      std::lock_guard lock(mutex_);
      if (!is_ready()) {
        continuation_ = std::move(continuation);
        return;
      }
    }
    continuation(take());
  }

  // REQUIRES: is_ready(), and no continuation was set. Moves the value out (once).
  [[nodiscard]] T take() {
    std::lock_guard lock(mutex_);
    assert(value_.has_value() && "the value of a completion is taken once");
    T value = std::move(*value_);
    value_.reset();
    return value;
  }

 private:
  std::optional<T> value_;                         // guarded by mutex_
  std::move_only_function<void(T)> continuation_;  // guarded by mutex_
};

}  // namespace completion_detail

template <typename T>
class CompletionPromise;

template <typename T>
class Completion {
 public:
  // An empty handle (valid() is false); every other call then REQUIRES a valid handle.
  Completion() = default;

  // A completion that is already fulfilled with `value`.
  [[nodiscard]] static Completion fulfilled(T value) {
    CompletionPromise<T> promise;
    Completion completion = promise.completion();
    promise.fulfil(std::move(value));
    return completion;
  }

  [[nodiscard]] bool valid() const noexcept { return state_ != nullptr; }
  // True once the result is there (wait() then returns at once).
  [[nodiscard]] bool ready() const noexcept { return state_->is_ready(); }

  // Blocks until the result is there and moves it out; the handle is empty afterwards. On a
  // pool worker, runs other queued work meanwhile (see the file comment).
  [[nodiscard]] T wait() {
    state_->wait_ready();
    auto state = std::move(state_);
    return state->take();
  }

  // Blocks until the result is there (true; wait() then returns it at once) or `deadline`
  // passes (false; the handle stays valid).
  [[nodiscard]] bool wait_until(std::chrono::steady_clock::time_point deadline) {
    return state_->wait_ready_until(deadline);
  }

  // Registers the one continuation: it receives the result on the fulfilling thread, or at once
  // on this thread if the result is already there. Consumes the handle. The continuation must
  // not throw.
  void then(std::move_only_function<void(T)> continuation) && {
    auto state = std::move(state_);
    state->set_continuation(std::move(continuation));
  }

 private:
  friend class CompletionPromise<T>;
  explicit Completion(std::shared_ptr<completion_detail::State<T>> state)
      : state_(std::move(state)) {}
  std::shared_ptr<completion_detail::State<T>> state_;
};

template <typename T>
class CompletionPromise {
 public:
  CompletionPromise() : state_(std::make_shared<completion_detail::State<T>>()) {}
  CompletionPromise(CompletionPromise&&) noexcept = default;
  CompletionPromise& operator=(CompletionPromise&&) noexcept = default;
  CompletionPromise(const CompletionPromise&) = delete;
  CompletionPromise& operator=(const CompletionPromise&) = delete;
  ~CompletionPromise() {
    assert((state_ == nullptr || state_.use_count() == 1 || state_->is_ready()) &&
           "a promise whose completion is awaited must be fulfilled before it is destroyed");
  }

  // The consumer's handle (call once).
  [[nodiscard]] Completion<T> completion() const { return Completion<T>(state_); }

  // Delivers the result: wakes waiters or runs the continuation (on this thread). Call once.
  void fulfil(T value) {
    auto state = std::move(state_);
    state->fulfil(std::move(value));
  }

 private:
  std::shared_ptr<completion_detail::State<T>> state_;
};

}  // namespace traverse
