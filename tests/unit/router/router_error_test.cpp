// Governing spec: 010-runtime-stack
#include "traverse/router/router_error.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(RouterError, PlacementFailedMessageNamesReferenceErrorAndDetail) {
  const RouterError error = RouterError::placement_failed(
      PlacementError{PlacementErrorKind::NoEligibleTarget, "capability a.b"});
  EXPECT_EQ(error.message(), "placement failed: NoEligibleTarget (capability a.b)");
  EXPECT_EQ(error.error_class(), "PlacementFailed");
}

TEST(RouterError, ExecutorNotFoundMessageNamesArtifactType) {
  const RouterError error =
      RouterError::executor_not_found(ArtifactType::Wasm, PlacementDecision{});
  EXPECT_EQ(error.message(), "no executor registered for artifact type: Wasm");
  EXPECT_EQ(error.error_class(), "ExecutorNotFound");
}

TEST(RouterError, ExecutionFailedNestsExecutorTextAndUsesExecutorClass) {
  const RouterError error = RouterError::execution_failed(
      ExecutorError::execution_failed("inner failed"), std::nullopt, 0, {});
  EXPECT_EQ(error.message(), "execution failed: inner failed");
  EXPECT_EQ(error.error_class(), "ExecutionFailed");

  const RouterError timed_out =
      RouterError::execution_failed(ExecutorError::timeout("deadline 5ms"), std::nullopt, 5, {});
  EXPECT_EQ(timed_out.error_class(), "Timeout");
  EXPECT_EQ(timed_out.message(), "execution timed out: deadline 5ms");
  EXPECT_EQ(timed_out.duration_ms(), 5u);
}

TEST(RouterError, OutputValidationFailedListsEveryViolation) {
  const RouterError error = RouterError::output_validation_failed(
      {{"SchemaViolation", "$.a", "expected integer", ""},
       {"SchemaViolation", "$.b", "required property is missing", ""}},
      std::nullopt);
  EXPECT_EQ(error.message(),
            "output validation failed: 2 violation(s): $.a: expected integer; $.b: required "
            "property is missing");
  EXPECT_EQ(error.error_class(), "OutputValidationFailed");
}

TEST(RouterError, TraceWriteFailedCarriesTheStoreError) {
  const RouterError error = RouterError::trace_write_failed(
      TraceError{TraceErrorKind::Conflict, "trace entry 'x' already exists"}, std::nullopt);
  EXPECT_EQ(error.message(), "trace write failed: " + error.trace_error()->to_string());
  EXPECT_EQ(error.error_class(), "TraceWriteFailed");
}

TEST(RouterError, ToStringPrefixesTheClassOnceBeforeTheMessage) {
  const RouterError error = RouterError::execution_failed(
      ExecutorError::execution_failed("inner failed"), std::nullopt, 0, {});
  EXPECT_EQ(error.kind(), RouterErrorKind::ExecutionFailed);
  EXPECT_EQ(error.to_string(), "ExecutionFailed: execution failed: inner failed");
}

}  // namespace
}  // namespace traverse
