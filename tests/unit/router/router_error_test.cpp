// Governing spec: 010-runtime-stack
#include "traverse/router/router_error.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(RouterError, PlacementFailedMessageNamesReferenceErrorAndDetail) {
  RouterError error;
  error.kind = RouterErrorKind::PlacementFailed;
  error.placement_error = PlacementError{PlacementErrorKind::NoEligibleTarget, "capability a.b"};
  EXPECT_EQ(error.message(), "placement failed: NoEligibleTarget (capability a.b)");
  EXPECT_EQ(error.error_class(), "PlacementFailed");
}

TEST(RouterError, ExecutorNotFoundMessageNamesArtifactType) {
  RouterError error;
  error.kind = RouterErrorKind::ExecutorNotFound;
  error.artifact_type = ArtifactType::Wasm;
  EXPECT_EQ(error.message(), "no executor registered for artifact type: Wasm");
  EXPECT_EQ(error.error_class(), "ExecutorNotFound");
}

TEST(RouterError, ExecutionFailedNestsExecutorTextAndUsesExecutorClass) {
  RouterError error;
  error.kind = RouterErrorKind::ExecutionFailed;
  error.executor_error = ExecutorError::execution_failed("inner failed");
  EXPECT_EQ(error.message(), "execution failed: inner failed");
  EXPECT_EQ(error.error_class(), "ExecutionFailed");

  error.executor_error = ExecutorError::timeout("deadline 5ms");
  EXPECT_EQ(error.error_class(), "Timeout");
  EXPECT_EQ(error.message(), "execution timed out: deadline 5ms");
}

TEST(RouterError, OutputValidationFailedListsEveryViolation) {
  RouterError error;
  error.kind = RouterErrorKind::OutputValidationFailed;
  error.violations = {{"SchemaViolation", "$.a", "expected integer", ""},
                      {"SchemaViolation", "$.b", "required property is missing", ""}};
  EXPECT_EQ(error.message(),
            "output validation failed: 2 violation(s): $.a: expected integer; $.b: required "
            "property is missing");
  EXPECT_EQ(error.error_class(), "OutputValidationFailed");
}

TEST(RouterError, TraceWriteFailedCarriesTheStoreError) {
  RouterError error;
  error.kind = RouterErrorKind::TraceWriteFailed;
  error.trace_error = TraceError{TraceErrorKind::Conflict, "trace entry 'x' already exists"};
  EXPECT_EQ(error.message(), "trace write failed: " + error.trace_error->to_string());
  EXPECT_EQ(error.error_class(), "TraceWriteFailed");
}

}  // namespace
}  // namespace traverse
