// traverse/placement/placement_error.hpp — why no execution target could be chosen.
//
// The reference has one class, NoEligibleTarget (its name appears in router and runtime error
// text). Caller's next step: the contract permits no target that is currently below the load
// threshold — retry when load drops, or permit more targets; do not retry immediately.
// Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>

namespace traverse {

enum class PlacementErrorKind { NoEligibleTarget };

// "NoEligibleTarget".
[[nodiscard]] std::string_view to_string(PlacementErrorKind kind);

struct PlacementError {
  PlacementErrorKind kind = PlacementErrorKind::NoEligibleTarget;
  // What was considered and why each target was rejected, e.g.
  // "capability demo.echo: permitted [local, cloud]; local: load 0.95 > 0.9; cloud: load NaN".
  std::string detail;

  // "NoEligibleTarget" followed by " (<detail>)" when a detail is present.
  [[nodiscard]] std::string message() const;

  friend bool operator==(const PlacementError&, const PlacementError&) = default;
};

}  // namespace traverse
