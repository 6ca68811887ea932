#include "traverse/runtime/runtime_result.hpp"

#include <string>

namespace traverse {

namespace {

struct KindName {
  RuntimeErrorKind kind;
  std::string_view code;
  std::string_view name;
};

constexpr KindName kKinds[] = {
    {RuntimeErrorKind::RequestInvalid, runtime_error_code::kRequestInvalid, "RequestInvalid"},
    {RuntimeErrorKind::CapabilityNotFound, runtime_error_code::kCapabilityNotFound,
     "CapabilityNotFound"},
    {RuntimeErrorKind::CapabilityAmbiguous, runtime_error_code::kCapabilityAmbiguous,
     "CapabilityAmbiguous"},
    {RuntimeErrorKind::CapabilityNotRunnable, runtime_error_code::kCapabilityNotRunnable,
     "CapabilityNotRunnable"},
    {RuntimeErrorKind::PlacementUnsupported, runtime_error_code::kPlacementUnsupported,
     "PlacementUnsupported"},
    {RuntimeErrorKind::ArtifactMissing, runtime_error_code::kArtifactMissing, "ArtifactMissing"},
    {RuntimeErrorKind::ExecutionFailed, runtime_error_code::kExecutionFailed, "ExecutionFailed"},
    {RuntimeErrorKind::OutputValidationFailed, runtime_error_code::kOutputValidationFailed,
     "OutputValidationFailed"},
    {RuntimeErrorKind::ContractViolation, runtime_error_code::kContractViolation,
     "ContractViolation"},
    {RuntimeErrorKind::TraceWriteFailed, runtime_error_code::kTraceWriteFailed, "TraceWriteFailed"},
    {RuntimeErrorKind::WorkflowInvalid, runtime_error_code::kWorkflowInvalid, "WorkflowInvalid"},
};

// Traversal failures reported by the workflow engine.
constexpr std::string_view kWorkflowCodes[] = {
    "ambiguous_next_edge", "missing_required_event", "terminal_node_not_reached",
    "event_broker_unavailable", "event_subscription_failed"};

}  // namespace

std::string_view to_string(RuntimeErrorKind kind) {
  if (kind == RuntimeErrorKind::WorkflowFailed) {
    return "WorkflowFailed";
  }
  for (const KindName& entry : kKinds) {
    if (entry.kind == kind) {
      return entry.name;
    }
  }
  return "ExecutionFailed";
}

RuntimeErrorKind runtime_error_kind(std::string_view code) {
  for (const KindName& entry : kKinds) {
    if (entry.code == code) {
      return entry.kind;
    }
  }
  for (const std::string_view workflow_code : kWorkflowCodes) {
    if (workflow_code == code) {
      return RuntimeErrorKind::WorkflowFailed;
    }
  }
  return RuntimeErrorKind::ExecutionFailed;
}

bool is_rejection(RuntimeErrorKind kind) {
  switch (kind) {
    case RuntimeErrorKind::RequestInvalid:
    case RuntimeErrorKind::CapabilityNotFound:
    case RuntimeErrorKind::CapabilityAmbiguous:
    case RuntimeErrorKind::CapabilityNotRunnable:
    case RuntimeErrorKind::PlacementUnsupported:
    case RuntimeErrorKind::ArtifactMissing:
    case RuntimeErrorKind::ContractViolation:
    case RuntimeErrorKind::WorkflowInvalid:
      return true;
    case RuntimeErrorKind::ExecutionFailed:
    case RuntimeErrorKind::OutputValidationFailed:
    case RuntimeErrorKind::TraceWriteFailed:
    case RuntimeErrorKind::WorkflowFailed:
      return false;
  }
  return false;
}

std::string_view to_string(RuntimeStatus status) {
  return status == RuntimeStatus::Completed ? "completed" : "error";
}

Value to_json(const RuntimeError& error) {
  return Value{{"code", error.code()}, {"message", error.message()}, {"details", error.details()}};
}

Value to_json(const RuntimeResult& result) {
  Value json = Value::object();
  json["kind"] = "runtime_result";
  json["schema_version"] = kRuntimeSchemaVersion;
  json["execution_id"] = result.execution_id;
  json["request_id"] = result.request_id;
  json["status"] = to_string(result.status);
  json["trace_ref"] = result.trace_ref;
  if (result.output) {
    json["output"] = *result.output;
  }
  if (result.error) {
    json["error"] = to_json(*result.error);
  }
  Value warnings = Value::array();
  for (const RuntimeWarning& warning : result.warnings) {
    warnings.push_back(Value{{"code", warning.code}, {"message", warning.message}});
  }
  json["warnings"] = std::move(warnings);
  return json;
}

}  // namespace traverse
