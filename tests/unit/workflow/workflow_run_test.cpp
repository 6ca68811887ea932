// Governing spec: 030-workflow-engine
// WorkflowRun: spellings and the JSON form of a run.
#include "traverse/workflow/workflow_run.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(WorkflowRun, FailureReasonsUseTheReferenceSnakeCaseSpelling) {
  EXPECT_EQ(to_string(WorkflowFailureReason::WorkflowNotFound), "workflow_not_found");
  EXPECT_EQ(to_string(WorkflowFailureReason::WorkflowInvalid), "workflow_invalid");
  EXPECT_EQ(to_string(WorkflowFailureReason::AmbiguousNextEdge), "ambiguous_next_edge");
  EXPECT_EQ(to_string(WorkflowFailureReason::MissingRequiredEvent), "missing_required_event");
  EXPECT_EQ(to_string(WorkflowFailureReason::TerminalNodeNotReached), "terminal_node_not_reached");
  EXPECT_EQ(to_string(WorkflowFailureReason::StepExecutionFailed), "step_execution_failed");
  EXPECT_EQ(to_string(WorkflowFailureReason::EventSubscriptionFailed), "event_subscription_failed");
  EXPECT_EQ(to_string(WorkflowFailureReason::EventBrokerUnavailable), "event_broker_unavailable");
  EXPECT_EQ(to_string(WorkflowStepStatus::Entered), "entered");
  EXPECT_EQ(to_string(WorkflowStepStatus::Completed), "completed");
  EXPECT_EQ(to_string(WorkflowStepStatus::Failed), "failed");
  EXPECT_EQ(to_string(WorkflowRunStatus::Completed), "completed");
  EXPECT_EQ(to_string(WorkflowRunStatus::Error), "error");
}

TEST(WorkflowRun, JsonFormCarriesStepsAndErrorButNotTheEvidence) {
  WorkflowRun run;
  run.run_id = "run-1";
  run.request_id = "req-1";
  run.workflow_id = "demo.flow";
  run.workflow_version = "1.0.0";
  run.status = WorkflowRunStatus::Error;
  WorkflowStep step;
  step.step_index = 0;
  step.node_id = "a";
  step.capability_id = "demo.cap";
  step.capability_version = "2.0.0";
  step.status = WorkflowStepStatus::Failed;
  step.duration_ms = 7;
  step.trace_id = "t-1";
  run.steps.push_back(step);
  run.error = WorkflowRunError{WorkflowFailureReason::StepExecutionFailed,
                               "execution_failed",
                               "ExecutionFailed",
                               "node \"a\" failed",
                               "a",
                               0,
                               Value{{"k", 1}}};
  run.warnings.push_back({"w", "careful"});
  run.evidence = Value{{"kind", "workflow_traversal_evidence"}};

  const Value json = to_json(run);
  EXPECT_EQ(json["status"], "error");
  EXPECT_FALSE(json.contains("output"));
  EXPECT_FALSE(json.contains("evidence"));
  EXPECT_EQ(json["error"], (Value{{"code", "execution_failed"},
                                  {"error_class", "ExecutionFailed"},
                                  {"message", "node \"a\" failed"},
                                  {"failure_reason", "step_execution_failed"},
                                  {"node_id", "a"},
                                  {"step_index", 0},
                                  {"details", {{"k", 1}}}}));
  EXPECT_EQ(json["steps"][0], (Value{{"step_index", 0},
                                     {"node_id", "a"},
                                     {"capability", "demo.cap@2.0.0"},
                                     {"capability_id", "demo.cap"},
                                     {"capability_version", "2.0.0"},
                                     {"status", "failed"},
                                     {"duration_ms", 7},
                                     {"trace_id", "t-1"}}));
  EXPECT_EQ(json["warnings"][0], (Value{{"code", "w"}, {"message", "careful"}}));

  run.status = WorkflowRunStatus::Completed;
  run.error.reset();
  run.output = Value{{"done", true}};
  const Value done = to_json(run);
  EXPECT_EQ(done["output"], (Value{{"done", true}}));
  EXPECT_FALSE(done.contains("error"));
}

TEST(WorkflowRunError, KindIsTheFailureReasonAndToStringLeadsWithTheCode) {
  const WorkflowRunError error(WorkflowFailureReason::MissingRequiredEvent,
                               "missing_required_event", "MissingRequiredEvent",
                               "node \"a\": no event edge matched", "a", std::size_t{2});
  EXPECT_EQ(error.kind(), WorkflowFailureReason::MissingRequiredEvent);
  EXPECT_EQ(error.node_id(), std::optional<std::string>("a"));
  EXPECT_EQ(error.step_index(), std::optional<std::size_t>(2));
  EXPECT_TRUE(error.details().is_object());
  EXPECT_EQ(error.to_string(), "missing_required_event: node \"a\": no event edge matched");
}

}  // namespace
}  // namespace traverse
