// traverse/placement/placement_error.hpp — why no execution target could be chosen.
//
// The reference has one class, NoEligibleTarget (its name appears in router and runtime error
// text). Caller's next step: the contract permits no target that is currently below the load
// threshold — retry when load drops, or permit more targets; do not retry immediately.
// Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace traverse {

enum class PlacementErrorKind { NoEligibleTarget };

// "NoEligibleTarget".
[[nodiscard]] std::string_view to_string(PlacementErrorKind kind);

class PlacementError {
 public:
  PlacementError() = default;
  PlacementError(PlacementErrorKind kind, std::string detail)
      : kind_(kind), detail_(std::move(detail)) {}

  [[nodiscard]] PlacementErrorKind kind() const { return kind_; }
  // What was considered and why each target was rejected, e.g.
  // "capability demo.echo: permitted [local, cloud]; local: load 0.95 > 0.9; cloud: load NaN".
  [[nodiscard]] const std::string& detail() const { return detail_; }
  // "NoEligibleTarget" followed by " (<detail>)" when a detail is present (the reference's text,
  // quoted by router and runtime errors).
  [[nodiscard]] std::string message() const;
  // "<Kind>: <detail>", or "<Kind>" when there is no detail.
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const PlacementError&, const PlacementError&) = default;

 private:
  PlacementErrorKind kind_ = PlacementErrorKind::NoEligibleTarget;
  std::string detail_;
};

}  // namespace traverse
