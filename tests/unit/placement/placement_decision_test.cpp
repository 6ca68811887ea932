// Governing spec: 010-runtime-stack
#include "traverse/placement/placement_decision.hpp"

#include <gtest/gtest.h>

#include "traverse/placement/placement_error.hpp"

namespace traverse {
namespace {

TEST(PlacementDecision, ReasonNamesAreTheReferenceDebugNames) {
  EXPECT_EQ(to_string(PlacementReason::CallerHintAccepted), "CallerHintAccepted");
  EXPECT_EQ(to_string(PlacementReason::ContractConstrained), "ContractConstrained");
  EXPECT_EQ(to_string(PlacementReason::HeuristicSelected), "HeuristicSelected");
}

TEST(PlacementDecision, ConfidenceNamesAreTheReferenceDebugNames) {
  EXPECT_EQ(to_string(PlacementConfidence::High), "High");
  EXPECT_EQ(to_string(PlacementConfidence::Medium), "Medium");
  EXPECT_EQ(to_string(PlacementConfidence::Low), "Low");
}

TEST(PlacementError, MessageStartsWithReferenceNameAndAppendsDetail) {
  EXPECT_EQ(to_string(PlacementErrorKind::NoEligibleTarget), "NoEligibleTarget");
  EXPECT_EQ(PlacementError{}.message(), "NoEligibleTarget");
  const PlacementError error{PlacementErrorKind::NoEligibleTarget, "capability a.b: nothing"};
  EXPECT_EQ(error.message(), "NoEligibleTarget (capability a.b: nothing)");
}

}  // namespace
}  // namespace traverse
