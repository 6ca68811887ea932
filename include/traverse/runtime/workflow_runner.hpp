// traverse/runtime/workflow_runner.hpp — the seam through which the runtime runs workflow-backed
// capabilities (docs/workflows.md "Workflow-backed capability").
//
// The runtime does not traverse workflows itself. A capability whose artifact is a workflow is
// handed to the WorkflowRunner configured on the builder (TraverseRuntime::Builder::
// with_workflow_runner; by default the WorkflowEngine, see engine_workflow_runner.hpp). The runner
// runs each step back through the runtime with the StepRunner it is given at build time, so
// every step is resolved, validated, placed, traced and publishes its events.
//
// Ownership: the runtime owns the runner (shared_ptr); the runner may keep the StepRunner, which
// refers to the runtime weakly (a step after the runtime is gone fails, it never dangles).
// Thread safety: `run` must be safe to call from many threads at once.
#pragma once

#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "traverse/contracts/runtime_request.hpp"
#include "traverse/events/event_broker.hpp"
#include "traverse/json/value.hpp"
#include "traverse/registry/workflow_registry.hpp"
#include "traverse/runtime/runtime_build_error.hpp"
#include "traverse/support/completion.hpp"
#include "traverse/support/task_scheduler.hpp"
#include "traverse/workflow/step_runner.hpp"
#include "traverse/workflow/workflow_run.hpp"

namespace traverse {

// One workflow-backed execution.
struct WorkflowInvocation {
  WorkflowRecordPtr workflow;  // the registered workflow the capability names (never null)
  Value input;                 // the capability input (already valid against its input schema)
  std::string request_id;      // the outer runtime request id
  LookupScope scope = LookupScope::PublicOnly;  // from the capability record's scope
};

class WorkflowRunner {
 public:
  virtual ~WorkflowRunner() = default;

  // Runs the workflow to completion or failure; a failure is a WorkflowRun with status Error,
  // never an exception. Thread-safe.
  [[nodiscard]] virtual WorkflowRun run(const WorkflowInvocation& invocation) const = 0;

  // Starts the run and returns its completion. The default runs it on the calling thread
  // (run(...), already fulfilled); runners that schedule steps as tasks return at once.
  // Thread-safe.
  [[nodiscard]] virtual Completion<WorkflowRun> start(const WorkflowInvocation& invocation) const {
    return Completion<WorkflowRun>::fulfilled(run(invocation));
  }

 protected:
  WorkflowRunner() = default;
  WorkflowRunner(const WorkflowRunner&) = default;
  WorkflowRunner& operator=(const WorkflowRunner&) = default;
};

// What the runtime hands a WorkflowRunnerFactory while it is being built.
struct WorkflowRunnerDependencies {
  std::shared_ptr<const StepRunner> step_runner;  // runs one step through the runtime path
  std::shared_ptr<EventBroker> broker;            // the runtime's broker (event edges)
  std::size_t max_parallelism = 1;                // the native pool's capacity
  // Where steps run as tasks: the runtime's native thread pool (never null from the runtime).
  std::shared_ptr<const TaskScheduler> scheduler;
};

// Creates the runner once, at TraverseRuntime::Builder::build. A returned error fails build()
// with that error, unchanged (typically kind WorkflowRunnerFailed).
using WorkflowRunnerResult =
    std::expected<std::shared_ptr<const WorkflowRunner>, RuntimeBuildError>;
using WorkflowRunnerFactory =
    std::function<WorkflowRunnerResult(const WorkflowRunnerDependencies&)>;

}  // namespace traverse
