// Governing spec: 050-service
#include "traverse/service/service_metrics.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(ServiceMetricsTest, RendersCountersHistogramsAndGaugesInPrometheusText) {
  ServiceMetrics metrics;
  metrics.record_request("/healthz", 200);
  metrics.record_request("/healthz", 200);
  metrics.record_execution("demo.echo", "completed", 0.002);
  metrics.record_trace_write_failure();
  const std::string text = metrics.render({{"traverse_pool_queue_depth", "Queued.", 3}});
  EXPECT_NE(text.find("traverse_http_requests_total{route=\"/healthz\",status=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("traverse_executions_total{capability=\"demo.echo\",outcome=\"completed\"} 1"),
      std::string::npos);
  EXPECT_NE(
      text.find(
          "traverse_execution_duration_seconds_bucket{capability=\"demo.echo\",le=\"0.001\"} 0"),
      std::string::npos);
  EXPECT_NE(
      text.find(
          "traverse_execution_duration_seconds_bucket{capability=\"demo.echo\",le=\"0.0025\"} 1"),
      std::string::npos);
  EXPECT_NE(text.find("traverse_trace_write_failures_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE traverse_pool_queue_depth gauge\ntraverse_pool_queue_depth 3\n"),
            std::string::npos);
}

TEST(ServiceMetricsTest, LabelValuesAreEscaped) {
  ServiceMetrics metrics;
  metrics.record_execution("a\"b\\c", "completed", 0.1);
  EXPECT_NE(metrics.render({}).find("capability=\"a\\\"b\\\\c\""), std::string::npos);
}

}  // namespace
}  // namespace traverse
