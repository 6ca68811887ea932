// Governing spec: 010-runtime-stack
#include "traverse/runtime/runtime_result.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(RuntimeResult, CompletedResultJsonHasReferenceShape) {
  RuntimeResult result;
  result.execution_id = "exec_r1";
  result.request_id = "r1";
  result.status = RuntimeStatus::Completed;
  result.trace_ref = "3f2b8c1e-0000-4000-8000-000000000000";
  result.output = Value{{"sum", 3}};
  const Value json = to_json(result);
  EXPECT_EQ(json, (Value{{"kind", "runtime_result"},
                         {"schema_version", "1.0.0"},
                         {"execution_id", "exec_r1"},
                         {"request_id", "r1"},
                         {"status", "completed"},
                         {"trace_ref", "3f2b8c1e-0000-4000-8000-000000000000"},
                         {"output", {{"sum", 3}}},
                         {"warnings", Value::array()}}));
}

TEST(RuntimeResult, ErrorResultJsonCarriesCodeMessageDetailsAndWarnings) {
  RuntimeResult result;
  result.execution_id = "exec_r2";
  result.request_id = "r2";
  result.status = RuntimeStatus::Error;
  result.trace_ref = "t";
  result.error = RuntimeError{std::string(runtime_error_code::kRequestInvalid), "bad input",
                              Value{{"violations", Value::array()}}};
  result.warnings.push_back({"event_publish_failed", "event x was not published"});
  const Value json = to_json(result);
  EXPECT_EQ(json["status"], "error");
  EXPECT_FALSE(json.contains("output"));
  EXPECT_EQ(json["error"], (Value{{"code", "request_invalid"},
                                  {"message", "bad input"},
                                  {"details", {{"violations", Value::array()}}}}));
  EXPECT_EQ(json["warnings"], (Value::array({{{"code", "event_publish_failed"},
                                              {"message", "event x was not published"}}})));
}

TEST(RuntimeResult, StatusAndErrorCodeSpellingsAreSnakeCase) {
  EXPECT_EQ(to_string(RuntimeStatus::Completed), "completed");
  EXPECT_EQ(to_string(RuntimeStatus::Error), "error");
  namespace c = runtime_error_code;
  EXPECT_EQ(c::kCapabilityNotFound, "capability_not_found");
  EXPECT_EQ(c::kCapabilityAmbiguous, "capability_ambiguous");
  EXPECT_EQ(c::kCapabilityNotRunnable, "capability_not_runnable");
  EXPECT_EQ(c::kPlacementUnsupported, "placement_unsupported");
  EXPECT_EQ(c::kArtifactMissing, "artifact_missing");
  EXPECT_EQ(c::kExecutionFailed, "execution_failed");
  EXPECT_EQ(c::kOutputValidationFailed, "output_validation_failed");
  EXPECT_EQ(c::kContractViolation, "contract_violation");
}

}  // namespace
}  // namespace traverse

namespace traverse {
namespace {

TEST(RuntimeErrorKind, EveryCodeHasItsKindAndUnknownCodesAreExecutionFailures) {
  EXPECT_EQ(runtime_error_kind("request_invalid"), RuntimeErrorKind::RequestInvalid);
  EXPECT_EQ(runtime_error_kind("capability_not_found"), RuntimeErrorKind::CapabilityNotFound);
  EXPECT_EQ(runtime_error_kind("trace_write_failed"), RuntimeErrorKind::TraceWriteFailed);
  EXPECT_EQ(runtime_error_kind("workflow_invalid"), RuntimeErrorKind::WorkflowInvalid);
  EXPECT_EQ(runtime_error_kind("ambiguous_next_edge"), RuntimeErrorKind::WorkflowFailed);
  EXPECT_EQ(runtime_error_kind("something_new"), RuntimeErrorKind::ExecutionFailed);
  const RuntimeError error{"output_validation_failed", "bad output", Value::object()};
  EXPECT_EQ(error.kind(), RuntimeErrorKind::OutputValidationFailed);
  EXPECT_EQ(to_string(error.kind()), "OutputValidationFailed");
  EXPECT_EQ(error.to_string(), "output_validation_failed: bad output");
  EXPECT_TRUE(is_rejection(RuntimeErrorKind::CapabilityNotFound));
  EXPECT_FALSE(is_rejection(RuntimeErrorKind::ExecutionFailed));
}

TEST(RuntimeError, KindFollowsTheCodeAndToStringIsCodeThenMessage) {
  const RuntimeError error(std::string(runtime_error_code::kTraceWriteFailed),
                           "store is read-only");
  EXPECT_EQ(error.kind(), RuntimeErrorKind::TraceWriteFailed);
  EXPECT_EQ(error.code(), "trace_write_failed");
  EXPECT_EQ(error.message(), "store is read-only");
  EXPECT_TRUE(error.details().is_object());
  EXPECT_EQ(error.to_string(), "trace_write_failed: store is read-only");
  EXPECT_EQ(RuntimeError("ambiguous_next_edge", "m").kind(), RuntimeErrorKind::WorkflowFailed);
}

}  // namespace
}  // namespace traverse
