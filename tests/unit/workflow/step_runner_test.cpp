// Governing spec: 030-workflow-engine
// StepFailure: the error a StepRunner returns, and how the engine ends a run by its kind.
#include "traverse/workflow/step_runner.hpp"

#include <gtest/gtest.h>

#include "traverse/workflow/workflow_engine.hpp"
#include "workflow_test_support.hpp"

namespace traverse {
namespace {

using namespace workflow_test;

TEST(StepFailure, OnlyAnUnresolvedCapabilityIsCapabilityNotFound) {
  EXPECT_EQ(StepFailure("capability_not_found", "CapabilityNotFound", "no such capability").kind(),
            StepFailureKind::CapabilityNotFound);
  for (const char* code : {"execution_failed", "request_invalid", "output_validation_failed",
                           "timeout", "placement_unsupported"}) {
    EXPECT_EQ(StepFailure(code, "Whatever", "m").kind(), StepFailureKind::StepFailed) << code;
  }
}

TEST(StepFailure, MissingCodeClassOrObjectDetailsBecomeTheExecutionFailedDefaults) {
  const StepFailure failure("", "", "the runner said nothing more", std::nullopt, Value("text"));
  EXPECT_EQ(failure.code(), "execution_failed");
  EXPECT_EQ(failure.error_class(), "ExecutionFailed");
  EXPECT_TRUE(failure.details().is_object());
  EXPECT_EQ(failure.to_string(), "execution_failed: the runner said nothing more");
  const StepFailure placeholder;
  EXPECT_EQ(placeholder.code(), "execution_failed");
  EXPECT_EQ(placeholder.kind(), StepFailureKind::StepFailed);
}

// A three-step text workflow whose second step (greet) fails with `failure`.
WorkflowRun run_with_failing_greet(StepFailure failure) {
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.text.normalise", [](const StepRequest&) {
    return ok(Value{{"normalised", "ada"}});
  });
  runner->on("test.text.greet",
             [failure](const StepRequest&) { return StepResultT(std::unexpected(failure)); });
  return make_engine(runner).run(load("three_step.workflow.json"), Value{{"name", "Ada"}});
}

TEST(StepFailure, KindDecidesWhetherTheRunIsInvalidOrItsStepFailed) {
  const WorkflowRun unresolved = run_with_failing_greet(
      StepFailure("capability_not_found", "CapabilityNotFound", "greet@1.0.0 is not registered",
                  "trace-1", Value{{"capability", "test.text.greet"}}));
  ASSERT_FALSE(unresolved.completed());
  ASSERT_TRUE(unresolved.error.has_value());
  EXPECT_EQ(unresolved.error->kind(), WorkflowFailureReason::WorkflowInvalid);
  EXPECT_EQ(unresolved.error->details()["step_error"]["code"], "capability_not_found");
  EXPECT_EQ(unresolved.error->details()["trace_id"], "trace-1");
  EXPECT_EQ(unresolved.error->details()["capability"], "test.text.greet");
  ASSERT_EQ(unresolved.steps.size(), 2U);
  EXPECT_EQ(unresolved.steps[1].status, WorkflowStepStatus::Entered);

  const WorkflowRun failed =
      run_with_failing_greet(StepFailure("timeout", "Timeout", "took too long"));
  ASSERT_FALSE(failed.completed());
  ASSERT_TRUE(failed.error.has_value());
  EXPECT_EQ(failed.error->kind(), WorkflowFailureReason::StepExecutionFailed);
  EXPECT_EQ(failed.error->code(), "timeout");
  EXPECT_EQ(failed.error->error_class(), "Timeout");
  ASSERT_EQ(failed.steps.size(), 2U);
  EXPECT_EQ(failed.steps[1].status, WorkflowStepStatus::Failed);
}

}  // namespace
}  // namespace traverse
