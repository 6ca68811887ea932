// traverse/placement/placement_decision.hpp — the answer of the placement evaluator: the chosen
// target, why it was chosen and how confident the choice is (docs/architecture.md).
//
// Value type; thread-compatible. The to_string functions are pure.
#pragma once

#include <string_view>

#include "traverse/placement/execution_target.hpp"

namespace traverse {

enum class PlacementReason {
  CallerHintAccepted,   // the caller's hint is a permitted target
  ContractConstrained,  // reserved by the reference; never produced by the evaluator
  HeuristicSelected,    // least-loaded eligible target
};

// Derived from the chosen target's load: < 0.5 High, < 0.75 Medium, otherwise (and NaN) Low.
enum class PlacementConfidence { High, Medium, Low };

// "CallerHintAccepted", "ContractConstrained", "HeuristicSelected" (the reference Debug names).
[[nodiscard]] std::string_view to_string(PlacementReason reason);
// "High", "Medium", "Low".
[[nodiscard]] std::string_view to_string(PlacementConfidence confidence);

struct PlacementDecision {
  ExecutionTarget target = ExecutionTarget::Local;
  PlacementReason reason = PlacementReason::HeuristicSelected;
  PlacementConfidence confidence = PlacementConfidence::High;

  friend bool operator==(const PlacementDecision&, const PlacementDecision&) = default;
};

}  // namespace traverse
