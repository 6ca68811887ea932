// Governing spec: 010-runtime-stack
#include "traverse/placement/placement_constraint_evaluator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace traverse {
namespace {

using T = ExecutionTarget;

const std::vector<ExecutionTarget> kAll(kAllExecutionTargets.begin(), kAllExecutionTargets.end());

PlacementConstraints constraints(std::vector<ExecutionTarget> permitted,
                                 std::vector<ExecutionTarget> preferred = {},
                                 ServiceType service_type = ServiceType::Stateless) {
  return {std::move(permitted), std::move(preferred), service_type};
}

PlacementRequest request(RuntimeSnapshot snapshot = {},
                         std::optional<ExecutionTarget> hint = std::nullopt) {
  return {"demo.cap", hint, std::move(snapshot)};
}

const PlacementConstraintEvaluator evaluator;

TEST(PlacementConstraintEvaluator, PermittedHintIsAcceptedWithHighConfidenceWhenIdle) {
  const auto decision = evaluator.evaluate(request({}, T::Cloud), constraints(kAll));
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->target, T::Cloud);
  EXPECT_EQ(decision->reason, PlacementReason::CallerHintAccepted);
  EXPECT_EQ(decision->confidence, PlacementConfidence::High);
}

TEST(PlacementConstraintEvaluator, HintIsAcceptedAboveLoadThresholdWithLowConfidence) {
  const auto decision = evaluator.evaluate(
      request(RuntimeSnapshot{}.with_load(T::Local, 0.95), T::Local), constraints({T::Local}));
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->target, T::Local);
  EXPECT_EQ(decision->reason, PlacementReason::CallerHintAccepted);
  EXPECT_EQ(decision->confidence, PlacementConfidence::Low);
}

TEST(PlacementConstraintEvaluator, HintWithUnknownLoadIsAcceptedWithLowConfidence) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto decision = evaluator.evaluate(
      request(RuntimeSnapshot{}.with_load(T::Edge, nan), T::Edge), constraints({T::Edge}));
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->reason, PlacementReason::CallerHintAccepted);
  EXPECT_EQ(decision->confidence, PlacementConfidence::Low);
}

TEST(PlacementConstraintEvaluator, HintOutsidePermittedTargetsFallsBackToHeuristic) {
  const auto decision = evaluator.evaluate(request({}, T::Browser), constraints({T::Local}));
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->target, T::Local);
  EXPECT_EQ(decision->reason, PlacementReason::HeuristicSelected);
}

TEST(PlacementConstraintEvaluator, HintSkipsTheStatefulBrowserRuleAsInTheReference) {
  const auto decision = evaluator.evaluate(
      request({}, T::Browser), constraints({T::Browser, T::Local}, {}, ServiceType::Stateful));
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->target, T::Browser);
  EXPECT_EQ(decision->reason, PlacementReason::CallerHintAccepted);
}

TEST(PlacementConstraintEvaluator, StatefulCapabilityNeverLandsInBrowserByHeuristic) {
  const auto snapshot = RuntimeSnapshot{}.with_load(T::Local, 0.6);  // browser idle at 0.0
  const auto stateful = evaluator.evaluate(
      request(snapshot), constraints({T::Browser, T::Local}, {}, ServiceType::Stateful));
  ASSERT_TRUE(stateful.has_value());
  EXPECT_EQ(stateful->target, T::Local);
  EXPECT_EQ(stateful->confidence, PlacementConfidence::Medium);

  const auto stateless = evaluator.evaluate(request(snapshot), constraints({T::Browser, T::Local}));
  ASSERT_TRUE(stateless.has_value());
  EXPECT_EQ(stateless->target, T::Browser);
}

TEST(PlacementConstraintEvaluator, StatefulBrowserOnlyHasNoEligibleTarget) {
  const auto decision =
      evaluator.evaluate(request(), constraints({T::Browser}, {}, ServiceType::Stateful));
  ASSERT_FALSE(decision.has_value());
  EXPECT_EQ(decision.error().kind(), PlacementErrorKind::NoEligibleTarget);
  EXPECT_NE(decision.error().detail().find("browser: stateful"), std::string::npos)
      << decision.error().detail();
}

TEST(PlacementConstraintEvaluator, LoadOfExactlyPointNineIsStillEligible) {
  const auto decision = evaluator.evaluate(request(RuntimeSnapshot{}.with_load(T::Local, 0.9)),
                                           constraints({T::Local}));
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->target, T::Local);
  EXPECT_EQ(decision->reason, PlacementReason::HeuristicSelected);
  EXPECT_EQ(decision->confidence, PlacementConfidence::Low);
}

TEST(PlacementConstraintEvaluator, LoadJustAbovePointNineIsIneligible) {
  const double above = std::nextafter(0.9, 1.0);
  const auto decision = evaluator.evaluate(request(RuntimeSnapshot{}.with_load(T::Local, above)),
                                           constraints({T::Local}));
  ASSERT_FALSE(decision.has_value());
  EXPECT_EQ(decision.error().kind(), PlacementErrorKind::NoEligibleTarget);
  EXPECT_NE(decision.error().detail().find("capability demo.cap"), std::string::npos);
  EXPECT_NE(decision.error().detail().find("local: load 0.9"), std::string::npos)
      << decision.error().detail();
}

TEST(PlacementConstraintEvaluator, OverloadedTargetIsSkippedForTheNextLeastLoaded) {
  const auto snapshot =
      RuntimeSnapshot{}.with_load(T::Local, 0.95).with_load(T::Cloud, 0.8).with_load(T::Edge, 0.7);
  const auto decision =
      evaluator.evaluate(request(snapshot), constraints({T::Local, T::Cloud, T::Edge}));
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->target, T::Edge);
  EXPECT_EQ(decision->confidence, PlacementConfidence::Medium);
}

TEST(PlacementConstraintEvaluator, LowestLoadWinsOverPreferenceAndName) {
  const auto snapshot = RuntimeSnapshot{}
                            .with_load(T::Browser, 0.3)
                            .with_load(T::Cloud, 0.3)
                            .with_load(T::Worker, 0.2);
  const auto decision = evaluator.evaluate(
      request(snapshot), constraints({T::Browser, T::Cloud, T::Worker}, {T::Cloud}));
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->target, T::Worker);
}

TEST(PlacementConstraintEvaluator, EqualLoadsBreakByPreferredTargetsOrder) {
  // D8: all idle; the contract prefers edge, then cloud.
  const auto decision = evaluator.evaluate(request(), constraints(kAll, {T::Edge, T::Cloud}));
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->target, T::Edge);
  EXPECT_EQ(decision->reason, PlacementReason::HeuristicSelected);
  EXPECT_EQ(decision->confidence, PlacementConfidence::High);
}

TEST(PlacementConstraintEvaluator, PreferredTargetBeatsUnlistedTargetOnTie) {
  // Worker sorts last by name but is the only preferred target.
  const auto decision =
      evaluator.evaluate(request(), constraints({T::Browser, T::Cloud, T::Worker}, {T::Worker}));
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->target, T::Worker);
}

TEST(PlacementConstraintEvaluator, EqualLoadsWithoutPreferenceBreakByDebugName) {
  // Browser < Cloud < Device < Edge < Local < Worker.
  const auto all = evaluator.evaluate(request(), constraints(kAll));
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->target, T::Browser);

  const auto some = evaluator.evaluate(request(), constraints({T::Worker, T::Local, T::Device}));
  ASSERT_TRUE(some.has_value());
  EXPECT_EQ(some->target, T::Device);

  // Neither tied target is preferred: the name decides.
  const auto unlisted =
      evaluator.evaluate(request(), constraints({T::Worker, T::Edge}, {T::Local}));
  ASSERT_TRUE(unlisted.has_value());
  EXPECT_EQ(unlisted->target, T::Edge);
}

TEST(PlacementConstraintEvaluator, TieBreakDoesNotDependOnPermittedOrder) {
  const auto forward = evaluator.evaluate(request(), constraints({T::Local, T::Cloud}));
  const auto backward = evaluator.evaluate(request(), constraints({T::Cloud, T::Local}));
  ASSERT_TRUE(forward.has_value());
  ASSERT_TRUE(backward.has_value());
  EXPECT_EQ(forward->target, T::Cloud);
  EXPECT_EQ(backward->target, T::Cloud);
}

TEST(PlacementConstraintEvaluator, NanLoadIsIneligible) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto snapshot = RuntimeSnapshot{}.with_load(T::Browser, nan).with_load(T::Cloud, 0.8);
  const auto decision = evaluator.evaluate(request(snapshot), constraints({T::Browser, T::Cloud}));
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->target, T::Cloud);

  const auto only_nan = evaluator.evaluate(request(snapshot), constraints({T::Browser}));
  ASSERT_FALSE(only_nan.has_value());
  EXPECT_NE(only_nan.error().detail().find("browser: load unknown (NaN)"), std::string::npos)
      << only_nan.error().detail();
}

TEST(PlacementConstraintEvaluator, InfiniteLoadIsIneligible) {
  const auto snapshot =
      RuntimeSnapshot{}.with_load(T::Local, std::numeric_limits<double>::infinity());
  EXPECT_FALSE(evaluator.evaluate(request(snapshot), constraints({T::Local})).has_value());
}

TEST(PlacementConstraintEvaluator, EmptyPermittedTargetsHasNoEligibleTarget) {
  const auto decision = evaluator.evaluate(request({}, T::Local), constraints({}));
  ASSERT_FALSE(decision.has_value());
  EXPECT_EQ(decision.error().message(),
            "NoEligibleTarget (capability demo.cap: permitted []; no target is permitted)");
}

TEST(PlacementConstraintEvaluator, ContractConstrainedIsNeverProduced) {
  for (const ExecutionTarget target : kAllExecutionTargets) {
    const auto decision = evaluator.evaluate(request(), constraints({target}));
    ASSERT_TRUE(decision.has_value());
    EXPECT_EQ(decision->target, target);
    EXPECT_EQ(decision->reason, PlacementReason::HeuristicSelected);
  }
}

TEST(PlacementConstraintEvaluator, ConfidenceThresholds) {
  using C = PlacementConfidence;
  EXPECT_EQ(PlacementConstraintEvaluator::confidence_for_load(0.0), C::High);
  EXPECT_EQ(PlacementConstraintEvaluator::confidence_for_load(0.49), C::High);
  EXPECT_EQ(PlacementConstraintEvaluator::confidence_for_load(0.5), C::Medium);
  EXPECT_EQ(PlacementConstraintEvaluator::confidence_for_load(0.74), C::Medium);
  EXPECT_EQ(PlacementConstraintEvaluator::confidence_for_load(0.75), C::Low);
  EXPECT_EQ(PlacementConstraintEvaluator::confidence_for_load(0.9), C::Low);
  EXPECT_EQ(
      PlacementConstraintEvaluator::confidence_for_load(std::numeric_limits<double>::quiet_NaN()),
      C::Low);
}

TEST(PlacementConstraintEvaluator, ContractOverloadReadsPermittedPreferredAndServiceType) {
  CapabilityContract contract;
  contract.id = "demo.cap";
  contract.permitted_targets = {T::Browser, T::Cloud, T::Edge};
  contract.preferred_targets = {T::Edge};
  contract.service_type = ServiceType::Stateful;
  const auto decision = evaluator.evaluate(request(), contract);
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->target, T::Edge);

  contract.preferred_targets.clear();
  const auto by_name = evaluator.evaluate(request(), contract);
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(by_name->target, T::Cloud);  // Browser excluded: stateful
}

TEST(PlacementConstraintEvaluator, ConcurrentEvaluationsAgree) {
  const auto snapshot = RuntimeSnapshot{}.with_load(T::Local, 0.4).with_load(T::Cloud, 0.2);
  const auto cons = constraints({T::Local, T::Cloud, T::Edge}, {T::Local});
  const auto expected = evaluator.evaluate(request(snapshot), cons);
  ASSERT_TRUE(expected.has_value());
  EXPECT_EQ(expected->target, T::Edge);  // idle at 0.0
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (std::size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (evaluator.evaluate(request(snapshot), cons) != expected) {
          ++mismatches[t];
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const int m : mismatches) {
    EXPECT_EQ(m, 0);
  }
}

}  // namespace
}  // namespace traverse
