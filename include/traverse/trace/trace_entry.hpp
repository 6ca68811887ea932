// traverse/trace/trace_entry.hpp — what one execution attempt left behind
// (docs/traces-and-events.md, D1, D2).
//
// A PublicTraceEntry is safe to show to anyone who may see the capability ran; a
// PrivateTraceEntry holds the canonical input/output SHA-256 (and, only when the store keeps
// payloads, the input/output themselves) and the events offered for publication after a
// successful attempt, payload included (kept always: they went to every subscriber). JSON
// conversions use the reference's field names; optional fields are omitted when absent. Value
// types; thread-compatible.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/json/value.hpp"
#include "traverse/trace/trace_error.hpp"

namespace traverse {

// Spelled "Success" / "Failure" / "Rejected" (PascalCase, as the reference).
//   Success  — the capability ran and its output satisfied the contract.
//   Failure  — the attempt was admitted (resolved, eligible, valid input) and then failed:
//              placement, executor, output contract, workflow step.
//   Rejected — the attempt was refused before anything ran (request or input invalid,
//              capability not found / ambiguous / not runnable, artifact missing); error_class
//              and error_message say why.
enum class TraceOutcome { Success, Failure, Rejected };
[[nodiscard]] std::string_view to_string(TraceOutcome outcome);
[[nodiscard]] std::optional<TraceOutcome> parse_trace_outcome(std::string_view text);

// One emitted event that could not be published (D2). JSON: {event_id, event_type, error}.
struct TracePublishError {
  std::string event_id;    // TraverseEvent::id
  std::string event_type;  // TraverseEvent::event_type
  std::string error;       // the broker's error message
  friend bool operator==(const TracePublishError&, const TracePublishError&) = default;
};

// One try of a remote execution (docs/cluster.md). JSON: {attempt, node?, outcome,
// remote_duration_us, round_trip_us}; node is omitted when no node answered.
struct TraceAttempt {
  std::uint32_t attempt = 1;
  std::string node;
  std::string outcome;  // "ok" or the executor error class of this try
  std::uint64_t remote_duration_us = 0;
  std::uint64_t round_trip_us = 0;
  friend bool operator==(const TraceAttempt&, const TraceAttempt&) = default;
};

inline constexpr std::string_view kTraceEventType = "dev.traverse.execution.completed";

struct PublicTraceEntry {
  std::string id;            // the trace id (unique per store)
  std::string execution_id;  // the execution this attempt belongs to
  std::string source;        // "traverse-runtime/<capability id>" (set by the router)
  std::string event_type = std::string(kTraceEventType);
  std::string datacontenttype = "application/json";
  std::string time;  // RFC 3339 UTC with milliseconds (D9); must parse as RFC 3339
  std::string capability_id;
  std::string capability_version;
  std::string
      placement_target;  // debug name of the target, e.g. "Local"; empty if placement failed
  TraceOutcome outcome = TraceOutcome::Success;
  // Failure and Rejected only, e.g. "ExecutionFailed", "PlacementFailed", "RequestInvalid".
  std::optional<std::string> error_class;
  std::optional<std::string> error_message;  // Failure and Rejected only, the error's text
  std::uint64_t duration_ms = 0;
  std::optional<std::string> workflow_run_id;     // set when the execution is a workflow step
  std::optional<std::uint64_t> step_index;        // the step's index in that run
  std::vector<std::string> published_events;      // ids of events published after success
  std::vector<TracePublishError> publish_errors;  // events that could not be published (D2)
  // The tries of an execution placed on cluster nodes, in order (JSON key omitted when empty).
  std::vector<TraceAttempt> attempts;

  friend bool operator==(const PublicTraceEntry&, const PublicTraceEntry&) = default;
};

struct PrivateTraceEntry {
  std::string trace_id;                     // == PublicTraceEntry::id
  std::string inputs_hash;                  // lowercase SHA-256 hex of canonical_dump(input)
  std::optional<std::string> outputs_hash;  // SHA-256 of canonical_dump(output); absent on failure
  std::uint64_t resource_usage_ms = 0;
  std::optional<Value> input;   // kept only by stores configured with keep_payloads
  std::optional<Value> output;  // kept only by stores configured with keep_payloads
  // The envelopes (to_json(TraverseEvent): id, event_type, version, data, ...) of the events
  // PublicTraceEntry::published_events lists, in the same order; JSON key omitted when empty.
  std::vector<Value> published_events;

  friend bool operator==(const PrivateTraceEntry&, const PrivateTraceEntry&) = default;
};

// Builds a private entry: hashes `input` and `output` (nullptr = failure, no output hash) with
// canonical_dump + SHA-256; copies the payloads only when `keep_payloads`.
[[nodiscard]] PrivateTraceEntry make_private_trace_entry(std::string trace_id, const Value& input,
                                                         const Value* output,
                                                         std::uint64_t resource_usage_ms,
                                                         bool keep_payloads);
// The same, for an output already dumped: `canonical_output` is canonical_dump(*output) (a
// caller that needs the canonical text for its own digest dumps the output once).
// REQUIRES: output != nullptr.
[[nodiscard]] PrivateTraceEntry make_private_trace_entry(std::string trace_id, const Value& input,
                                                         const Value* output,
                                                         std::string_view canonical_output,
                                                         std::uint64_t resource_usage_ms,
                                                         bool keep_payloads);

[[nodiscard]] Value to_json(const PublicTraceEntry& entry);
// The `attempts` array of a trace entry (also written by RuntimeTrace's to_json).
[[nodiscard]] Value to_json(const std::vector<TraceAttempt>& attempts);
[[nodiscard]] Value to_json(const PrivateTraceEntry& entry);

// Parse the JSON written by to_json. Failure: TraceErrorKind::Corrupt naming the JSON path and
// what was expected (e.g. "$.outcome: expected \"Success\", \"Failure\" or \"Rejected\"").
[[nodiscard]] std::expected<PublicTraceEntry, TraceError> public_trace_entry_from_json(
    const Value& json);
[[nodiscard]] std::expected<PrivateTraceEntry, TraceError> private_trace_entry_from_json(
    const Value& json);

}  // namespace traverse
