// traverse/workflow/workflow_engine.hpp — traverses a workflow definition, step by step.
//
// `schema_version` 1.0.0 workflows follow the reference traversal exactly (docs/workflows.md,
// "1.0.0: one node at a time"): one node at a time from start_node, direct edges first, then event
// edges matched against the node's own emitted events and then the broker's retained events, until
// a terminal node. `schema_version` 1.1.0 workflows (D7) are a DAG run with the same per-node
// rules, except that a completed node takes *every* direct edge (fan-out), or, without direct
// edges, every event edge that matched. A node waits until all its incoming edges are resolved; it
// runs if at least one was taken and every incoming direct edge was taken (a join runs once all its
// direct predecessors completed), and is skipped otherwise (its own edges then resolve as not
// taken). Ready nodes run concurrently, at most `max_parallelism` at once.
//
// Ownership: the engine shares its StepRunner, optional EventBroker and optional TaskScheduler
// (std::shared_ptr); a run in flight keeps them and its PreparedWorkflow alive until it ends. A
// PreparedWorkflow owns a copy of its definition. Both are cheap to copy.
// Thread safety: `start` and `run` are const and safe to call from many threads at once; a
// PreparedWorkflow is immutable.
//
// Scheduling. With a TaskScheduler (the runtime passes its ThreadPoolExecutor), every step is a
// task on it and the run has no thread of its own: `start` posts the first ready nodes and
// returns; whichever thread finishes a step records it, evaluates its edges and posts the nodes
// that became ready (in topological order, at most max_parallelism running at once); the last
// step's thread assembles the run and fulfils the completion. So the process's thread count is
// the scheduler's, however many runs are in flight, and a run started on a pool worker (a nested
// workflow inside a native handler) needs nothing special: a worker waiting for a run's
// completion runs queued work meanwhile. Without a scheduler every step runs on the thread that
// calls `start`/`run`, one at a time, before it returns.
// When a step fails (or a node cannot continue), no new node starts; steps already running finish
// and are recorded, and the run reports the failure of the lowest step index.
//
// Determinism (1.1.0). A node's input is read from the workflow input plus the outputs of its
// completed ancestors, merged in topological order, so it never depends on sibling timing; the
// final state merges every completed node in topological order; steps and evidence are listed by
// topological step index. A successful run therefore gives the same output and evidence for any
// max_parallelism and any scheduling (except timings, the run id, and broker-sourced event
// matches, which see whatever the broker retains when the node's edges are evaluated).
#pragma once

#include <cstddef>
#include <expected>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "traverse/contracts/runtime_request.hpp"
#include "traverse/contracts/validation_error.hpp"
#include "traverse/contracts/workflow_definition.hpp"
#include "traverse/events/event_broker.hpp"
#include "traverse/json/value.hpp"
#include "traverse/support/completion.hpp"
#include "traverse/support/task_scheduler.hpp"
#include "traverse/workflow/step_runner.hpp"
#include "traverse/workflow/workflow_run.hpp"

namespace traverse {

// Upper bounds the engine enforces (bounded resources); the node bound is the parser's
// kMaxWorkflowNodes (workflow_definition.hpp).
inline constexpr std::size_t kMaxWorkflowParallelism = 256;  // same bound as the thread pool
// Broker events read per event type when matching one node's event edges (256 per poll).
inline constexpr std::size_t kMaxBrokerEventsPerScan = 16384;

struct WorkflowEngineOptions {
  // Behaviour
  // Source of pass 2 of event-edge matching (retained events of the edge's type). Null: only the
  // node's own emitted events can satisfy an event edge.
  std::shared_ptr<EventBroker> broker;

  // Performance
  // Where steps run (see the file comment). Null: on the calling thread, one at a time.
  std::shared_ptr<const TaskScheduler> scheduler;
  // 1.1.0 workflows with a scheduler: at most this many steps of one run at once
  // (1..=kMaxWorkflowParallelism). The runtime passes its thread-pool capacity. 1.0.0 workflows
  // always run one step at a time.
  std::size_t max_parallelism = 1;
};

// Why an engine could not be created. Fix the configuration; do not retry.
class WorkflowConfigError {
 public:
  enum class Kind { MissingStepRunner, InvalidParallelism };

  WorkflowConfigError(Kind kind, std::size_t given, std::string message)
      : kind_(kind), given_(given), message_(std::move(message)) {}

  [[nodiscard]] Kind kind() const { return kind_; }
  // InvalidParallelism: the rejected value; 0 otherwise.
  [[nodiscard]] std::size_t given() const { return given_; }
  // E.g. "max_parallelism must be in 1..=256, got 0".
  [[nodiscard]] const std::string& message() const { return message_; }
  // "<Kind>: <message>", e.g. "InvalidParallelism: max_parallelism must be in 1..=256, got 0".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const WorkflowConfigError&, const WorkflowConfigError&) = default;

 private:
  Kind kind_;
  std::size_t given_;
  std::string message_;
};

// Per-run options.
struct WorkflowRunOptions {
  // Names the run in the evidence ("workflow_trace_<request_id>", "workflow_exec_<request_id>")
  // and in synthetic record ids. Empty: the run id is used.
  std::string request_id;
  // Where node capabilities are resolved (passed to the StepRunner).
  LookupScope scope = LookupScope::PublicOnly;
};

// A definition checked and indexed for running: adjacency, a topological order (Kahn, ties by
// node_id), each node's ancestors, and the compiled input/output schemas. Immutable.
class PreparedWorkflow {
 public:
  [[nodiscard]] const WorkflowDefinition& definition() const;
  // Node ids in topological order; a 1.1.0 node's step index is its position here.
  [[nodiscard]] std::vector<std::string> topological_order() const;

  struct Impl;  // implementation detail (src/workflow)

 private:
  friend class WorkflowEngine;
  explicit PreparedWorkflow(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

class WorkflowEngine {
 public:
  // Success: an engine running steps through `runner`. Failure: MissingStepRunner (null runner),
  // InvalidParallelism (max_parallelism outside 1..=kMaxWorkflowParallelism).
  [[nodiscard]] static std::expected<WorkflowEngine, WorkflowConfigError> create(
      std::shared_ptr<const StepRunner> runner, WorkflowEngineOptions options = {});

  // Checks what the engine relies on and compiles the schemas. Failure (all problems, with JSON
  // paths): unknown schema_version, no nodes, more than kMaxWorkflowNodes nodes, start, terminal
  // or edge endpoint naming no node, a cycle, an event edge without an event, a schema that does
  // not compile. A definition accepted by parse_workflow_definition always prepares unless its
  // schemas are malformed. Thread-safe (pure).
  [[nodiscard]] static std::expected<PreparedWorkflow, ValidationErrors> prepare(
      const WorkflowDefinition& definition);

  // Starts the workflow on `input` and returns at once (with a scheduler) with the completion of
  // the run, completed or not (see WorkflowRun). The input is validated against the workflow's
  // input schema first and the final output against its output schema. Thread-safe.
  [[nodiscard]] Completion<WorkflowRun> start(const PreparedWorkflow& workflow, const Value& input,
                                              const WorkflowRunOptions& options = {}) const;

  // start(...).wait(): runs the workflow and returns the run. On a pool worker the wait runs
  // other queued work. Thread-safe.
  [[nodiscard]] WorkflowRun run(const PreparedWorkflow& workflow, const Value& input,
                                const WorkflowRunOptions& options = {}) const;

  // prepare + run; a definition that does not prepare gives an Error run (workflow_invalid,
  // code request_invalid, the problems in details.violations). Thread-safe.
  [[nodiscard]] WorkflowRun run(const WorkflowDefinition& definition, const Value& input,
                                const WorkflowRunOptions& options = {}) const;

  [[nodiscard]] const WorkflowEngineOptions& options() const { return options_; }

 private:
  WorkflowEngine(std::shared_ptr<const StepRunner> runner, WorkflowEngineOptions options);
  std::shared_ptr<const StepRunner> runner_;
  WorkflowEngineOptions options_;
};

}  // namespace traverse
