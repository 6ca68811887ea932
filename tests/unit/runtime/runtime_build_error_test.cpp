// Governing spec: 010-runtime-stack
#include "traverse/runtime/runtime_build_error.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(RuntimeBuildError, ToStringPrefixesKindName) {
  EXPECT_EQ(to_string(RuntimeBuildErrorKind::InvalidOption), "InvalidOption");
  EXPECT_EQ(to_string(RuntimeBuildErrorKind::ExecutorSetupFailed), "ExecutorSetupFailed");
  EXPECT_EQ(to_string(RuntimeBuildErrorKind::BrokerSetupFailed), "BrokerSetupFailed");
  EXPECT_EQ(to_string(RuntimeBuildErrorKind::WorkflowRunnerFailed), "WorkflowRunnerFailed");
  const RuntimeBuildError error{RuntimeBuildErrorKind::InvalidOption, "x must be > 0"};
  EXPECT_EQ(error.to_string(), "InvalidOption: x must be > 0");
}

}  // namespace
}  // namespace traverse
