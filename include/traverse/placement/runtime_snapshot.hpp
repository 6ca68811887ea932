// traverse/placement/runtime_snapshot.hpp — how busy each execution target is right now.
//
// A load is a fraction of capacity (0.0 idle, 1.0 full); a target absent from the map has load
// 0.0 (reference rule). A NaN load means "unknown" and makes the target ineligible for heuristic
// placement (see PlacementConstraintEvaluator). Value type; thread-compatible.
#pragma once

#include <map>

#include "traverse/placement/execution_target.hpp"

namespace traverse {

struct RuntimeSnapshot {
  std::map<ExecutionTarget, double> target_loads;

  // The load of `target`, or 0.0 when the snapshot does not mention it.
  [[nodiscard]] double load(ExecutionTarget target) const {
    const auto it = target_loads.find(target);
    return it == target_loads.end() ? 0.0 : it->second;
  }

  // Sets the load of `target` and returns *this (for building snapshots in one expression).
  RuntimeSnapshot& with_load(ExecutionTarget target, double load) {
    target_loads[target] = load;
    return *this;
  }

  friend bool operator==(const RuntimeSnapshot&, const RuntimeSnapshot&) = default;
};

}  // namespace traverse
