#include "traverse/runtime/engine_workflow_runner.hpp"

#include <utility>

namespace traverse {

EngineWorkflowRunner::EngineWorkflowRunner(WorkflowEngine engine, std::size_t capacity)
    : engine_(std::move(engine)), cache_capacity_(capacity) {}

std::expected<std::shared_ptr<const EngineWorkflowRunner>, RuntimeBuildError>
EngineWorkflowRunner::create(const WorkflowRunnerDependencies& dependencies,
                             EngineWorkflowRunnerOptions options) {
  if (options.prepared_cache_capacity == 0) {
    return std::unexpected(RuntimeBuildError{RuntimeBuildErrorKind::InvalidOption,
                                             "prepared_cache_capacity must be > 0"});
  }
  WorkflowEngineOptions engine_options;
  engine_options.broker = dependencies.broker;
  engine_options.max_parallelism = options.max_parallelism.value_or(dependencies.max_parallelism);
  engine_options.scheduler = dependencies.scheduler;
  auto engine = WorkflowEngine::create(dependencies.step_runner, engine_options);
  if (!engine) {
    return std::unexpected(
        RuntimeBuildError{RuntimeBuildErrorKind::WorkflowRunnerFailed, engine.error().message()});
  }
  return std::shared_ptr<const EngineWorkflowRunner>(
      new EngineWorkflowRunner(std::move(*engine), options.prepared_cache_capacity));
}

std::expected<PreparedWorkflow, ValidationErrors> EngineWorkflowRunner::prepared(
    const WorkflowRecordPtr& record) const {
  {
    std::lock_guard lock(cache_mutex_);
    if (const auto it = cache_.find(record.get()); it != cache_.end()) {
      return it->second.prepared;
    }
  }
  // Prepared outside the lock: two threads may both prepare a new record; the second insert is
  // a no-op, and both results are identical.
  auto prepared = WorkflowEngine::prepare(record->definition);
  if (!prepared) {
    return prepared;
  }
  std::lock_guard lock(cache_mutex_);
  if (cache_.emplace(record.get(), CacheEntry{record, *prepared}).second) {
    cache_order_.push_back(record.get());
    while (cache_order_.size() > cache_capacity_) {
      cache_.erase(cache_order_.front());
      cache_order_.pop_front();
    }
  }
  return prepared;
}

WorkflowRun EngineWorkflowRunner::run(const WorkflowInvocation& invocation) const {
  return start(invocation).wait();
}

Completion<WorkflowRun> EngineWorkflowRunner::start(const WorkflowInvocation& invocation) const {
  const WorkflowRecordPtr& record = invocation.workflow;
  if (!record) {
    return Completion<WorkflowRun>::fulfilled(rejected_workflow_run(
        invocation.request_id, "", "",
        WorkflowRunError{WorkflowFailureReason::WorkflowNotFound, "capability_not_found",
                         "WorkflowNotFound", "no workflow was given to run", std::nullopt,
                         std::nullopt, Value::object()}));
  }
  auto workflow = prepared(record);
  WorkflowRunOptions options;
  options.request_id = invocation.request_id;
  options.scope = invocation.scope;
  if (!workflow) {
    // Reported with the same shape the engine gives any definition it cannot run.
    return Completion<WorkflowRun>::fulfilled(
        engine_.run(record->definition, invocation.input, options));
  }
  return engine_.start(*workflow, invocation.input, options);
}

WorkflowRunnerFactory workflow_engine_runner(EngineWorkflowRunnerOptions options) {
  return [options](const WorkflowRunnerDependencies& dependencies) -> WorkflowRunnerResult {
    auto runner = EngineWorkflowRunner::create(dependencies, options);
    if (!runner) {
      return std::unexpected(std::move(runner.error()));
    }
    return std::shared_ptr<const WorkflowRunner>(std::move(*runner));
  };
}

}  // namespace traverse
