#include "traverse/placement/placement_constraint_evaluator.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>

namespace traverse {

std::string_view to_string(PlacementReason reason) {
  switch (reason) {
    case PlacementReason::CallerHintAccepted:
      return "CallerHintAccepted";
    case PlacementReason::ContractConstrained:
      return "ContractConstrained";
    case PlacementReason::HeuristicSelected:
      return "HeuristicSelected";
  }
  return "HeuristicSelected";
}

std::string_view to_string(PlacementConfidence confidence) {
  switch (confidence) {
    case PlacementConfidence::High:
      return "High";
    case PlacementConfidence::Medium:
      return "Medium";
    case PlacementConfidence::Low:
      return "Low";
  }
  return "Low";
}

std::string_view to_string(PlacementErrorKind kind) {
  switch (kind) {
    case PlacementErrorKind::NoEligibleTarget:
      return "NoEligibleTarget";
  }
  return "NoEligibleTarget";
}

std::string PlacementError::message() const {
  std::string text(traverse::to_string(kind_));
  if (!detail_.empty()) {
    text += " (" + detail_ + ")";
  }
  return text;
}

std::string PlacementError::to_string() const {
  std::string text(traverse::to_string(kind_));
  if (!detail_.empty()) {
    text += ": " + detail_;
  }
  return text;
}

namespace {

bool contains(const std::vector<ExecutionTarget>& targets, ExecutionTarget target) {
  return std::find(targets.begin(), targets.end(), target) != targets.end();
}

std::size_t preference_rank(const std::vector<ExecutionTarget>& preferred, ExecutionTarget target) {
  const auto it = std::find(preferred.begin(), preferred.end(), target);
  return it == preferred.end() ? std::numeric_limits<std::size_t>::max()
                               : static_cast<std::size_t>(it - preferred.begin());
}

std::string format_load(double load) {
  if (std::isnan(load)) {
    return "NaN";
  }
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), load);
  return std::string(buffer, result.ptr);
}

std::string join_targets(const std::vector<ExecutionTarget>& targets) {
  std::string text = "[";
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (i > 0) {
      text += ", ";
    }
    text += to_string(targets[i]);
  }
  return text + "]";
}

}  // namespace

PlacementConfidence PlacementConstraintEvaluator::confidence_for_load(double load) {
  if (load < 0.5) {
    return PlacementConfidence::High;
  }
  if (load < 0.75) {
    return PlacementConfidence::Medium;
  }
  return PlacementConfidence::Low;  // also NaN: every comparison above is false
}

std::expected<PlacementDecision, PlacementError> PlacementConstraintEvaluator::evaluate(
    const PlacementRequest& request, const CapabilityContract& contract) const {
  return evaluate(request, PlacementConstraints::from_contract(contract));
}

std::expected<PlacementDecision, PlacementError> PlacementConstraintEvaluator::evaluate(
    const PlacementRequest& request, const PlacementConstraints& constraints) const {
  // 1. A permitted hint wins outright.
  if (request.target_hint && contains(constraints.permitted_targets, *request.target_hint)) {
    const ExecutionTarget hint = *request.target_hint;
    return PlacementDecision{hint, PlacementReason::CallerHintAccepted,
                             confidence_for_load(request.snapshot.load(hint))};
  }

  // 2 + 3. Contract filter, then load filter; keep the best candidate as we go.
  std::optional<ExecutionTarget> best;
  double best_load = 0.0;
  std::string rejected;
  const auto reject = [&rejected](ExecutionTarget target, std::string_view why) {
    rejected += "; ";
    rejected += to_string(target);
    rejected += ": ";
    rejected += why;
  };
  const auto better = [&](ExecutionTarget candidate, double load) {
    if (!best || load < best_load) {
      return true;
    }
    if (load > best_load) {
      return false;
    }
    const std::size_t rank_candidate = preference_rank(constraints.preferred_targets, candidate);
    const std::size_t rank_best = preference_rank(constraints.preferred_targets, *best);
    if (rank_candidate != rank_best) {
      return rank_candidate < rank_best;
    }
    return debug_name(candidate) < debug_name(*best);
  };

  for (const ExecutionTarget target : constraints.permitted_targets) {
    if (target == ExecutionTarget::Browser && constraints.service_type == ServiceType::Stateful) {
      reject(target, "stateful capabilities may not run in a browser");
      continue;
    }
    const double load = request.snapshot.load(target);
    if (std::isnan(load)) {
      reject(target, "load unknown (NaN)");
      continue;
    }
    if (load > kMaxEligibleLoad) {
      reject(target, "load " + format_load(load) + " > " + format_load(kMaxEligibleLoad));
      continue;
    }
    if (better(target, load)) {
      best = target;
      best_load = load;
    }
  }

  if (!best) {
    std::string detail = "capability " + request.capability_id + ": permitted " +
                         join_targets(constraints.permitted_targets);
    if (constraints.permitted_targets.empty()) {
      detail += "; no target is permitted";
    }
    return std::unexpected(PlacementError{PlacementErrorKind::NoEligibleTarget, detail + rejected});
  }
  return PlacementDecision{*best, PlacementReason::HeuristicSelected,
                           confidence_for_load(best_load)};
}

}  // namespace traverse
