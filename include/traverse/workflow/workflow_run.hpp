// traverse/workflow/workflow_run.hpp — the result of one workflow run, with its evidence.
//
// A WorkflowRun is what WorkflowEngine::run returns for every run, successful or not: the status,
// the final output or the error (naming the failed node, its error class and message), one
// WorkflowStep per node that was entered, and the workflow traversal evidence (the workflow
// trace, docs/workflows.md) as JSON. A run that fails is still a value, never an exception.
// Value type; thread-compatible.
//
// Evidence JSON (`WorkflowRun::evidence`), keys sorted as every Traverse JSON object:
//   kind "workflow_traversal_evidence", schema_version "1.0.0", trace_id
//   "workflow_trace_<request_id>", request_id, workflow_id, workflow_version,
//   workflow_schema_version ("1.0.0" | "1.1.0"), workflow_run_id (UUID), workflow_execution_id
//   "workflow_exec_<request_id>", governing_spec "007-workflow-registry-traversal";
//   visited_nodes[{step_index, node_id, capability_id, capability_version,
//                  status entered|completed|failed, trace_id?, duration_ms}];
//   traversed_edges[{edge_id, from, to, trigger direct|event, event?{event_id, version}}];
//   emitted_events[{event_id, version, node_id, step_index}];
//   waiting_edges[{workflow_execution_id, edge_id, from_node_id, to_node_id,
//                  event_ref{event_id, version}, predicate?{field, equals}}];
//   event_match_records[{record_id?, source local|broker, step_index, node_id,
//                        workflow_execution_id, edge_id, event_id?, version?, subscription_id?,
//                        cursor?, result matched|not_matched|already_consumed,
//                        predicate_result? passed|failed, reason?, recorded_at}];
//   event_wake_decisions[{decision_type "event_wake", workflow_execution_id, edge_id,
//                         from_node_id, to_node_id, record_id, wake_order, result "taken",
//                         recorded_at}];
//   event_consumptions[{consumption_key, record_id, workflow_execution_id, edge_id,
//                       consumed_at}];
//   result{status completed|failed, failure_reason?}.
// Every list is in step order (1.1.0: topological step index, whatever the scheduling), so for
// the same definition, input and step results the evidence is identical except for
// `workflow_run_id` and the `duration_ms` timings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "traverse/contracts/vocabulary.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

enum class WorkflowRunStatus { Completed, Error };
[[nodiscard]] std::string_view to_string(WorkflowRunStatus status);  // "completed" | "error"

enum class WorkflowStepStatus { Entered, Completed, Failed };
[[nodiscard]] std::string_view to_string(WorkflowStepStatus status);  // "entered", ...

// Why a run failed: the evidence `result.failure_reason` (docs/workflows.md).
//   WorkflowNotFound        — the workflow is not registered (reported by the runtime).
//   WorkflowInvalid         — the input or final output violates the workflow schema, the
//                             definition cannot be run, or a node's capability is not registered.
//   AmbiguousNextEdge       — 1.0.0: more than one direct edge, or more than one event edge taken.
//   MissingRequiredEvent    — a non-terminal node with event edges: none of them matched.
//   TerminalNodeNotReached  — a non-terminal node without outgoing edges completed.
//   StepExecutionFailed     — a step failed (input/output schema, placement, execution, ...).
//   EventSubscriptionFailed — an event edge names an event type the broker does not know.
//   EventBrokerUnavailable  — any other broker error while looking for an edge's event.
enum class WorkflowFailureReason {
  WorkflowNotFound,
  WorkflowInvalid,
  AmbiguousNextEdge,
  MissingRequiredEvent,
  TerminalNodeNotReached,
  StepExecutionFailed,
  EventSubscriptionFailed,
  EventBrokerUnavailable,
};
// snake_case, e.g. "step_execution_failed".
[[nodiscard]] std::string_view to_string(WorkflowFailureReason reason);

// One node that was entered, in step order.
struct WorkflowStep {
  std::size_t step_index = 0;
  std::string node_id;
  std::string capability_id;
  std::string capability_version;
  WorkflowStepStatus status = WorkflowStepStatus::Entered;
  std::uint64_t duration_ms = 0;        // wall time of the step runner call
  std::optional<std::string> trace_id;  // the step's TraceStore entry, when one was written
  std::vector<EventReference> emitted_events;

  // "capability_id@capability_version"
  [[nodiscard]] std::string capability_key() const {
    return capability_id + "@" + capability_version;
  }
};

class WorkflowRunError {
 public:
  WorkflowRunError() = default;
  WorkflowRunError(WorkflowFailureReason reason, std::string code, std::string error_class,
                   std::string message, std::optional<std::string> node_id = std::nullopt,
                   std::optional<std::size_t> step_index = std::nullopt,
                   Value details = Value::object())
      : reason_(reason),
        code_(std::move(code)),
        error_class_(std::move(error_class)),
        message_(std::move(message)),
        node_id_(std::move(node_id)),
        step_index_(step_index),
        details_(std::move(details)) {}

  // Why the run failed (the evidence's result.failure_reason).
  [[nodiscard]] WorkflowFailureReason kind() const { return reason_; }
  // snake_case runtime code: the failed step's code (execution_failed, request_invalid,
  // output_validation_failed, capability_not_found, ...) or, for traversal failures,
  // request_invalid / output_validation_failed / ambiguous_next_edge / missing_required_event /
  // terminal_node_not_reached / event_broker_unavailable.
  [[nodiscard]] const std::string& code() const { return code_; }
  // PascalCase class: the step's (e.g. "ExecutionFailed") or the traversal failure's
  // (e.g. "AmbiguousNextEdge", "WorkflowInvalid").
  [[nodiscard]] const std::string& error_class() const { return error_class_; }
  // Names the failed node and what went wrong.
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] const std::optional<std::string>& node_id() const { return node_id_; }
  [[nodiscard]] const std::optional<std::size_t>& step_index() const { return step_index_; }
  // e.g. {"violations": [{code, path, message}]}
  [[nodiscard]] const Value& details() const { return details_; }
  // "code: message", e.g. "missing_required_event: node \"a\": ...".
  [[nodiscard]] std::string to_string() const { return code_ + ": " + message_; }

 private:
  WorkflowFailureReason reason_ = WorkflowFailureReason::WorkflowInvalid;
  std::string code_;
  std::string error_class_;
  std::string message_;
  std::optional<std::string> node_id_;
  std::optional<std::size_t> step_index_;
  Value details_ = Value::object();
};

struct WorkflowWarning {
  std::string code;  // e.g. "event_broker_subscription_cleanup_failed"
  std::string message;
};

struct WorkflowRun {
  std::string run_id;      // UUIDv4, also on every step's trace entry
  std::string request_id;  // the outer request id, or the run id
  std::string workflow_id;
  std::string workflow_version;
  WorkflowRunStatus status = WorkflowRunStatus::Error;
  std::optional<Value> output;            // set when Completed
  std::optional<WorkflowRunError> error;  // set when Error
  std::vector<WorkflowStep> steps;        // every entered node, in step order
  std::vector<WorkflowWarning> warnings;
  Value evidence = Value::object();  // the workflow traversal evidence (see the file comment)

  [[nodiscard]] bool completed() const { return status == WorkflowRunStatus::Completed; }
};

// A run that failed before any step ran (e.g. the workflow is not registered, or its definition
// cannot be run): a fresh run id, no steps, and evidence with empty lists and result
// {status "failed", failure_reason}. An empty `request_id` becomes the run id.
[[nodiscard]] WorkflowRun rejected_workflow_run(std::string_view request_id,
                                                std::string_view workflow_id,
                                                std::string_view workflow_version,
                                                WorkflowRunError error);

// JSON form: {run_id, request_id, workflow_id, workflow_version, status, output?, error?{code,
// error_class, message, failure_reason, node_id?, step_index?, details}, steps[{step_index,
// node_id, capability ("id@version"), capability_id, capability_version, status, duration_ms,
// trace_id?}], warnings[{code, message}]} — the evidence is not included (see `evidence`).
[[nodiscard]] Value to_json(const WorkflowRun& run);

}  // namespace traverse
