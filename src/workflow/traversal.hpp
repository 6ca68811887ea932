// Internal to the workflow module: the pieces both traversals (1.0.0 sequential, 1.1.0 parallel)
// share — the prepared graph, step invocation, state updates, event-edge matching and evidence
// assembly. Not installed; not part of the public API.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "traverse/contracts/schema_validator.hpp"
#include "traverse/contracts/workflow_definition.hpp"
#include "traverse/events/event_broker.hpp"
#include "traverse/json/value.hpp"
#include "traverse/support/completion.hpp"
#include "traverse/support/task_scheduler.hpp"
#include "traverse/workflow/step_runner.hpp"
#include "traverse/workflow/workflow_engine.hpp"
#include "traverse/workflow/workflow_run.hpp"

namespace traverse {

struct PreparedWorkflow::Impl {
  WorkflowDefinition definition;
  bool parallel = false;                                       // schema_version 1.1.0
  std::map<std::string, std::size_t, std::less<>> node_index;  // node_id → declaration index
  std::vector<std::vector<std::size_t>> out_edges;  // per node: edge indices, declaration order
  std::vector<std::vector<std::size_t>> in_edges;   // per node: edge indices, declaration order
  std::vector<std::size_t> direct_in_count;         // per node: incoming direct edges
  std::vector<std::size_t> topo_order;              // declaration indices in topological order
  std::vector<std::size_t> topo_position;           // declaration index → position in topo_order
  // 1.1.0 only: per node, the declaration indices of its ancestors, in topological order.
  std::vector<std::vector<std::size_t>> ancestors;
  std::vector<bool> terminal;  // per node
  std::size_t start = 0;       // declaration index of start_node
  std::optional<SchemaValidator> input_validator;
  std::optional<SchemaValidator> output_validator;
};

namespace workflow_detail {

// Everything a traversal needs that does not change during the run.
struct RunContext {
  const PreparedWorkflow::Impl& workflow;
  const StepRunner& runner;
  EventBroker* broker;  // null: no broker pass
  std::string run_id;
  std::string request_id;
  std::string execution_id;  // "workflow_exec_<request_id>"
  LookupScope scope;
};

// One run in flight: its context and what keeps everything the context refers to alive until the
// run's last step has finished (steps run as tasks on the scheduler, after `start` returned).
struct RunState {
  RunState(std::shared_ptr<const PreparedWorkflow::Impl> workflow,
           std::shared_ptr<const StepRunner> step_runner, std::shared_ptr<EventBroker> event_broker,
           std::shared_ptr<const TaskScheduler> task_scheduler, std::string run_id,
           std::string request_id, LookupScope scope)
      : workflow_owner(std::move(workflow)),
        runner_owner(std::move(step_runner)),
        broker_owner(std::move(event_broker)),
        scheduler(std::move(task_scheduler)),
        context{*workflow_owner,
                *runner_owner,
                broker_owner.get(),
                std::move(run_id),
                request_id,
                "workflow_exec_" + request_id,
                scope} {}

  const std::shared_ptr<const PreparedWorkflow::Impl> workflow_owner;
  const std::shared_ptr<const StepRunner> runner_owner;
  const std::shared_ptr<EventBroker> broker_owner;
  // Where steps run; null: on the thread that starts the run, one at a time.
  const std::shared_ptr<const TaskScheduler> scheduler;
  const RunContext context;
};

// What one StepRunner call gave, and how long it took.
struct StepResult {
  std::expected<StepOutcome, StepFailure> result;
  std::uint64_t duration_ms = 0;
};

// Calls runner.run_step, timing it; an escaping exception becomes an ExecutionFailed failure.
[[nodiscard]] StepResult invoke_step(const RunContext& context, const StepRequest& request);

// The request for `node` with `input`.
[[nodiscard]] StepRequest make_request(const RunContext& context, std::size_t node,
                                       std::size_t step_index, Value input);

// Only the node's from_workflow_input keys present in `state`.
[[nodiscard]] Value select_input(const Value& state, const WorkflowNode& node);

// Reference update_state: to_workflow_state keys present in the output, then the
// publish_to_state_as namespace; a non-object output changes nothing.
void update_state(Value& state, const WorkflowNode& node, const Value& output);

// Everything one entered node contributes to the run and its evidence.
struct NodeEvidence {
  WorkflowStep step;
  std::vector<Value> traversed_edges;
  std::vector<Value> emitted_events;
  std::vector<Value> waiting_edges;
  std::vector<Value> match_records;
  std::vector<Value> wake_decisions;
  std::vector<Value> consumptions;
  std::vector<WorkflowWarning> warnings;
};

[[nodiscard]] NodeEvidence enter_node(const RunContext& context, std::size_t node,
                                      std::size_t step_index);

// Records a successful step on `evidence` (status, trace id, emitted events).
void record_success(NodeEvidence& evidence, const StepOutcome& outcome);

// Records a failed step on `evidence` and returns the run error it causes.
[[nodiscard]] WorkflowRunError record_failure(NodeEvidence& evidence, const StepFailure& failure);

[[nodiscard]] Value edge_json(const WorkflowEdge& edge);

// Result of matching a node's event edges (docs/workflows.md).
struct EventEdgeEvaluation {
  std::vector<std::size_t> taken;         // distinct edge indices, in the order first taken
  std::optional<WorkflowRunError> error;  // event_subscription_failed / event_broker_unavailable
};

// Matches `event_edges` (edge indices) of `node` against its emitted events, then — for edges
// still unresolved — against the broker's retained events. Appends waiting edges, match records,
// wake decisions, consumptions and warnings to `evidence`; `consumed` holds the traversal's
// consumption keys.
[[nodiscard]] EventEdgeEvaluation evaluate_event_edges(const RunContext& context, std::size_t node,
                                                       const std::vector<std::size_t>& event_edges,
                                                       const std::vector<TraverseEvent>& emitted,
                                                       std::set<std::string>& consumed,
                                                       NodeEvidence& evidence);

// Errors of the traversal itself (no step failed).
[[nodiscard]] WorkflowRunError traversal_error(WorkflowFailureReason reason, std::string code,
                                               std::string message,
                                               std::optional<std::string> node_id = std::nullopt,
                                               std::optional<std::size_t> step_index = std::nullopt,
                                               Value details = Value::object());

// {"violations": [{code, path, message}, ...]}
[[nodiscard]] Value violations_json(const ValidationErrors& errors);

// Final output (whole state, or only the projected keys present) checked against the output
// schema. Error: workflow_invalid / output_validation_failed.
[[nodiscard]] std::expected<Value, WorkflowRunError> final_output(const RunContext& context,
                                                                  const Value& state);

// Builds the WorkflowRun: steps and evidence from `nodes` (already in step order), the status
// from `output` / `error`.
[[nodiscard]] WorkflowRun assemble_run(const RunContext& context, std::vector<NodeEvidence> nodes,
                                       std::optional<Value> output,
                                       std::optional<WorkflowRunError> error);

// A failed step for a node whose task the scheduler refused.
[[nodiscard]] StepResult refused_step(const TaskRefused& refused);

// The two traversals. `state` is the initial state (input object, or {"input": v}). Each starts
// the run and returns; the run fulfils `promise` when it ends. With a scheduler every step runs
// as a task on it (no thread of the run's own); without one, every step runs on the calling
// thread before the function returns.
void start_sequential(std::shared_ptr<RunState> run, Value state,
                      CompletionPromise<WorkflowRun> promise);
void start_parallel(std::shared_ptr<RunState> run, Value state, std::size_t max_parallelism,
                    CompletionPromise<WorkflowRun> promise);

}  // namespace workflow_detail
}  // namespace traverse
