// Governing spec: 010-runtime-stack
#include "traverse/trace/trace_entry.hpp"

#include <gtest/gtest.h>

#include "trace_test_support.hpp"
#include "traverse/support/digest.hpp"
#include "traverse/trace/trace_store.hpp"

namespace traverse {
namespace {

using trace_test::entry;

TEST(TraceOutcome, SpelledPascalCaseAndParsedBack) {
  EXPECT_EQ(to_string(TraceOutcome::Success), "Success");
  EXPECT_EQ(to_string(TraceOutcome::Failure), "Failure");
  EXPECT_EQ(parse_trace_outcome("Failure"), TraceOutcome::Failure);
  EXPECT_EQ(parse_trace_outcome("success"), std::nullopt);
}

TEST(TraceOutcome, RejectedIsSpelledParsedAndRoundTripsThroughJson) {
  EXPECT_EQ(to_string(TraceOutcome::Rejected), "Rejected");
  EXPECT_EQ(parse_trace_outcome("Rejected"), TraceOutcome::Rejected);
  PublicTraceEntry rejected;
  rejected.id = "t-rejected";
  rejected.execution_id = "exec_r";
  rejected.source = "traverse-runtime/demo.missing";
  rejected.time = "2026-11-26T12:00:00.000Z";
  rejected.capability_id = "demo.missing";
  rejected.outcome = TraceOutcome::Rejected;
  rejected.error_class = "CapabilityNotFound";
  rejected.error_message = "no capability demo.missing";
  const Value json = to_json(rejected);
  EXPECT_EQ(json["outcome"], "Rejected");
  auto parsed = public_trace_entry_from_json(json);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_EQ(*parsed, rejected);
}

TEST(PublicTraceEntry, JsonUsesReferenceNamesAndOmitsAbsentOptionals) {
  const PublicTraceEntry e = entry("t1");
  const Value json = to_json(e);
  EXPECT_EQ(json["id"], "t1");
  EXPECT_EQ(json["event_type"], "dev.traverse.execution.completed");
  EXPECT_EQ(json["datacontenttype"], "application/json");
  EXPECT_EQ(json["source"], "traverse-runtime/demo.echo");
  EXPECT_EQ(json["outcome"], "Success");
  EXPECT_EQ(json["placement_target"], "Local");
  EXPECT_EQ(json["duration_ms"], 3);
  EXPECT_EQ(json["time"], "2026-11-26T12:00:00.000Z");
  EXPECT_FALSE(json.contains("error_class"));
  EXPECT_FALSE(json.contains("workflow_run_id"));
  EXPECT_FALSE(json.contains("step_index"));
  EXPECT_FALSE(json.contains("published_events"));
  EXPECT_FALSE(json.contains("publish_errors"));
}

TEST(PublicTraceEntry, FailureWithRunAndPublishErrorsRoundTrips) {
  PublicTraceEntry e = entry("t2", "demo.fail", TraceOutcome::Failure);
  e.workflow_run_id = "run-1";
  e.step_index = 4;
  e.published_events = {"ev-1", "ev-2"};
  e.publish_errors = {{"ev-3", "demo.thing.happened", "unregistered event type"}};
  const Value json = to_json(e);
  EXPECT_EQ(json["outcome"], "Failure");
  EXPECT_EQ(json["error_class"], "ExecutionFailed");
  EXPECT_EQ(json["publish_errors"][0]["event_type"], "demo.thing.happened");
  auto back = public_trace_entry_from_json(json);
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(*back, e);
}

TEST(PublicTraceEntry, RemoteAttemptsRoundTripWithTheNodeOmittedWhenNoneAnswered) {
  PublicTraceEntry e = entry("t-remote");
  e.placement_target = "Worker";
  e.attempts = {{1, "", "Timeout", 0, 2'000'123}, {2, "node-b", "ok", 85, 240}};
  const Value json = to_json(e);
  ASSERT_EQ(json["attempts"].size(), 2u);
  EXPECT_FALSE(json["attempts"][0].contains("node"));
  EXPECT_EQ(json["attempts"][0]["outcome"], "Timeout");
  EXPECT_EQ(json["attempts"][1]["node"], "node-b");
  EXPECT_EQ(json["attempts"][1]["remote_duration_us"], 85);
  EXPECT_EQ(json["attempts"][1]["round_trip_us"], 240);
  auto back = public_trace_entry_from_json(json);
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(*back, e);
  EXPECT_FALSE(to_json(entry("t-local")).contains("attempts"));
}

TEST(PublicTraceEntry, MalformedAttemptIsCorruptNamingItsPath) {
  Value json = to_json(entry("t4"));
  json["attempts"] = Value::array(
      {Value{{"attempt", 1}, {"outcome", "ok"}}, Value{{"attempt", 0}, {"outcome", "ok"}}});
  auto bad = public_trace_entry_from_json(json);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("$.attempts[1].attempt"), std::string::npos)
      << bad.error().message();
  json["attempts"] = Value::array({Value{{"attempt", 1}}});
  bad = public_trace_entry_from_json(json);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("$.attempts[0].outcome"), std::string::npos);
}

TEST(PublicTraceEntry, FromJsonNamesThePathOfABadField) {
  Value json = to_json(entry("t3"));
  json["outcome"] = "Maybe";
  auto bad = public_trace_entry_from_json(json);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind(), TraceErrorKind::Corrupt);
  EXPECT_NE(bad.error().message().find("$.outcome"), std::string::npos);

  json = to_json(entry("t3"));
  json["publish_errors"] = Value::array({Value{{"event_id", "x"}}});
  bad = public_trace_entry_from_json(json);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("$.publish_errors[0].event_type"), std::string::npos);

  EXPECT_FALSE(public_trace_entry_from_json(Value::array()).has_value());
}

TEST(PrivateTraceEntry, HashesCanonicalJsonAndOmitsOutputHashOnFailure) {
  const Value input = Value::parse(R"({"b":1.0,"a":[1,2]})");
  const Value output = Value{{"ok", true}};
  const PrivateTraceEntry ok = make_private_trace_entry("t1", input, &output, 7, false);
  EXPECT_EQ(ok.inputs_hash, sha256_hex(R"({"a":[1,2],"b":1.0})"));
  EXPECT_EQ(ok.outputs_hash, sha256_hex(R"({"ok":true})"));
  EXPECT_EQ(ok.resource_usage_ms, 7U);
  EXPECT_FALSE(ok.input.has_value());
  EXPECT_FALSE(ok.output.has_value());

  const PrivateTraceEntry failed = make_private_trace_entry("t2", input, nullptr, 1, true);
  EXPECT_FALSE(failed.outputs_hash.has_value());
  EXPECT_EQ(failed.input, input);
  EXPECT_FALSE(failed.output.has_value());
  const Value json = to_json(failed);
  EXPECT_FALSE(json.contains("outputs_hash"));
  auto back = private_trace_entry_from_json(json);
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(*back, failed);
}

TEST(PrivateTraceEntry, FromAnOutputAlreadyDumpedIsTheSameEntry) {
  const Value input = Value::parse(R"({"b":1.0,"a":[1,2]})");
  const Value output = Value{{"ok", true}, {"n", 3}};
  const std::string canonical = canonical_dump(output);
  for (const bool keep : {false, true}) {
    EXPECT_EQ(make_private_trace_entry("t1", input, &output, canonical, 7, keep),
              make_private_trace_entry("t1", input, &output, 7, keep));
  }
}

TEST(ParseRfc3339, AcceptsMillisecondsAndOffsetsRejectsGarbage) {
  using namespace std::chrono;
  const auto base = trace_test::base_time();
  EXPECT_EQ(parse_rfc3339("2026-11-26T12:00:00.000Z"), base);
  EXPECT_EQ(parse_rfc3339("2026-11-26T12:00:00Z"), base);
  EXPECT_EQ(parse_rfc3339("2026-11-26T12:00:00.5Z"), base + milliseconds{500});
  EXPECT_EQ(parse_rfc3339("2026-11-26T13:30:00+01:30"), base);
  EXPECT_EQ(parse_rfc3339("2026-11-26T10:00:00-02:00"), base);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:01Z"), system_clock::time_point{seconds{1}});
  EXPECT_EQ(parse_rfc3339(""), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-02-30T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-11-26 12:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-11-26T12:00:00"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-11-26T12:00:00Zjunk"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-11-26T25:00:00Z"), std::nullopt);
}

}  // namespace
}  // namespace traverse
