// traverse/runtime/runtime_result.hpp — what TraverseRuntime::execute_capability returns
// (docs/error-handling.md "RuntimeResult").
//
// JSON (to_json): {kind "runtime_result", schema_version "1.0.0", execution_id, request_id,
// status "completed"|"error", trace_ref, output?, error?{code, message, details}, warnings[{code,
// message}]}. Error codes are the reference's snake_case codes (constants below); a workflow-backed
// capability may also report the workflow engine's codes. Value type; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "traverse/json/value.hpp"

namespace traverse {

inline constexpr std::string_view kRuntimeSchemaVersion = "1.0.0";

// Error codes (docs/error-handling.md). What the caller should do next:
namespace runtime_error_code {
// The request is malformed or its input violates the input schema: fix the request.
inline constexpr std::string_view kRequestInvalid = "request_invalid";
// Nothing registered matches: register the capability or fix id/version/scope.
inline constexpr std::string_view kCapabilityNotFound = "capability_not_found";
// Several versions match: name an exact version or a narrower range.
inline constexpr std::string_view kCapabilityAmbiguous = "capability_ambiguous";
// It exists but may not run here (lifecycle, local target, constraints): do not retry.
inline constexpr std::string_view kCapabilityNotRunnable = "capability_not_runnable";
// The requested target is not `local`, or no permitted target is eligible.
inline constexpr std::string_view kPlacementUnsupported = "placement_unsupported";
// No implementation is available (no handler, no binary, no executor, no workflow runner).
inline constexpr std::string_view kArtifactMissing = "artifact_missing";
// The capability ran and failed (details.error_class says how; see executor_error.hpp).
inline constexpr std::string_view kExecutionFailed = "execution_failed";
// The output violates the output schema: the capability is wrong, do not retry.
inline constexpr std::string_view kOutputValidationFailed = "output_validation_failed";
// The contract itself cannot be enforced (e.g. a schema that does not compile).
inline constexpr std::string_view kContractViolation = "contract_violation";
// The execution's trace entry could not be written: nothing was published and no output is
// returned (nothing happens without a record). Fix the trace store, then retry.
inline constexpr std::string_view kTraceWriteFailed = "trace_write_failed";
// A workflow definition cannot be run (workflow engine code).
inline constexpr std::string_view kWorkflowInvalid = "workflow_invalid";
}  // namespace runtime_error_code

// The typed form of RuntimeError::code, for callers that branch on the error (the CLI maps
// kinds to exit codes). Every runtime_error_code has its own kind; the workflow engine's
// traversal codes (ambiguous_next_edge, missing_required_event, terminal_node_not_reached,
// event_broker_unavailable, ...) are WorkflowFailed; an unknown code is ExecutionFailed.
enum class RuntimeErrorKind {
  RequestInvalid,
  CapabilityNotFound,
  CapabilityAmbiguous,
  CapabilityNotRunnable,
  PlacementUnsupported,
  ArtifactMissing,
  ExecutionFailed,
  OutputValidationFailed,
  ContractViolation,
  TraceWriteFailed,
  WorkflowInvalid,
  WorkflowFailed,
};
// PascalCase, e.g. "RequestInvalid".
[[nodiscard]] std::string_view to_string(RuntimeErrorKind kind);
// The kind of a snake_case code (see RuntimeErrorKind).
[[nodiscard]] RuntimeErrorKind runtime_error_kind(std::string_view code);
// True for kinds that reject an attempt before anything ran (the trace outcome is Rejected).
[[nodiscard]] bool is_rejection(RuntimeErrorKind kind);

class RuntimeError {
 public:
  RuntimeError() = default;
  // `code` is one of runtime_error_code (or a workflow engine code); kind() is derived from it.
  RuntimeError(std::string code, std::string message, Value details = Value::object())
      : kind_(runtime_error_kind(code)),
        code_(std::move(code)),
        message_(std::move(message)),
        details_(std::move(details)) {}

  // The typed kind of `code` (runtime_error_kind(code)).
  [[nodiscard]] RuntimeErrorKind kind() const { return kind_; }
  // The snake_case code, e.g. "request_invalid" (the JSON form's error.code).
  [[nodiscard]] const std::string& code() const { return code_; }
  // Human text naming what failed and what was expected.
  [[nodiscard]] const std::string& message() const { return message_; }
  // Machine-readable specifics, e.g. {"violations": [{code, path, message}, ...]} for schema
  // failures, {"error_class": "Timeout", ...} for execution failures.
  [[nodiscard]] const Value& details() const { return details_; }
  // "code: message".
  [[nodiscard]] std::string to_string() const { return code_ + ": " + message_; }

  friend bool operator==(const RuntimeError&, const RuntimeError&) = default;

 private:
  RuntimeErrorKind kind_ = RuntimeErrorKind::ExecutionFailed;
  std::string code_;
  std::string message_;
  Value details_ = Value::object();
};

struct RuntimeWarning {
  std::string code;  // e.g. "event_publish_failed"
  std::string message;
  friend bool operator==(const RuntimeWarning&, const RuntimeWarning&) = default;
};

enum class RuntimeStatus { Completed, Error };
// "completed" / "error".
[[nodiscard]] std::string_view to_string(RuntimeStatus status);

struct RuntimeResult {
  std::string execution_id;  // "exec_<request_id>"
  std::string request_id;
  RuntimeStatus status = RuntimeStatus::Error;
  // The trace id of this execution: RuntimeTrace::trace_id, and the TraceStore entry id when the
  // execution reached the router. A fresh UUID per execution, even for a repeated request_id
  // (the reference used "trace_exec_<request_id>" and overwrote the earlier trace).
  std::string trace_ref;
  std::optional<Value> output;        // set when Completed
  std::optional<RuntimeError> error;  // set when Error
  std::vector<RuntimeWarning> warnings;

  [[nodiscard]] bool completed() const { return status == RuntimeStatus::Completed; }
  friend bool operator==(const RuntimeResult&, const RuntimeResult&) = default;
};

[[nodiscard]] Value to_json(const RuntimeError& error);
[[nodiscard]] Value to_json(const RuntimeResult& result);

}  // namespace traverse
