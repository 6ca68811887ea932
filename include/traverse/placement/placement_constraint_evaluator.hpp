// traverse/placement/placement_constraint_evaluator.hpp — chooses where a capability runs
// (docs/architecture.md with tie-break D8).
//
// Algorithm:
//   1. Hint: a hint in the contract's permitted targets is returned as CallerHintAccepted, with
//      no load threshold and no stateful rule; confidence comes from the hint target's load.
//   2. Eligible = permitted targets, minus Browser when the service type is Stateful.
//   3. Drop targets whose load is above 0.9 (exactly 0.9 stays) or is NaN (unknown load —
//      Traverse C++ decision; the reference lets NaN through and orders it arbitrarily). Nothing
//      left → NoEligibleTarget. Pick the lowest load; equal loads break by the order of the
//      contract's preferred targets (listed before unlisted), then by Debug name
//      (Browser < Cloud < Device < Edge < Local < Worker). Reason: HeuristicSelected.
//   4. Confidence from the chosen load: < 0.5 High, < 0.75 Medium, otherwise Low.
//
// Stateless: safe for concurrent use from many threads without external synchronisation.
#pragma once

#include <expected>
#include <vector>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/placement/execution_target.hpp"
#include "traverse/placement/placement_decision.hpp"
#include "traverse/placement/placement_error.hpp"
#include "traverse/placement/placement_request.hpp"

namespace traverse {

// The parts of a contract that placement reads.
struct PlacementConstraints {
  std::vector<ExecutionTarget> permitted_targets;
  std::vector<ExecutionTarget> preferred_targets;  // tie-break order (D8)
  ServiceType service_type = ServiceType::Stateless;

  [[nodiscard]] static PlacementConstraints from_contract(const CapabilityContract& contract) {
    return {contract.permitted_targets, contract.preferred_targets, contract.service_type};
  }
};

class PlacementConstraintEvaluator {
 public:
  // Loads above this are overloaded and not chosen by the heuristic (exactly 0.9 is eligible).
  static constexpr double kMaxEligibleLoad = 0.9;

  // Runs the algorithm above. Success: the decision. Failure: NoEligibleTarget with a detail that
  // names the capability and why each permitted target was rejected. Thread-safe.
  [[nodiscard]] std::expected<PlacementDecision, PlacementError> evaluate(
      const PlacementRequest& request, const CapabilityContract& contract) const;
  [[nodiscard]] std::expected<PlacementDecision, PlacementError> evaluate(
      const PlacementRequest& request, const PlacementConstraints& constraints) const;

  // The confidence rule of step 4 (NaN → Low).
  [[nodiscard]] static PlacementConfidence confidence_for_load(double load);
};

}  // namespace traverse
