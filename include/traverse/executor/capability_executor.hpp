// traverse/executor/capability_executor.hpp — the interface every executor implements.
//
// An executor runs one capability on one input. `submit` is the core: it starts the call and
// returns at once with an ExecutorCompletion (wait on it, poll it, or continue with `then`);
// `execute` is the blocking convenience, submit + wait. Implementations keep no per-call state
// beyond the call itself.
//
// Lifetimes: `capability`, `input` and `context` are used by the call until its completion is
// fulfilled; the caller keeps them alive until then (they are not copied).
// Thread safety: `submit` and `execute` are safe to call from many threads at once without
// external synchronisation (each call brings its own ExecutionContext).
#pragma once

#include <expected>

#include "traverse/executor/execution_context.hpp"
#include "traverse/executor/executor_capability.hpp"
#include "traverse/executor/executor_error.hpp"
#include "traverse/executor/executor_output.hpp"
#include "traverse/json/value.hpp"
#include "traverse/support/completion.hpp"

namespace traverse {

// What one call gives: the output and the events emitted, or why there is none.
using ExecutorResult = std::expected<ExecutorOutput, ExecutorError>;
using ExecutorCompletion = Completion<ExecutorResult>;

class CapabilityExecutor {
 public:
  virtual ~CapabilityExecutor() = default;

  // Starts running `capability` on `input` and returns its completion. On success the result is
  // the output value and the events emitted through `context` (also still readable from
  // `context`). On failure: an ExecutorError; any events the capability emitted must not be
  // published. An executor that runs calls on the caller's thread returns a completion that is
  // already fulfilled. Thread-safe.
  [[nodiscard]] virtual ExecutorCompletion submit(const ExecutorCapability& capability,
                                                  const Value& input,
                                                  ExecutionContext& context) const = 0;

  // Runs the call and blocks until it finished: submit(...).wait(). Implementations may override
  // it with a faster blocking path that behaves the same. Thread-safe.
  [[nodiscard]] virtual ExecutorResult execute(const ExecutorCapability& capability,
                                               const Value& input,
                                               ExecutionContext& context) const {
    return submit(capability, input, context).wait();
  }

 protected:
  CapabilityExecutor() = default;
  CapabilityExecutor(const CapabilityExecutor&) = default;
  CapabilityExecutor& operator=(const CapabilityExecutor&) = default;
};

}  // namespace traverse
