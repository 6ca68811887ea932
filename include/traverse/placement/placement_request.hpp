// traverse/placement/placement_request.hpp — the question asked of the placement evaluator:
// where should this capability run, given the caller's hint and the current loads
// (docs/architecture.md). Value type; thread-compatible.
#pragma once

#include <optional>
#include <string>

#include "traverse/placement/execution_target.hpp"
#include "traverse/placement/runtime_snapshot.hpp"

namespace traverse {

struct PlacementRequest {
  std::string capability_id;                   // for error messages
  std::optional<ExecutionTarget> target_hint;  // accepted whenever the contract permits it
  RuntimeSnapshot snapshot;
};

}  // namespace traverse
