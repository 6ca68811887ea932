#include "traverse/runtime/engine_workflow_runner.hpp"

#include <utility>

#include "traverse/executor/thread_pool_executor.hpp"

namespace traverse {

bool EngineWorkflowRunner::on_pool_worker() {
  // A workflow started on a pool worker must not wait for other pool tasks (self-deadlock).
  return ThreadPoolExecutor::on_any_worker_thread();
}

EngineWorkflowRunner::EngineWorkflowRunner(WorkflowEngine parallel, WorkflowEngine serial,
                                           std::size_t capacity)
    : parallel_(std::move(parallel)), serial_(std::move(serial)), cache_capacity_(capacity) {}

std::expected<std::shared_ptr<const EngineWorkflowRunner>, std::string>
EngineWorkflowRunner::create(const WorkflowRunnerDependencies& dependencies,
                             EngineWorkflowRunnerOptions options) {
  if (options.prepared_cache_capacity == 0) {
    return std::unexpected(std::string("prepared_cache_capacity must be > 0"));
  }
  WorkflowEngineOptions engine_options;
  engine_options.broker = dependencies.broker;
  engine_options.max_parallelism = options.max_parallelism.value_or(dependencies.max_parallelism);
  auto parallel = WorkflowEngine::create(dependencies.step_runner, engine_options);
  if (!parallel) {
    return std::unexpected(parallel.error().message);
  }
  engine_options.max_parallelism = 1;
  auto serial = WorkflowEngine::create(dependencies.step_runner, engine_options);
  if (!serial) {
    return std::unexpected(serial.error().message);
  }
  return std::shared_ptr<const EngineWorkflowRunner>(new EngineWorkflowRunner(
      std::move(*parallel), std::move(*serial), options.prepared_cache_capacity));
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
  const WorkflowRecordPtr& record = invocation.workflow;
  if (!record) {
    return rejected_workflow_run(
        invocation.request_id, "", "",
        WorkflowRunError{WorkflowFailureReason::WorkflowNotFound, "capability_not_found",
                         "WorkflowNotFound", "no workflow was given to run", std::nullopt,
                         std::nullopt, Value::object()});
  }
  auto workflow = prepared(record);
  WorkflowRunOptions options;
  options.request_id = invocation.request_id;
  options.scope = invocation.scope;
  const WorkflowEngine& engine = on_pool_worker() ? serial_ : parallel_;
  if (!workflow) {
    // Reported with the same shape the engine gives any definition it cannot run.
    return engine.run(record->definition, invocation.input, options);
  }
  return engine.run(*workflow, invocation.input, options);
}

WorkflowRunnerFactory workflow_engine_runner(EngineWorkflowRunnerOptions options) {
  return [options](const WorkflowRunnerDependencies& dependencies)
             -> std::expected<std::shared_ptr<const WorkflowRunner>, std::string> {
    auto runner = EngineWorkflowRunner::create(dependencies, options);
    if (!runner) {
      return std::unexpected(std::move(runner.error()));
    }
    return std::shared_ptr<const WorkflowRunner>(std::move(*runner));
  };
}

}  // namespace traverse
