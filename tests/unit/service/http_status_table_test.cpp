// Governing spec: 050-service
#include "traverse/service/http_status_table.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(HttpStatusTableTest, RuntimeErrorCodesMapToTheirStatus) {
  EXPECT_EQ(http_status_for("request_invalid").status, 400u);
  EXPECT_EQ(http_status_for("capability_not_found").status, 404u);
  EXPECT_EQ(http_status_for("capability_ambiguous").status, 409u);
  EXPECT_EQ(http_status_for("body_too_large").status, 413u);
  EXPECT_EQ(http_status_for("execution_failed").status, 502u);
  EXPECT_EQ(http_status_for("deadline_exceeded").status, 504u);
}

TEST(HttpStatusTableTest, OverloadAndTimeoutClassesRefineExecutionFailures) {
  const auto overloaded = http_status_for("execution_failed", "Overloaded");
  EXPECT_EQ(overloaded.status, 503u);
  EXPECT_TRUE(overloaded.retry_after);
  EXPECT_EQ(http_status_for("execution_failed", "Timeout").status, 504u);
  EXPECT_TRUE(http_status_for("overloaded").retry_after);
}

TEST(HttpStatusTableTest, BadInputCodesAreNever500) {
  for (const char* code : {"request_invalid", "invalid_json", "invalid_parameter",
                           "invalid_request", "contract_invalid", "workflow_invalid",
                           "placement_unsupported", "header_too_large", "body_too_large"}) {
    const unsigned status = http_status_for(code).status;
    EXPECT_GE(status, 400u) << code;
    EXPECT_LT(status, 500u) << code;
  }
  EXPECT_EQ(http_status_for("something_new").status, 500u);
  EXPECT_EQ(http_reason(404), "Not Found");
}

}  // namespace
}  // namespace traverse
