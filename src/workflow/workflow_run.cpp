#include "traverse/workflow/workflow_run.hpp"

namespace traverse {

std::string_view to_string(WorkflowRunStatus status) {
  return status == WorkflowRunStatus::Completed ? "completed" : "error";
}

std::string_view to_string(WorkflowStepStatus status) {
  switch (status) {
    case WorkflowStepStatus::Entered:
      return "entered";
    case WorkflowStepStatus::Completed:
      return "completed";
    case WorkflowStepStatus::Failed:
      return "failed";
  }
  return "entered";
}

std::string_view to_string(WorkflowFailureReason reason) {
  switch (reason) {
    case WorkflowFailureReason::WorkflowNotFound:
      return "workflow_not_found";
    case WorkflowFailureReason::WorkflowInvalid:
      return "workflow_invalid";
    case WorkflowFailureReason::AmbiguousNextEdge:
      return "ambiguous_next_edge";
    case WorkflowFailureReason::MissingRequiredEvent:
      return "missing_required_event";
    case WorkflowFailureReason::TerminalNodeNotReached:
      return "terminal_node_not_reached";
    case WorkflowFailureReason::StepExecutionFailed:
      return "step_execution_failed";
    case WorkflowFailureReason::EventSubscriptionFailed:
      return "event_subscription_failed";
    case WorkflowFailureReason::EventBrokerUnavailable:
      return "event_broker_unavailable";
  }
  return "workflow_invalid";
}

Value to_json(const WorkflowRun& run) {
  Value json = Value::object();
  json["run_id"] = run.run_id;
  json["request_id"] = run.request_id;
  json["workflow_id"] = run.workflow_id;
  json["workflow_version"] = run.workflow_version;
  json["status"] = to_string(run.status);
  if (run.output) {
    json["output"] = *run.output;
  }
  if (run.error) {
    const WorkflowRunError& error = *run.error;
    Value e = Value::object();
    e["code"] = error.code();
    e["error_class"] = error.error_class();
    e["message"] = error.message();
    e["failure_reason"] = to_string(error.kind());
    if (error.node_id()) {
      e["node_id"] = *error.node_id();
    }
    if (error.step_index()) {
      e["step_index"] = *error.step_index();
    }
    e["details"] = error.details();
    json["error"] = std::move(e);
  }
  Value steps = Value::array();
  for (const WorkflowStep& step : run.steps) {
    Value s = Value::object();
    s["step_index"] = step.step_index;
    s["node_id"] = step.node_id;
    s["capability"] = step.capability_key();
    s["capability_id"] = step.capability_id;
    s["capability_version"] = step.capability_version;
    s["status"] = to_string(step.status);
    s["duration_ms"] = step.duration_ms;
    if (step.trace_id) {
      s["trace_id"] = *step.trace_id;
    }
    steps.push_back(std::move(s));
  }
  json["steps"] = std::move(steps);
  Value warnings = Value::array();
  for (const WorkflowWarning& warning : run.warnings) {
    warnings.push_back(Value{{"code", warning.code}, {"message", warning.message}});
  }
  json["warnings"] = std::move(warnings);
  return json;
}

}  // namespace traverse
