#include "traverse/runtime/runtime_trace.hpp"

#include <cstdint>
#include <string>

#include "traverse/support/digest.hpp"
#include "traverse/support/ids.hpp"

namespace traverse {

std::string_view to_string(RuntimeExecutionStatus status) {
  switch (status) {
    case RuntimeExecutionStatus::NotStarted:
      return "not_started";
    case RuntimeExecutionStatus::Succeeded:
      return "succeeded";
    case RuntimeExecutionStatus::Failed:
      return "failed";
  }
  return "not_started";
}

std::string output_digest(const Value& output) {
  return output_digest_of_canonical(canonical_dump(output));
}

std::string output_digest_of_canonical(std::string_view canonical_output) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t hash = fnv1a64(canonical_output);
  std::string digest = "0.1.0:0000000000000000";  // written in place: one allocation
  for (std::size_t at = digest.size(); hash != 0; hash >>= 4U) {
    digest[--at] = kHex[hash & 0xFU];
  }
  return digest;
}

Value to_json(const RuntimeTrace& trace) {
  Value json = Value::object();
  json["kind"] = "runtime_trace";
  json["schema_version"] = kRuntimeSchemaVersion;
  json["trace_id"] = trace.trace_id;
  json["execution_id"] = trace.execution_id;
  json["request_id"] = trace.request_id;
  json["governing_spec"] = kRuntimeGoverningSpec;
  json["request"] = trace.request_document ? *trace.request_document : to_json(trace.request);

  Value selection = Value::object();
  selection["status"] = trace.capability_id ? "selected" : "not_selected";
  if (trace.capability_id) {
    selection["capability_id"] = *trace.capability_id;
  }
  if (trace.capability_version) {
    selection["capability_version"] = *trace.capability_version;
  }
  if (trace.scope) {
    selection["scope"] = to_string(*trace.scope);
  }
  if (trace.artifact_ref) {
    selection["artifact_ref"] = *trace.artifact_ref;
  }
  json["selection"] = std::move(selection);

  Value placement = Value::object();
  placement["requested_target"] = trace.requested_target;
  if (trace.placement) {
    placement["status"] = "selected";
    placement["selected_target"] = to_string(trace.placement->target);
    placement["reason"] = to_string(trace.placement->reason);
    placement["confidence"] = to_string(trace.placement->confidence);
  } else if (trace.placement_failure) {
    placement["status"] = "rejected";
    placement["reason"] = *trace.placement_failure;
  } else {
    placement["status"] = "not_evaluated";
  }

  Value execution = Value::object();
  execution["placement"] = std::move(placement);
  if (trace.placement) {
    execution["placement_target"] = to_string(trace.placement->target);
  }
  execution["status"] = to_string(trace.execution_status);
  if (trace.artifact_ref) {
    execution["artifact_ref"] = *trace.artifact_ref;
  }
  if (trace.started_at) {
    execution["started_at"] = rfc3339(*trace.started_at);
  }
  if (trace.completed_at) {
    execution["completed_at"] = rfc3339(*trace.completed_at);
  }
  execution["duration_ms"] = trace.execution_duration_ms;
  if (trace.output_digest) {
    execution["output_digest"] = *trace.output_digest;
  }
  if (trace.failure_reason) {
    execution["failure_reason"] = *trace.failure_reason;
  }
  if (trace.error_class) {
    execution["error_class"] = *trace.error_class;
  }
  execution["trace_store_entry"] = trace.trace_store_entry;
  if (!trace.attempts.empty()) {
    execution["attempts"] = to_json(trace.attempts);
  }
  json["execution"] = std::move(execution);

  Value events = Value::array();
  for (const TraverseEvent& event : trace.emitted_events) {
    events.push_back(
        Value{{"id", event.id}, {"event_id", event.event_type}, {"version", event.version}});
  }
  json["emitted_events"] = std::move(events);
  Value publish_errors = Value::array();
  for (const TracePublishError& error : trace.publish_errors) {
    publish_errors.push_back(Value{
        {"event_id", error.event_id}, {"event_type", error.event_type}, {"error", error.error}});
  }
  json["publish_errors"] = std::move(publish_errors);

  Value result = Value::object();
  result["status"] = to_string(trace.status);
  if (trace.error) {
    result["error_code"] = trace.error->code();
    result["error_message"] = trace.error->message();
  }
  json["result"] = std::move(result);
  json["terminal_outcome"] = trace.status == RuntimeStatus::Completed ? "completed" : "error";
  json["received_at"] = rfc3339(trace.received_at);
  json["completed_at"] = rfc3339(trace.finished_at);
  json["total_duration_ms"] = trace.total_duration_ms;
  if (trace.workflow_run_id) {
    json["workflow_run_id"] = *trace.workflow_run_id;
  }
  if (trace.step_index) {
    json["step_index"] = *trace.step_index;
  }
  if (trace.workflow_evidence) {
    json["workflow_evidence"] = *trace.workflow_evidence;
  }
  Value warnings = Value::array();
  for (const RuntimeWarning& warning : trace.warnings) {
    warnings.push_back(Value{{"code", warning.code}, {"message", warning.message}});
  }
  json["warnings"] = std::move(warnings);
  return json;
}

}  // namespace traverse
