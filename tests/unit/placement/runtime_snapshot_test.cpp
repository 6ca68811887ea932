// Governing spec: 010-runtime-stack
#include "traverse/placement/runtime_snapshot.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(RuntimeSnapshot, AbsentTargetHasZeroLoad) {
  const RuntimeSnapshot snapshot;
  for (const ExecutionTarget target : kAllExecutionTargets) {
    EXPECT_EQ(snapshot.load(target), 0.0);
  }
}

TEST(RuntimeSnapshot, WithLoadSetsOnlyThatTarget) {
  RuntimeSnapshot snapshot;
  snapshot.with_load(ExecutionTarget::Cloud, 0.25).with_load(ExecutionTarget::Edge, 0.75);
  EXPECT_EQ(snapshot.load(ExecutionTarget::Cloud), 0.25);
  EXPECT_EQ(snapshot.load(ExecutionTarget::Edge), 0.75);
  EXPECT_EQ(snapshot.load(ExecutionTarget::Local), 0.0);
  snapshot.with_load(ExecutionTarget::Cloud, 0.5);
  EXPECT_EQ(snapshot.load(ExecutionTarget::Cloud), 0.5);
  EXPECT_EQ(snapshot.target_loads.size(), 2u);
}

}  // namespace
}  // namespace traverse
