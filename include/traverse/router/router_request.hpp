// traverse/router/router_request.hpp — one execution handed to the PlacementRouter
// (docs/architecture.md request, carrying only the contract parts the router reads).
//
// Value type; thread-compatible. A non-owning `output_validator` must outlive the execute call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "traverse/contracts/schema_validator.hpp"
#include "traverse/executor/executor_capability.hpp"
#include "traverse/json/value.hpp"
#include "traverse/placement/placement_constraint_evaluator.hpp"
#include "traverse/placement/runtime_snapshot.hpp"

namespace traverse {

struct RouterRequest {
  // What to run: identity, artifact type, wasm path/checksum, emits, service type.
  ExecutorCapability capability;
  // The contract's placement parts (permitted/preferred targets, service type).
  PlacementConstraints placement;
  Value input;
  std::optional<ExecutionTarget> target_hint;
  RuntimeSnapshot snapshot;
  // The trace id to record; a fresh UUIDv7 (time-ordered) when absent. Must be unique within the
  // trace store (an existing id makes the trace write fail with Conflict).
  std::optional<std::string> trace_id_override;
  // The execution this attempt belongs to (copied into the trace and the ExecutionContext).
  std::string execution_id;
  // Set when the execution is a workflow step; recorded in the trace entry.
  std::optional<std::string> workflow_run_id;
  std::optional<std::uint64_t> step_index;
  // Passed to the capability as ExecutionContext::runtime_config.
  Value runtime_config = Value::object();
  // When set, the output must satisfy it; a violating output is a failed execution
  // (OutputValidationFailed: traced as Failure, its events are not published). Non-owning.
  const SchemaValidator* output_validator = nullptr;
};

}  // namespace traverse
