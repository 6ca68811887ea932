// Governing spec: 040-cli
//
// The library writes every record the CLI shows: a repeated composite run leaves exactly one
// composite entry per run plus one entry per step, and every trace_ref any command prints
// (success, failure, rejection) is found by `traverse trace show`.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli_test_support.hpp"
#include "traverse/trace/sqlite_trace_store.hpp"

namespace traverse::cli_test {
namespace {

constexpr const char* kComposite = "expedition.planning.plan-expedition";

std::size_t count(const std::string& db, const TraceQuery& query) {
  auto store = SqliteTraceStore::open(db);
  EXPECT_TRUE(store.has_value());
  if (!store) {
    return 0;
  }
  return (*store)->count(query).value_or(0);
}

void expect_trace_shown(const std::string& db, const Value& document) {
  ASSERT_TRUE(document.contains("trace_ref")) << document.dump();
  const std::string trace_ref = document["trace_ref"].get<std::string>();
  ASSERT_FALSE(trace_ref.empty()) << document.dump();
  const auto show = run_cli({"trace", "show", trace_ref, "--trace-db", db, "--json"});
  EXPECT_EQ(show.exit_code, 0) << trace_ref << ": " << show.err;
}

TEST(CliPipeline, RepeatedCompositeRunsLeaveOneCompositeEntryPerRunAndOnePerStep) {
  TempDir dir;
  const std::string db = dir.file("traces.db");
  constexpr int kRuns = 100;
  const auto run = run_cli(
      concat({"run", example("bundle.json"), example("requests/plan-expedition.json"), "--repeat",
              std::to_string(kRuns), "--concurrency", "8", "--trace-db", db, "--json"},
             expedition_package_args()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(json_of(run)["completed"], kRuns);
  TraceQuery composite;
  composite.capability_id = kComposite;
  EXPECT_EQ(count(db, composite), static_cast<std::size_t>(kRuns));
  EXPECT_EQ(count(db, {}), static_cast<std::size_t>(kRuns * 6));  // + 5 steps per run
  TraceQuery rejected;
  rejected.outcome = TraceOutcome::Rejected;
  EXPECT_EQ(count(db, rejected), 0u);
}

TEST(CliPipeline, EveryPrintedTraceRefResolvesForSuccessFailureAndRejection) {
  TempDir dir;
  const std::string db = dir.file("traces.db");
  const std::string request = example("requests/plan-expedition.json");

  // Success (a composite).
  const auto success =
      run_cli(concat({"run", example("bundle.json"), request, "--trace-db", db, "--json"},
                     expedition_package_args()));
  ASSERT_EQ(success.exit_code, 0) << success.err;
  expect_trace_shown(db, json_of(success));

  // Failure: without packages the steps have no implementation.
  const auto failure =
      run_cli({"run", example("bundle.json"), request, "--trace-db", db, "--json"});
  EXPECT_EQ(failure.exit_code, 1) << failure.err;
  expect_trace_shown(db, json_of(failure));

  // Rejection: the input violates the composite's input schema.
  const std::string bad = dir.write(
      "bad.json", R"({"kind":"runtime_request","schema_version":"1.0.0","request_id":"bad-1",)"
                  R"("intent":{"capability_id":"expedition.planning.plan-expedition",)"
                  R"("capability_version":"1.0.0"},"input":{"unexpected":true},)"
                  R"("lookup":{"scope":"prefer_private","allow_ambiguity":false},)"
                  R"("context":{"requested_target":"local"},)"
                  R"("governing_spec":"006-runtime-request-execution"})");
  const auto rejected = run_cli(concat(
      {"run", example("bundle.json"), bad, "--trace-db", db, "--json"}, expedition_package_args()));
  EXPECT_EQ(rejected.exit_code, 2) << rejected.err;
  const Value rejected_doc = json_of(rejected);
  expect_trace_shown(db, rejected_doc);
  const auto shown = run_cli(
      {"trace", "show", rejected_doc["trace_ref"].get<std::string>(), "--trace-db", db, "--json"});
  EXPECT_NE(shown.out.find("Rejected"), std::string::npos) << shown.out;

  // workflow run: a completed run and an unknown workflow.
  const auto workflow =
      run_cli(concat({"workflow", "run", example("bundle.json"), "plan-expedition", "--input",
                      example("inputs/plan-expedition.json"), "--trace-db", db, "--json"},
                     expedition_package_args()));
  ASSERT_EQ(workflow.exit_code, 0) << workflow.err;
  expect_trace_shown(db, json_of(workflow));
  const auto unknown =
      run_cli({"workflow", "run", example("bundle.json"), "no-such-workflow", "--input",
               example("inputs/plan-expedition.json"), "--trace-db", db, "--json"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  expect_trace_shown(db, json_of(unknown));
}

}  // namespace
}  // namespace traverse::cli_test
