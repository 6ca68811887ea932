#include <cxxabi.h>

#include <exception>
#include <utility>

#include "traversal.hpp"

namespace traverse::workflow_detail {
namespace {

std::string failure_class_name(WorkflowFailureReason reason) {
  switch (reason) {
    case WorkflowFailureReason::WorkflowNotFound:
      return "WorkflowNotFound";
    case WorkflowFailureReason::WorkflowInvalid:
      return "WorkflowInvalid";
    case WorkflowFailureReason::AmbiguousNextEdge:
      return "AmbiguousNextEdge";
    case WorkflowFailureReason::MissingRequiredEvent:
      return "MissingRequiredEvent";
    case WorkflowFailureReason::TerminalNodeNotReached:
      return "TerminalNodeNotReached";
    case WorkflowFailureReason::StepExecutionFailed:
      return "StepExecutionFailed";
    case WorkflowFailureReason::EventSubscriptionFailed:
      return "EventSubscriptionFailed";
    case WorkflowFailureReason::EventBrokerUnavailable:
      return "EventBrokerUnavailable";
  }
  return "WorkflowInvalid";
}

}  // namespace

StepResult invoke_step(const RunContext& context, const StepRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  std::expected<StepOutcome, StepFailure> result = std::unexpected(StepFailure{});
  // A StepRunner must not throw; if one does, the exception is contained here so it can neither
  // escape a helper thread nor skip the traversal's bookkeeping.
  try {
    result = context.runner.run_step(request);
  } catch (const abi::__forced_unwind&) {
    throw;  // thread cancellation must unwind
  } catch (const std::exception& e) {
    result = std::unexpected(StepFailure("execution_failed", "ExecutionFailed",
                                         std::string("step runner threw: ") + e.what()));
  } catch (...) {
    result = std::unexpected(StepFailure("execution_failed", "ExecutionFailed",
                                         "step runner threw an unknown exception"));
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  return StepResult{std::move(result), ms > 0 ? static_cast<std::uint64_t>(ms) : 0U};
}

StepResult refused_step(const TaskRefused& refused) {
  return StepResult{
      std::unexpected(StepFailure("execution_failed", "ExecutionFailed",
                                  "the step could not be scheduled: " + refused.to_string())),
      0};
}

StepRequest make_request(const RunContext& context, std::size_t node, std::size_t step_index,
                         Value input) {
  const WorkflowDefinition& wf = context.workflow.definition;
  const WorkflowNode& n = wf.nodes[node];
  StepRequest request;
  request.workflow_run_id = context.run_id;
  request.request_id = context.request_id;
  request.step_index = step_index;
  request.workflow_id = wf.id;
  request.workflow_version = wf.version;
  request.node_id = n.node_id;
  request.capability_id = n.capability_id;
  request.capability_version = n.capability_version;
  request.input = std::move(input);
  request.scope = context.scope;
  return request;
}

Value select_input(const Value& state, const WorkflowNode& node) {
  Value input = Value::object();
  for (const std::string& key : node.from_workflow_input) {
    if (const auto it = state.find(key); it != state.end()) {
      input[key] = *it;
    }
  }
  return input;
}

void update_state(Value& state, const WorkflowNode& node, const Value& output) {
  if (!output.is_object()) {
    return;
  }
  for (const std::string& key : node.to_workflow_state) {
    if (const auto it = output.find(key); it != output.end()) {
      state[key] = *it;
    }
  }
  if (node.publish_to_state_as) {
    state[*node.publish_to_state_as] = output;
  }
}

NodeEvidence enter_node(const RunContext& context, std::size_t node, std::size_t step_index) {
  const WorkflowNode& n = context.workflow.definition.nodes[node];
  NodeEvidence evidence;
  evidence.step.step_index = step_index;
  evidence.step.node_id = n.node_id;
  evidence.step.capability_id = n.capability_id;
  evidence.step.capability_version = n.capability_version;
  evidence.step.status = WorkflowStepStatus::Entered;
  return evidence;
}

void record_success(NodeEvidence& evidence, const StepOutcome& outcome) {
  evidence.step.status = WorkflowStepStatus::Completed;
  if (!outcome.trace_id.empty()) {
    evidence.step.trace_id = outcome.trace_id;
  }
  for (const TraverseEvent& event : outcome.emitted_events) {
    evidence.step.emitted_events.push_back(EventReference{event.event_type, event.version});
    evidence.emitted_events.push_back(Value{{"event_id", event.event_type},
                                            {"version", event.version},
                                            {"node_id", evidence.step.node_id},
                                            {"step_index", evidence.step.step_index}});
  }
}

WorkflowRunError record_failure(NodeEvidence& evidence, const StepFailure& failure) {
  evidence.step.trace_id = failure.trace_id();
  // Reference rule: an unresolvable capability is a workflow_invalid failure and the step stays
  // "entered"; every other step failure marks the step failed.
  const bool unresolved = failure.kind() == StepFailureKind::CapabilityNotFound;
  if (!unresolved) {
    evidence.step.status = WorkflowStepStatus::Failed;
  }
  Value details = failure.details();
  details["step_error"] = Value{{"code", failure.code()},
                                {"error_class", failure.error_class()},
                                {"message", failure.message()}};
  if (failure.trace_id()) {
    details["trace_id"] = *failure.trace_id();
  }
  return WorkflowRunError(unresolved ? WorkflowFailureReason::WorkflowInvalid
                                     : WorkflowFailureReason::StepExecutionFailed,
                          failure.code(), failure.error_class(),
                          "node \"" + evidence.step.node_id + "\" (" +
                              evidence.step.capability_key() + ") failed: " + failure.message(),
                          evidence.step.node_id, evidence.step.step_index, std::move(details));
}

Value edge_json(const WorkflowEdge& edge) {
  Value json{{"edge_id", edge.edge_id},
             {"from", edge.from},
             {"to", edge.to},
             {"trigger", edge.trigger == EdgeTrigger::Direct ? "direct" : "event"}};
  if (edge.event) {
    json["event"] = Value{{"event_id", edge.event->event_id}, {"version", edge.event->version}};
  }
  return json;
}

WorkflowRunError traversal_error(WorkflowFailureReason reason, std::string code,
                                 std::string message, std::optional<std::string> node_id,
                                 std::optional<std::size_t> step_index, Value details) {
  return WorkflowRunError(reason, std::move(code), failure_class_name(reason), std::move(message),
                          std::move(node_id), step_index, std::move(details));
}

Value violations_json(const ValidationErrors& errors) {
  Value list = Value::array();
  for (const ValidationError& error : errors) {
    list.push_back(
        Value{{"code", error.code()}, {"path", error.path()}, {"message", error.message()}});
  }
  return Value{{"violations", std::move(list)}};
}

std::expected<Value, WorkflowRunError> final_output(const RunContext& context, const Value& state) {
  const PreparedWorkflow::Impl& wf = context.workflow;
  Value output = Value::object();
  if (wf.definition.output_projection.empty()) {
    output = state;
  } else {
    for (const std::string& key : wf.definition.output_projection) {
      if (const auto it = state.find(key); it != state.end()) {
        output[key] = *it;
      }
    }
  }
  if (wf.output_validator) {
    ValidationErrors violations = wf.output_validator->validate(output);
    if (!violations.empty()) {
      std::string message = "workflow output does not match the output schema of " +
                            wf.definition.key() + ": " + to_string(violations.front());
      if (violations.size() > 1) {
        message += " (and " + std::to_string(violations.size() - 1) + " more)";
      }
      return std::unexpected(traversal_error(
          WorkflowFailureReason::WorkflowInvalid, "output_validation_failed", std::move(message),
          std::nullopt, std::nullopt, violations_json(violations)));
    }
  }
  return output;
}

WorkflowRun assemble_run(const RunContext& context, std::vector<NodeEvidence> nodes,
                         std::optional<Value> output, std::optional<WorkflowRunError> error) {
  const WorkflowDefinition& wf = context.workflow.definition;
  WorkflowRun run;
  run.run_id = context.run_id;
  run.request_id = context.request_id;
  run.workflow_id = wf.id;
  run.workflow_version = wf.version;

  Value visited = Value::array();
  Value traversed = Value::array();
  Value emitted = Value::array();
  Value waiting = Value::array();
  Value matches = Value::array();
  Value wakes = Value::array();
  Value consumptions = Value::array();
  for (NodeEvidence& node : nodes) {
    const WorkflowStep& step = node.step;
    Value v{{"step_index", step.step_index},       {"node_id", step.node_id},
            {"capability_id", step.capability_id}, {"capability_version", step.capability_version},
            {"status", to_string(step.status)},    {"duration_ms", step.duration_ms}};
    if (step.trace_id) {
      v["trace_id"] = *step.trace_id;
    }
    visited.push_back(std::move(v));
    for (Value& item : node.traversed_edges) {
      traversed.push_back(std::move(item));
    }
    for (Value& item : node.emitted_events) {
      emitted.push_back(std::move(item));
    }
    for (Value& item : node.waiting_edges) {
      waiting.push_back(std::move(item));
    }
    for (Value& item : node.match_records) {
      matches.push_back(std::move(item));
    }
    for (Value& item : node.wake_decisions) {
      wakes.push_back(std::move(item));
    }
    for (Value& item : node.consumptions) {
      consumptions.push_back(std::move(item));
    }
    for (WorkflowWarning& warning : node.warnings) {
      run.warnings.push_back(std::move(warning));
    }
    run.steps.push_back(std::move(node.step));
  }

  Value result = Value::object();
  if (error) {
    run.status = WorkflowRunStatus::Error;
    result["status"] = "failed";
    result["failure_reason"] = to_string(error->kind());
    run.error = std::move(error);
  } else {
    run.status = WorkflowRunStatus::Completed;
    result["status"] = "completed";
    run.output = std::move(output);
  }

  Value evidence = Value::object();
  evidence["kind"] = "workflow_traversal_evidence";
  evidence["schema_version"] = "1.0.0";
  evidence["trace_id"] = "workflow_trace_" + context.request_id;
  evidence["request_id"] = context.request_id;
  evidence["workflow_id"] = wf.id;
  evidence["workflow_version"] = wf.version;
  evidence["workflow_schema_version"] = wf.schema_version;
  evidence["workflow_run_id"] = context.run_id;
  evidence["workflow_execution_id"] = context.execution_id;
  evidence["governing_spec"] = "007-workflow-registry-traversal";
  evidence["visited_nodes"] = std::move(visited);
  evidence["traversed_edges"] = std::move(traversed);
  evidence["emitted_events"] = std::move(emitted);
  evidence["waiting_edges"] = std::move(waiting);
  evidence["event_match_records"] = std::move(matches);
  evidence["event_wake_decisions"] = std::move(wakes);
  evidence["event_consumptions"] = std::move(consumptions);
  evidence["result"] = std::move(result);
  run.evidence = std::move(evidence);
  return run;
}

}  // namespace traverse::workflow_detail
