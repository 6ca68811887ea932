// traverse/runtime/step_observer.hpp — watching the steps of the workflow runs a runtime makes
// (TraverseRuntime::Builder::with_step_observer), e.g. for a progress display.
//
// The runtime calls started() just before a step is resolved and finished() right after its
// trace entry was written, for every step of every workflow run it makes (workflow-backed
// capabilities, run_workflow, and steps run through step_runner()). Calls come from whatever
// thread runs the step (engine threads, pool workers), several at once.
// Thread safety: implementations must be thread-safe and should return quickly (they run on the
// step's path). An exception thrown by an observer is contained and ignored: observing never
// changes an execution. Ownership: the runtime shares the observer (std::shared_ptr).
#pragma once

#include <expected>

#include "traverse/workflow/step_runner.hpp"

namespace traverse {

class StepObserver {
 public:
  virtual ~StepObserver() = default;

  virtual void started(const StepRequest& request) = 0;
  virtual void finished(const StepRequest& request,
                        const std::expected<StepOutcome, StepFailure>& result) = 0;

 protected:
  StepObserver() = default;
  StepObserver(const StepObserver&) = default;
  StepObserver& operator=(const StepObserver&) = default;
};

}  // namespace traverse
