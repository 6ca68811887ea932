// traverse/runtime/run_workflow.hpp — running a registered workflow directly through a runtime
// (the `traverse workflow run` path; docs/workflows.md "workflow_execution_request").
//
// The workflow is looked up in the runtime's WorkflowRegistry and run by an EngineWorkflowRunner
// over the runtime's StepRunner and broker, so every step takes the full execution path and
// leaves a TraceStore entry carrying the run id and step index (TraceStore::list_run).
// Thread safety: safe to call from many threads at once (the runtime is thread-safe).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "traverse/contracts/runtime_request.hpp"
#include "traverse/json/value.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/workflow/workflow_run.hpp"

namespace traverse {

struct WorkflowRunRequest {
  std::string workflow_id;
  // Exact version; nullopt: the only visible version of workflow_id (several → not found, the
  // message lists them).
  std::optional<std::string> workflow_version;
  Value input = Value::object();
  // Names the run's evidence; empty: the run id.
  std::string request_id;
  // Where the workflow and its nodes' capabilities are resolved.
  LookupScope scope = LookupScope::PreferPrivate;
  // Steps of a 1.1.0 workflow running at once; nullopt: the runtime's native pool capacity
  // (TraverseRuntime::native_pool_capacity()). Steps run as tasks on the runtime's pool.
  std::optional<std::size_t> max_parallelism;
};

// Runs the workflow and returns the run, completed or not. A workflow that is not registered (or
// ambiguous without a version) gives an Error run with reason WorkflowNotFound and code
// capability_not_found (the reference reuses that code); an out-of-range max_parallelism gives
// WorkflowInvalid / request_invalid. No step runs in either case. Thread-safe.
[[nodiscard]] WorkflowRun run_workflow(const TraverseRuntime& runtime,
                                       const WorkflowRunRequest& request);

}  // namespace traverse
