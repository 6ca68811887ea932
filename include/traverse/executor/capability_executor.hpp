// traverse/executor/capability_executor.hpp — the interface every executor implements.
//
// An executor runs one capability on one input. Implementations keep no per-call state.
//
// Thread safety: `execute` is safe to call from many threads at once without external
// synchronisation (each call brings its own ExecutionContext).
#pragma once

#include <expected>

#include "traverse/executor/execution_context.hpp"
#include "traverse/executor/executor_capability.hpp"
#include "traverse/executor/executor_error.hpp"
#include "traverse/executor/executor_output.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

class CapabilityExecutor {
 public:
  virtual ~CapabilityExecutor() = default;

  // Runs `capability` on `input`. On success: the output value and the events emitted through
  // `context` (also still readable from `context`). On failure: an ExecutorError; any events the
  // capability emitted must not be published. Thread-safe.
  [[nodiscard]] virtual std::expected<ExecutorOutput, ExecutorError> execute(
      const ExecutorCapability& capability, const Value& input,
      ExecutionContext& context) const = 0;

 protected:
  CapabilityExecutor() = default;
  CapabilityExecutor(const CapabilityExecutor&) = default;
  CapabilityExecutor& operator=(const CapabilityExecutor&) = default;
};

}  // namespace traverse
