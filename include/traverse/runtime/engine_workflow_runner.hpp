// traverse/runtime/engine_workflow_runner.hpp — the WorkflowRunner that runs workflow-backed
// capabilities with the WorkflowEngine (docs/workflows.md "Workflow-backed capability", D7).
//
// It is every runtime's default runner; pass `workflow_engine_runner(options)` to
// `TraverseRuntime::Builder::with_workflow_runner` to change its options. Each step then goes back
// through the runtime (resolution, schemas, placement, executor, a TraceStore entry tagged with the
// run id and step index, events), and a 1.1.0 workflow runs up to `max_parallelism` steps at once
// (default: the runtime's native pool capacity) as tasks on the runtime's thread pool (the
// dependencies' scheduler): no run has threads of its own. Prepared workflows are cached per
// registered record (bounded, oldest evicted).
//
// Nested runs: a run started on a pool worker (a native handler that itself runs a
// workflow-backed capability) posts its steps to the same pool; the worker waiting for it runs
// queued work meanwhile, so a busy or capacity-1 pool can never deadlock on its own workflow.
//
// Ownership: created by the factory and owned by the runtime (shared_ptr); it keeps the
// runtime's StepRunner (which refers to the runtime weakly) and broker.
// Thread safety: safe for concurrent access from many threads without external synchronization.
#pragma once

#include <cstddef>
#include <deque>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "traverse/runtime/workflow_runner.hpp"
#include "traverse/workflow/workflow_engine.hpp"

namespace traverse {

struct EngineWorkflowRunnerOptions {
  // Steps of a 1.1.0 workflow running at once (1..=256). nullopt: the max_parallelism the runtime
  // passes (its native pool capacity).
  std::optional<std::size_t> max_parallelism;
  // Prepared (indexed, schema-compiled) workflows kept; beyond it the oldest is dropped and
  // re-prepared when needed. Must be > 0.
  std::size_t prepared_cache_capacity = 256;
};

class EngineWorkflowRunner final : public WorkflowRunner {
 public:
  // Success: a runner over `dependencies` (step runner and broker of the runtime being built).
  // Failure: InvalidOption (cache capacity 0) or WorkflowRunnerFailed (no step runner,
  // max_parallelism outside 1..=256: the engine's message).
  [[nodiscard]] static std::expected<std::shared_ptr<const EngineWorkflowRunner>, RuntimeBuildError>
  create(const WorkflowRunnerDependencies& dependencies, EngineWorkflowRunnerOptions options = {});

  // Runs invocation.workflow on invocation.input with the outer request id and scope. A
  // definition that cannot be prepared gives an Error run (workflow_invalid). Thread-safe.
  [[nodiscard]] WorkflowRun run(const WorkflowInvocation& invocation) const override;
  // As `run`, returning as soon as the first steps are posted. Thread-safe.
  [[nodiscard]] Completion<WorkflowRun> start(const WorkflowInvocation& invocation) const override;

  // The engine the runner uses. Thread-safe.
  [[nodiscard]] const WorkflowEngine& engine() const { return engine_; }

 private:
  EngineWorkflowRunner(WorkflowEngine engine, std::size_t capacity);

  [[nodiscard]] std::expected<PreparedWorkflow, ValidationErrors> prepared(
      const WorkflowRecordPtr& record) const;

  const WorkflowEngine engine_;
  const std::size_t cache_capacity_;

  struct CacheEntry {
    WorkflowRecordPtr record;  // keeps the key's address from being reused while cached
    PreparedWorkflow prepared;
  };
  mutable std::mutex cache_mutex_;
  // State below is protected by cache_mutex_.
  mutable std::map<const WorkflowRecord*, CacheEntry> cache_;
  mutable std::deque<const WorkflowRecord*> cache_order_;  // oldest first
};

// A factory for TraverseRuntime::Builder::with_workflow_runner that creates an
// EngineWorkflowRunner with `options`.
[[nodiscard]] WorkflowRunnerFactory workflow_engine_runner(
    EngineWorkflowRunnerOptions options = {});

}  // namespace traverse
