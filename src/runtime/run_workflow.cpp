#include "traverse/runtime/run_workflow.hpp"

#include "traverse/runtime/engine_workflow_runner.hpp"

namespace traverse {

WorkflowRun run_workflow(const TraverseRuntime& runtime, const WorkflowRunRequest& request) {
  const std::string version = request.workflow_version.value_or("");
  auto found = request.workflow_version
                   ? runtime.workflow_registry()->find_exact(
                         request.workflow_id, *request.workflow_version, request.scope)
                   : runtime.workflow_registry()->find_by_id(request.workflow_id, request.scope);
  if (!found) {
    return rejected_workflow_run(
        request.request_id, request.workflow_id, version,
        WorkflowRunError{WorkflowFailureReason::WorkflowNotFound, "capability_not_found",
                         "WorkflowNotFound",
                         "workflow " + request.workflow_id +
                             (request.workflow_version ? "@" + version : std::string()) +
                             " cannot be run: " + found.error().message(),
                         std::nullopt, std::nullopt, Value::object()});
  }

  WorkflowRunnerDependencies dependencies;
  dependencies.step_runner = runtime.step_runner();
  dependencies.broker = runtime.broker();
  dependencies.scheduler = runtime.scheduler();
  dependencies.max_parallelism = runtime.native_pool_capacity();
  EngineWorkflowRunnerOptions options;
  options.max_parallelism = request.max_parallelism;
  options.prepared_cache_capacity = 1;
  auto runner = EngineWorkflowRunner::create(dependencies, options);
  if (!runner) {
    return rejected_workflow_run(
        request.request_id, (*found)->definition.id, (*found)->definition.version,
        WorkflowRunError{WorkflowFailureReason::WorkflowInvalid, "request_invalid",
                         "WorkflowInvalid",
                         "workflow run options rejected: " + runner.error().message(), std::nullopt,
                         std::nullopt, Value::object()});
  }
  return (*runner)->run(
      WorkflowInvocation{*found, request.input, request.request_id, request.scope});
}

}  // namespace traverse
