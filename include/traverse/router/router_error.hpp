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
#include <utility>
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

class RouterError {
 public:
  // Factories, one per kind.
  [[nodiscard]] static RouterError placement_failed(PlacementError error);
  [[nodiscard]] static RouterError executor_not_found(ArtifactType artifact_type,
                                                      PlacementDecision decision);
  [[nodiscard]] static RouterError execution_failed(ExecutorError error,
                                                    std::optional<PlacementDecision> decision,
                                                    std::uint64_t duration_ms,
                                                    std::vector<ExecutionAttempt> attempts);
  [[nodiscard]] static RouterError output_validation_failed(
      ValidationErrors violations, std::optional<PlacementDecision> decision);
  [[nodiscard]] static RouterError trace_write_failed(TraceError error,
                                                      std::optional<PlacementDecision> decision);

  [[nodiscard]] RouterErrorKind kind() const { return kind_; }
  [[nodiscard]] const std::optional<PlacementError>& placement_error() const {  // PlacementFailed
    return placement_error_;
  }
  [[nodiscard]] ArtifactType artifact_type() const { return artifact_type_; }  // ExecutorNotFound
  [[nodiscard]] const std::optional<ExecutorError>& executor_error() const {   // ExecutionFailed
    return executor_error_;
  }
  // OutputValidationFailed: every violation of the output schema.
  [[nodiscard]] const ValidationErrors& violations() const { return violations_; }
  // TraceWriteFailed, or a failed Failure-trace write for other kinds.
  [[nodiscard]] const std::optional<TraceError>& trace_error() const { return trace_error_; }
  // When placement succeeded.
  [[nodiscard]] const std::optional<PlacementDecision>& placement_decision() const {
    return placement_decision_;
  }
  // The Failure trace entry written for this attempt; empty if none.
  [[nodiscard]] const std::string& trace_id() const { return trace_id_; }
  // ExecutionFailed: executor wall time, milliseconds.
  [[nodiscard]] std::uint64_t duration_ms() const { return duration_ms_; }
  // ExecutionFailed: the executor's remote tries, if any.
  [[nodiscard]] const std::vector<ExecutionAttempt>& attempts() const { return attempts_; }

  // The outcome of writing this attempt's Failure trace entry (the router calls one of them).
  void set_trace_id(std::string trace_id) { trace_id_ = std::move(trace_id); }
  void set_trace_error(TraceError error) { trace_error_ = std::move(error); }

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
  // "<error_class>: <message>", e.g. "Timeout: execution timed out: deadline 5ms".
  [[nodiscard]] std::string to_string() const;

 private:
  explicit RouterError(RouterErrorKind kind) : kind_(kind) {}

  RouterErrorKind kind_ = RouterErrorKind::ExecutionFailed;
  std::optional<PlacementError> placement_error_;
  ArtifactType artifact_type_ = ArtifactType::Native;
  std::optional<ExecutorError> executor_error_;
  ValidationErrors violations_;
  std::optional<TraceError> trace_error_;
  std::optional<PlacementDecision> placement_decision_;
  std::string trace_id_;
  std::uint64_t duration_ms_ = 0;
  std::vector<ExecutionAttempt> attempts_;
};

}  // namespace traverse
