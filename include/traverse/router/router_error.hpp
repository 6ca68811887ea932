// traverse/router/router_error.hpp — why PlacementRouter::execute produced no output.
//
// What the caller should do next, by kind:
//   PlacementFailed        — no permitted target is eligible (placement_error); retry when load
//                            drops or permit more targets.
//   ExecutorNotFound       — no executor serves the capability's artifact type; configure one.
//   ExecutionFailed        — the executor returned an error (executor_error, whose class says
//                            whether a retry can help, see executor_error.hpp).
//   OutputValidationFailed — the capability's output violates its output schema (violations);
//                            the capability is wrong, do not retry.
//   TraceWriteFailed       — the capability succeeded but the trace store refused the entry
//                            (trace_error); the output is not returned and no event is
//                            published, because nothing is evidenced.
// Except for TraceWriteFailed, a Failure trace entry was written (trace_id) — or, if that write
// failed too, trace_id is empty and trace_error says why (never silent).
// Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/contracts/validation_error.hpp"
#include "traverse/executor/artifact_type.hpp"
#include "traverse/executor/execution_attempt.hpp"
#include "traverse/executor/executor_error.hpp"
#include "traverse/placement/placement_decision.hpp"
#include "traverse/placement/placement_error.hpp"
#include "traverse/trace/trace_error.hpp"

namespace traverse {

enum class RouterErrorKind {
  PlacementFailed,
  ExecutorNotFound,
  ExecutionFailed,
  OutputValidationFailed,
  TraceWriteFailed,
};

// "PlacementFailed", "ExecutorNotFound", ... (the error class recorded in Failure traces for
// non-executor failures).
[[nodiscard]] std::string_view to_string(RouterErrorKind kind);

struct RouterError {
  RouterErrorKind kind = RouterErrorKind::ExecutionFailed;
  std::optional<PlacementError> placement_error;        // PlacementFailed
  ArtifactType artifact_type = ArtifactType::Native;    // ExecutorNotFound
  std::optional<ExecutorError> executor_error;          // ExecutionFailed
  ValidationErrors violations;                          // OutputValidationFailed
  std::optional<TraceError> trace_error;                // TraceWriteFailed, or a failed
                                                        // Failure-trace write for other kinds
  std::optional<PlacementDecision> placement_decision;  // when placement succeeded
  std::string trace_id;           // the Failure trace entry written for this attempt; empty if none
  std::uint64_t duration_ms = 0;  // ExecutionFailed: executor wall time, milliseconds
  std::vector<ExecutionAttempt> attempts;  // ExecutionFailed: the executor's remote tries, if any

  // Display text (reference wording, docs/architecture.md):
  //   "placement failed: NoEligibleTarget (...)",
  //   "no executor registered for artifact type: Wasm",
  //   "execution failed: inner failed", "execution timed out: deadline 5ms" (the ExecutorError's
  //   own text, which already names the failure; never prefixed twice),
  //   "output validation failed: 2 violation(s): $.a: expected integer; ...",
  //   "trace write failed: Conflict: trace entry 'x' already exists".
  [[nodiscard]] std::string message() const;
  // The error class recorded in the trace: the ExecutorError class name for ExecutionFailed
  // (e.g. "Timeout"), otherwise to_string(kind).
  [[nodiscard]] std::string error_class() const;
};

}  // namespace traverse
