// Governing spec: 050-service
#include "traverse/service/async_executions.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(AsyncExecutionsTest, RunningThenFinished) {
  AsyncExecutions executions(4);
  const auto id = executions.start();
  ASSERT_TRUE(id.has_value());
  EXPECT_FALSE(executions.get(*id)->finished);
  executions.finish(*id, 200, Value{{"status", "completed"}});
  const auto done = executions.get(*id);
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(done->finished);
  EXPECT_EQ(done->http_status, 200u);
  EXPECT_FALSE(executions.get("async_unknown").has_value());
}

TEST(AsyncExecutionsTest, FullOfRunningRefusesAndFinishedOnesAreForgottenFirst) {
  AsyncExecutions executions(2);
  const auto a = executions.start();
  const auto b = executions.start();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(executions.start().has_value());  // both running
  executions.finish(*a, 200, Value::object());
  const auto c = executions.start();  // forgets a
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(executions.get(*a).has_value());
  EXPECT_TRUE(executions.get(*b).has_value());
}

}  // namespace
}  // namespace traverse
