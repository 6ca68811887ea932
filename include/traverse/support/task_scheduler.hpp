// traverse/support/task_scheduler.hpp — somewhere to run small tasks: how the WorkflowEngine
// hands ready workflow nodes to the runtime's thread pool without threads of its own.
//
// ThreadPoolExecutor implements it (the runtime passes its native pool to the engine), so the
// process's thread count is the pool's capacity however many workflow runs are in flight.
// Thread safety: `post` is safe to call from many threads at once.
#pragma once

#include <expected>
#include <functional>
#include <string>
#include <string_view>

namespace traverse {

// Why a task was not accepted.
class TaskRefused {
 public:
  enum class Kind {
    ShuttingDown,  // the scheduler is being destroyed; it takes no new work from outside
  };

  TaskRefused(Kind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  // "ShuttingDown: <message>"
  [[nodiscard]] std::string to_string() const;

 private:
  Kind kind_;
  std::string message_;
};

[[nodiscard]] std::string_view to_string(TaskRefused::Kind kind);

class TaskScheduler {
 public:
  using Task = std::move_only_function<void()>;

  virtual ~TaskScheduler() = default;

  // Queues `task` to run once on one of the scheduler's threads, never inline on the caller.
  // A task must not throw (an escaping exception terminates the process: it is a bug in the
  // task, and there is nobody to hand it to). A task may block on a Completion: on a pool
  // worker that runs other queued work meanwhile. Tasks posted by tasks that are already
  // running are always accepted, also during shutdown, so work in flight can finish.
  // Failure: ShuttingDown (nothing was queued). Thread-safe.
  [[nodiscard]] virtual std::expected<void, TaskRefused> post(Task task) const = 0;

 protected:
  TaskScheduler() = default;
  TaskScheduler(const TaskScheduler&) = default;
  TaskScheduler& operator=(const TaskScheduler&) = default;
};

}  // namespace traverse
