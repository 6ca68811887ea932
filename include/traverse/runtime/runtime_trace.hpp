// traverse/runtime/runtime_trace.hpp — the rich record of one runtime execution
// (docs/error-handling.md "RuntimeTrace", reduced to what Traverse C++ tracks).
//
// Every execute_capability call produces one RuntimeTrace, success or failure, retrievable from
// the runtime by trace id (TraverseRuntime::runtime_trace). It complements the TraceStore entry
// (the durable evidence the router writes): it also covers requests rejected before routing and
// records the request, the selected capability, placement, timings and the output digest. The
// reference's state-machine fields (state_progression, state_transitions, ...) are not kept.
//
// JSON (to_json), keys sorted: {kind "runtime_trace", schema_version, trace_id, execution_id,
// request_id, governing_spec "006-runtime-request-execution", request, selection{status,
// capability_id?, capability_version?, scope?, artifact_ref?}, execution{placement{
// requested_target, selected_target?, status, reason?, confidence?}, placement_target?, status
// not_started|succeeded|failed, artifact_ref?, started_at?, completed_at?, duration_ms,
// output_digest?, failure_reason?, error_class?, trace_store_entry?, attempts?[{attempt, node?,
// outcome, remote_duration_us, round_trip_us}]}, emitted_events[{id,
// event_id, version}], publish_errors[{event_id, event_type, error}], result{status,
// error_code?, error_message?}, terminal_outcome, received_at, completed_at, total_duration_ms,
// workflow_run_id?, step_index?, workflow_evidence?, warnings[]}.
// Value type; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/contracts/runtime_request.hpp"
#include "traverse/contracts/vocabulary.hpp"
#include "traverse/events/traverse_event.hpp"
#include "traverse/json/value.hpp"
#include "traverse/placement/placement_decision.hpp"
#include "traverse/runtime/runtime_result.hpp"
#include "traverse/trace/trace_entry.hpp"

namespace traverse {

inline constexpr std::string_view kRuntimeGoverningSpec = "006-runtime-request-execution";

enum class RuntimeExecutionStatus { NotStarted, Succeeded, Failed };
// "not_started" / "succeeded" / "failed".
[[nodiscard]] std::string_view to_string(RuntimeExecutionStatus status);

struct RuntimeTrace {
  std::string trace_id;  // == RuntimeResult::trace_ref
  std::string execution_id;
  std::string request_id;
  // The request as the runtime received it; to_json writes it as to_json(RuntimeRequest). Kept
  // typed (not as JSON) because every attempt records it and most are never looked at.
  RuntimeRequest request;
  // Set instead when the request document could not be read as a RuntimeRequest (an attempt
  // rejected before parsing completed): the document exactly as received.
  std::optional<Value> request_document;

  // Selection: the capability the request resolved to, if any.
  std::optional<std::string> capability_id;
  std::optional<std::string> capability_version;
  std::optional<Scope> scope;
  std::optional<std::string> artifact_ref;  // ArtifactReference::describe()

  // Placement.
  std::string requested_target;                  // context.requested_target
  std::optional<PlacementDecision> placement;    // when placement chose a target
  std::optional<std::string> placement_failure;  // when placement failed

  // Execution.
  RuntimeExecutionStatus execution_status = RuntimeExecutionStatus::NotStarted;
  // When routed. Times are kept as clock readings and written as RFC 3339 text by to_json: an
  // execution reads the clock four times and formats only what is asked for.
  std::optional<std::chrono::system_clock::time_point> started_at;
  std::optional<std::chrono::system_clock::time_point> completed_at;
  std::uint64_t execution_duration_ms = 0;   // executor wall time
  std::optional<std::string> output_digest;  // "0.1.0:" + FNV-1a-64 hex of canonical output
  std::optional<std::string> failure_reason;
  std::optional<std::string> error_class;  // e.g. "ExecutionFailed", "Timeout", "PlacementFailed"
  bool trace_store_entry = false;          // a TraceStore entry with id trace_id was written
  std::vector<TraverseEvent> emitted_events;
  std::vector<TracePublishError> publish_errors;
  // One per try when the capability ran on cluster nodes (node, remote timing); else empty.
  std::vector<TraceAttempt> attempts;

  // Result and timings.
  RuntimeStatus status = RuntimeStatus::Error;
  std::optional<RuntimeError> error;
  std::vector<RuntimeWarning> warnings;
  std::chrono::system_clock::time_point received_at;
  std::chrono::system_clock::time_point finished_at;
  std::uint64_t total_duration_ms = 0;

  // Workflow context: set when this execution is a workflow step, or runs a workflow.
  std::optional<std::string> workflow_run_id;
  std::optional<std::uint64_t> step_index;
  std::optional<Value> workflow_evidence;
};

[[nodiscard]] Value to_json(const RuntimeTrace& trace);

// "0.1.0:" + 16 lowercase hex digits of FNV-1a-64 over canonical_dump(output).
[[nodiscard]] std::string output_digest(const Value& output);
// The same digest of an output already dumped: `canonical_output` is canonical_dump(output)
// (the pipeline dumps an output once for this digest and the trace entry's output hash).
[[nodiscard]] std::string output_digest_of_canonical(std::string_view canonical_output);

}  // namespace traverse
