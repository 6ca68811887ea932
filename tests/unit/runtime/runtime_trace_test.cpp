// Governing spec: 010-runtime-stack
#include "traverse/runtime/runtime_trace.hpp"

#include <gtest/gtest.h>

#include "traverse/trace/trace_store.hpp"

namespace traverse {
namespace {

TEST(RuntimeTrace, OutputDigestIsFnv1a64OfCanonicalJsonWithVersionPrefix) {
  EXPECT_EQ(output_digest(Value::parse(R"({"b": [true, null], "a": 1.0})")),
            "0.1.0:beefe28710b8e93c");
  EXPECT_EQ(output_digest(Value(1)), "0.1.0:af63ac4c86019afc");
}

TEST(RuntimeTrace, OutputDigestOfCanonicalTextEqualsTheDigestOfTheValue) {
  const Value output = Value::parse(R"({"b": [true, null], "a": 1.0})");
  EXPECT_EQ(output_digest_of_canonical(canonical_dump(output)), "0.1.0:beefe28710b8e93c");
  EXPECT_EQ(output_digest_of_canonical("1"), "0.1.0:af63ac4c86019afc");
  EXPECT_EQ(output_digest_of_canonical(""), "0.1.0:cbf29ce484222325");  // the FNV offset basis
}

TEST(RuntimeTrace, ExecutionStatusSpellings) {
  EXPECT_EQ(to_string(RuntimeExecutionStatus::NotStarted), "not_started");
  EXPECT_EQ(to_string(RuntimeExecutionStatus::Succeeded), "succeeded");
  EXPECT_EQ(to_string(RuntimeExecutionStatus::Failed), "failed");
}

TEST(RuntimeTrace, SucceededTraceJsonCarriesSelectionPlacementAndDigest) {
  RuntimeTrace trace;
  trace.trace_id = "t-1";
  trace.execution_id = "exec_r1";
  trace.request_id = "r1";
  trace.capability_id = "demo.cap";
  trace.capability_version = "1.0.0";
  trace.scope = Scope::Public;
  trace.artifact_ref = "native handler 'demo.cap'";
  trace.requested_target = "local";
  trace.placement = PlacementDecision{ExecutionTarget::Local, PlacementReason::CallerHintAccepted,
                                      PlacementConfidence::High};
  trace.execution_status = RuntimeExecutionStatus::Succeeded;
  trace.output_digest = "0.1.0:0000000000000000";
  trace.trace_store_entry = true;
  trace.status = RuntimeStatus::Completed;
  trace.received_at = *parse_rfc3339("2026-11-26T12:00:00.000Z");
  trace.finished_at = *parse_rfc3339("2026-11-26T12:00:00.004Z");
  trace.total_duration_ms = 4;

  const Value json = to_json(trace);
  EXPECT_EQ(json["kind"], "runtime_trace");
  EXPECT_EQ(json["governing_spec"], "006-runtime-request-execution");
  EXPECT_EQ(json["selection"], (Value{{"status", "selected"},
                                      {"capability_id", "demo.cap"},
                                      {"capability_version", "1.0.0"},
                                      {"scope", "public"},
                                      {"artifact_ref", "native handler 'demo.cap'"}}));
  EXPECT_EQ(json["execution"]["placement"], (Value{{"requested_target", "local"},
                                                   {"status", "selected"},
                                                   {"selected_target", "local"},
                                                   {"reason", "CallerHintAccepted"},
                                                   {"confidence", "High"}}));
  EXPECT_EQ(json["execution"]["status"], "succeeded");
  EXPECT_EQ(json["execution"]["output_digest"], "0.1.0:0000000000000000");
  EXPECT_EQ(json["execution"]["trace_store_entry"], true);
  EXPECT_EQ(json["result"], (Value{{"status", "completed"}}));
  EXPECT_EQ(json["terminal_outcome"], "completed");
  EXPECT_EQ(json["received_at"], "2026-11-26T12:00:00.000Z");
  EXPECT_EQ(json["completed_at"], "2026-11-26T12:00:00.004Z");
  EXPECT_FALSE(json.contains("workflow_evidence"));
}

TEST(RuntimeTrace, RejectedTraceJsonNamesErrorAndUnselectedCapability) {
  RuntimeTrace trace;
  trace.trace_id = "t-2";
  trace.requested_target = "cloud";
  trace.status = RuntimeStatus::Error;
  trace.error = RuntimeError{"placement_unsupported", "requested target 'cloud'", Value::object()};
  const Value json = to_json(trace);
  EXPECT_EQ(json["selection"], (Value{{"status", "not_selected"}}));
  EXPECT_EQ(json["execution"]["placement"]["status"], "not_evaluated");
  EXPECT_EQ(json["execution"]["status"], "not_started");
  EXPECT_EQ(json["result"], (Value{{"status", "error"},
                                   {"error_code", "placement_unsupported"},
                                   {"error_message", "requested target 'cloud'"}}));
  EXPECT_EQ(json["terminal_outcome"], "error");
}

}  // namespace
}  // namespace traverse
