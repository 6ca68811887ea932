// Governing spec: 040-cli
//
// `traverse workflow run`, `traverse run` (incl. --repeat) and `traverse package run`, driven
// through the real binary over the expedition example: human output (plan, step table, events,
// trace location), --json shapes, progress on a terminal, and every error exit code.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_test_support.hpp"

namespace traverse::cli_test {
namespace {

const char* const kCaptureId = "expedition.planning.capture-expedition-objective";

std::string capture_request(const TempDir& dir, const std::string& request_id,
                            const std::string& input = R"({"objective":"Summit Mont Blanc by the )"
                                                       R"(Gouter route","region":"Mont Blanc )"
                                                       R"(massif","start_date":"2027-07-14",)"
                                                       R"("duration_days":4})") {
  return dir.write(request_id + ".json",
                   R"({"kind":"runtime_request","schema_version":"1.0.0","request_id":")" +
                       request_id + R"(","intent":{"capability_id":")" + kCaptureId +
                       R"(","capability_version":"1.0.0"},"input":)" + input +
                       R"(,"lookup":{"scope":"prefer_private","allow_ambiguity":false},)"
                       R"("context":{"requested_target":"local"},)"
                       R"("governing_spec":"006-runtime-request-execution"})");
}

std::vector<std::string> workflow_run_args(const TempDir& dir) {
  return concat({"workflow", "run", example("bundle.json"), "plan-expedition@1.0.0", "--input",
                 example("inputs/plan-expedition.json"), "--trace-db", dir.file("traces.db")},
                expedition_package_args());
}

// The rows of the step table: the lines after the "STEP ..." header up to the next blank line.
std::vector<std::string> step_rows(const std::string& out) {
  const auto lines = lines_of(out);
  const auto header = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
    return line.rfind("STEP", 0) == 0 && line.find("NODE") != std::string::npos;
  });
  std::vector<std::string> rows;
  if (header == lines.end()) {
    return rows;
  }
  for (auto it = header + 1; it != lines.end() && !it->empty(); ++it) {
    rows.push_back(*it);
  }
  return rows;
}

TEST(CliWorkflowRun, ExpeditionPrintsPlanFiveStepRowsEventsAndTraceLocation) {
  TempDir dir;
  const auto run = run_cli(workflow_run_args(dir));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");  // no progress when stderr is not a terminal
  EXPECT_NE(run.out.find("workflow: plan-expedition@1.0.0\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("status: completed\n"), std::string::npos);
  EXPECT_NE(run.out.find("\"plan_id\": \"plan-"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"recommended_route_style\": "), std::string::npos);
  const auto rows = step_rows(run.out);
  ASSERT_EQ(rows.size(), 5U) << run.out;
  EXPECT_EQ(rows[0].rfind("0     capture_objective ", 0), 0U) << rows[0];
  for (const auto& row : rows) {
    EXPECT_NE(row.find("@1.0.0"), std::string::npos) << row;
    EXPECT_NE(row.find("  completed  "), std::string::npos) << row;
    // A duration in ms, or in s when a step took a second or more (a loaded machine; the AOT
    // tier's first call of a module waits for its compile).
    EXPECT_TRUE(row.find(" ms") != std::string::npos || row.ends_with(" s")) << row;
  }
  EXPECT_NE(run.out.find("events published: 5\n"), std::string::npos) << run.out;
  const auto lines = lines_of(run.out);
  const auto event = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
    return line.rfind("  expedition.planning.objective-captured@1.0.0 ", 0) == 0;
  });
  ASSERT_NE(event, lines.end()) << run.out;
  EXPECT_NE(event->find(" step 0  capture_objective "), std::string::npos) << *event;
  EXPECT_NE(run.out.find("trace: "), std::string::npos);
  EXPECT_NE(run.out.find(" in " + dir.file("traces.db") + "\n"), std::string::npos) << run.out;
  EXPECT_TRUE(std::filesystem::exists(dir.file("traces.db")));
}

TEST(CliWorkflowRun, JsonIsOneDocumentWithRunStepsEvidenceAndEvents) {
  TempDir dir;
  const auto run = run_cli(concat(workflow_run_args(dir), {"--json"}));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Value doc = json_of(run);
  EXPECT_EQ(doc["status"], "completed");
  EXPECT_EQ(doc["workflow_id"], "plan-expedition");
  EXPECT_TRUE(doc["output"]["plan_id"].is_string());
  EXPECT_TRUE(doc["output"]["summary"].is_string());
  ASSERT_EQ(doc["steps"].size(), 5U);
  EXPECT_EQ(doc["steps"][0]["capability_id"], kCaptureId);
  EXPECT_EQ(doc["steps"][4]["status"], "completed");
  EXPECT_EQ(doc["evidence"]["kind"], "workflow_traversal_evidence");
  EXPECT_EQ(doc["evidence"]["visited_nodes"].size(), 5U);
  EXPECT_EQ(doc["evidence"]["result"]["status"], "completed");
  EXPECT_EQ(doc["events"].size(), 5U);
  EXPECT_EQ(doc["events"][0]["event_type"], "expedition.planning.objective-captured");
  EXPECT_EQ(doc["trace_db"], dir.file("traces.db"));
  // The run's own entry, written by the library.
  const auto show = run_cli({"trace", "show", doc["trace_ref"].get<std::string>(), "--trace-db",
                             dir.file("traces.db"), "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(json_of(show)["workflow_run"]["run_id"], doc["run_id"]);
}

TEST(CliWorkflowRun, ProgressOnlyOnATerminalAndNeverWithQuiet) {
  TempDir dir;
  const auto tty = run_cli(workflow_run_args(dir), {.stderr_is_tty = true});
  ASSERT_EQ(tty.exit_code, 0) << tty.err;
  EXPECT_NE(tty.err.find("\r\x1b[K"), std::string::npos) << tty.err;
  EXPECT_NE(tty.err.find("step(s) done"), std::string::npos) << tty.err;

  const auto quiet = run_cli(concat(workflow_run_args(dir), {"--quiet"}), {.stderr_is_tty = true});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
  // Quiet: only the plan (one JSON document).
  const Value plan = json_of(quiet);
  EXPECT_TRUE(plan["plan_id"].is_string());
}

TEST(CliWorkflowRun, DefaultTraceDatabaseIsCreatedUnderTheCurrentFolder) {
  TempDir dir;
  const auto args = concat({"workflow", "run", example("bundle.json"), "plan-expedition", "--input",
                            example("inputs/plan-expedition.json")},
                           expedition_package_args());
  const auto run = run_cli(args, {.cwd = dir.path()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() / ".traverse/traces.db"));
  EXPECT_NE(run.out.find(" in .traverse/traces.db\n"), std::string::npos) << run.out;
  const auto list = run_cli({"trace", "list", "--json"}, {.cwd = dir.path()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(json_of(list)["total"], 6);  // 5 steps + the run
}

TEST(CliWorkflowRun, AStepWithoutImplementationFailsWithExitOneAndAFailedRow) {
  TempDir dir;
  // Without --package the bundle's capabilities have no implementation: step 0 fails.
  const auto run =
      run_cli({"workflow", "run", example("bundle.json"), "plan-expedition@1.0.0", "--input",
               example("inputs/plan-expedition.json"), "--trace-db", dir.file("traces.db")});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("status: error\n"), std::string::npos) << run.out;
  const auto rows = step_rows(run.out);
  ASSERT_EQ(rows.size(), 1U) << run.out;
  EXPECT_NE(rows[0].find("  failed  "), std::string::npos) << rows[0];
  EXPECT_NE(run.err.find("error: artifact_missing"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(" at node capture_objective: "), std::string::npos) << run.err;
}

TEST(CliWorkflowRun, UnknownWorkflowAndInvalidInputAreValidationFailuresExitTwo) {
  TempDir dir;
  const auto unknown =
      run_cli(concat({"workflow", "run", example("bundle.json"), "no-such-flow", "--input",
                      example("inputs/plan-expedition.json"), "--trace-db", dir.file("traces.db")},
                     expedition_package_args()));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no-such-flow"), std::string::npos) << unknown.err;

  const std::string bad_input = dir.write("bad-input.json", R"({"objective": "x"})");
  const auto invalid =
      run_cli(concat({"workflow", "run", example("bundle.json"), "plan-expedition", "--input",
                      bad_input, "--trace-db", dir.file("traces.db"), "--json"},
                     expedition_package_args()));
  EXPECT_EQ(invalid.exit_code, 2) << invalid.err;
  const Value doc = json_of(invalid);
  EXPECT_EQ(doc["status"], "error");
  EXPECT_EQ(doc["steps"].size(), 0U);
  EXPECT_EQ(doc["error"]["code"], "request_invalid");

  const std::string not_json = dir.write("not-json.json", "{");
  const auto malformed = run_cli({"workflow", "run", example("bundle.json"), "plan-expedition",
                                  "--input", not_json, "--trace-db", dir.file("traces.db")});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find(not_json + ": $: InvalidJson: "), std::string::npos)
      << malformed.err;
}

TEST(CliWorkflowRun, UnreadableFilesAreIoErrorsExitFourWithAJsonReport) {
  TempDir dir;
  const std::string missing = dir.file("missing.json");
  const auto input = run_cli({"workflow", "run", example("bundle.json"), "plan-expedition",
                              "--input", missing, "--trace-db", dir.file("t.db"), "--json"});
  EXPECT_EQ(input.exit_code, 4);
  const Value doc = json_of(input);
  EXPECT_EQ(doc["exit_code"], 4);
  EXPECT_EQ(doc["errors"][0]["file"], missing);

  const auto bundle =
      run_cli({"workflow", "run", missing, "plan-expedition", "--input",
               example("inputs/plan-expedition.json"), "--trace-db", dir.file("t.db")});
  EXPECT_EQ(bundle.exit_code, 4);
  EXPECT_NE(bundle.err.find(missing), std::string::npos) << bundle.err;

  // The trace database folder cannot be created (a file is in the way).
  const std::string blocker = dir.write("blocker", "x");
  const auto db =
      run_cli(concat({"workflow", "run", example("bundle.json"), "plan-expedition", "--input",
                      example("inputs/plan-expedition.json"), "--trace-db", blocker + "/traces.db"},
                     expedition_package_args()));
  EXPECT_EQ(db.exit_code, 4) << db.err;
}

TEST(CliWorkflowRun, PackageWithADifferentContractIsARegistrationConflictExitThree) {
  TempDir dir;
  // A copy of the capture package whose contract differs from the bundle's (summary changed).
  const auto source = kSource / "examples/expedition/capabilities/capture-expedition-objective";
  const auto contract_source =
      kSource / "examples/expedition/contracts/capture-expedition-objective.json";
  std::filesystem::create_directories(dir.path() / "pkg");
  std::filesystem::copy(source / "capture-expedition-objective.wasm",
                        dir.path() / "pkg/capture-expedition-objective.wasm");
  std::filesystem::copy(source / "capture_expedition_objective.c",
                        dir.path() / "pkg/capture_expedition_objective.c");
  auto contract = parse_json_file(contract_source);
  ASSERT_TRUE(contract.has_value());
  (*contract)["summary"] = "Captures an expedition objective (a changed copy for a conflict test).";
  dir.write("pkg/contract.json", canonical_dump(*contract));
  auto manifest = parse_json_file(source / "package.json");
  ASSERT_TRUE(manifest.has_value());
  (*manifest)["capability_ref"]["contract_path"] = "contract.json";
  const std::string package = dir.write("pkg/package.json", canonical_dump(*manifest));

  const auto run = run_cli({"workflow", "run", example("bundle.json"), "plan-expedition", "--input",
                            example("inputs/plan-expedition.json"), "--package", package,
                            "--trace-db", dir.file("traces.db")});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_NE(run.err.find(package + ": $.capability_ref: PackageContractConflict: "),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("identical contract is required"), std::string::npos) << run.err;
}

TEST(CliRun, WorkflowBackedCapabilityRunsAllStepsAndIsShowableByTraceRef) {
  TempDir dir;
  const auto run =
      run_cli(concat({"run", example("bundle.json"), example("requests/plan-expedition.json"),
                      "--trace-db", dir.file("traces.db"), "--json"},
                     expedition_package_args()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Value doc = json_of(run);
  EXPECT_EQ(doc["kind"], "runtime_result");
  EXPECT_EQ(doc["status"], "completed");
  EXPECT_EQ(doc["request_id"], "expedition-plan-001");
  EXPECT_EQ(doc["execution_id"], "exec_expedition-plan-001");
  EXPECT_EQ(doc["capability_id"], "expedition.planning.plan-expedition");
  EXPECT_TRUE(doc["output"]["plan_id"].is_string());  // output at the top level
  EXPECT_EQ(doc["steps"].size(), 5U);
  EXPECT_EQ(doc["workflow_evidence"]["visited_nodes"].size(), 5U);
  EXPECT_EQ(doc["events"].size(), 5U);
  EXPECT_EQ(doc["traced"], true);

  const auto show = run_cli({"trace", "show", doc["trace_ref"].get<std::string>(), "--trace-db",
                             dir.file("traces.db"), "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  const Value shown = json_of(show);
  EXPECT_EQ(shown["public"]["capability_id"], "expedition.planning.plan-expedition");
  EXPECT_EQ(shown["public"]["placement_target"], "workflow");
  EXPECT_EQ(shown["workflow_run"]["run_id"], doc["workflow_run_id"]);
  EXPECT_EQ(shown["workflow_run"]["evidence"]["visited_nodes"].size(), 5U);
  EXPECT_EQ(shown["steps"].size(), 5U);
}

TEST(CliRun, HumanOutputHasIdsStatusPlanStepTableEventsAndTraceLocation) {
  TempDir dir;
  const auto run =
      run_cli(concat({"run", example("bundle.json"), example("requests/plan-expedition.json"),
                      "--trace-db", dir.file("traces.db")},
                     expedition_package_args()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = lines_of(run.out);
  ASSERT_GE(lines.size(), 7U);
  EXPECT_EQ(lines[0], "request_id: expedition-plan-001");
  EXPECT_EQ(lines[1], "execution_id: exec_expedition-plan-001");
  EXPECT_EQ(lines[2], "capability_id: expedition.planning.plan-expedition");
  EXPECT_EQ(lines[3], "capability_version: 1.0.0");
  EXPECT_EQ(lines[4], "status: completed");
  EXPECT_EQ(lines[5].rfind("trace_ref: ", 0), 0U);
  EXPECT_EQ(lines[6], "output:");
  EXPECT_EQ(step_rows(run.out).size(), 5U) << run.out;
  EXPECT_NE(run.out.find("events published: 5\n"), std::string::npos);
  EXPECT_NE(run.out.find("trace: " + lines[5].substr(11) + " in "), std::string::npos);
}

TEST(CliRun, SingleWasmCapabilityPrintsItsPublishedEvent) {
  TempDir dir;
  const auto request = capture_request(dir, "cli-capture-1");
  const auto run = run_cli(concat(
      {"run", example("bundle.json"), request, "--trace-db", dir.file("traces.db"), "--json"},
      expedition_package_args()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Value doc = json_of(run);
  EXPECT_EQ(doc["status"], "completed");
  EXPECT_EQ(doc["capability_id"], kCaptureId);
  EXPECT_TRUE(doc["output"]["objective_id"].is_string());
  EXPECT_FALSE(doc.contains("steps"));
  ASSERT_EQ(doc["events"].size(), 1U);
  EXPECT_EQ(doc["events"][0]["event_type"], "expedition.planning.objective-captured");
  EXPECT_EQ(doc["traced"], true);
}

TEST(CliRun, ErrorsMapToExitCodes) {
  TempDir dir;
  const std::string db = dir.file("traces.db");
  // 1: the capability has no implementation (no package attached).
  const auto missing_impl =
      run_cli({"run", example("bundle.json"), capture_request(dir, "r1"), "--trace-db", db});
  EXPECT_EQ(missing_impl.exit_code, 1) << missing_impl.err;
  EXPECT_NE(missing_impl.err.find("error: "), std::string::npos) << missing_impl.err;
  EXPECT_NE(missing_impl.err.find("(artifact_missing)"), std::string::npos) << missing_impl.err;

  // 2: the input violates the input schema; every violation is listed with its path.
  const auto invalid =
      run_cli(concat({"run", example("bundle.json"),
                      capture_request(dir, "r2",
                                      R"({"objective":"x","region":"y","start_date":"2027-07-14",)"
                                      R"("duration_days":0})"),
                      "--trace-db", db, "--json"},
                     expedition_package_args()));
  EXPECT_EQ(invalid.exit_code, 2) << invalid.err;
  EXPECT_EQ(json_of(invalid)["error"]["code"], "request_invalid");
  EXPECT_NE(invalid.err.find("$.duration_days"), std::string::npos) << invalid.err;

  // 2: a malformed request file names the file and the JSON path.
  const std::string bad_request = dir.write("bad-request.json", R"({"kind":"nope"})");
  const auto malformed = run_cli({"run", example("bundle.json"), bad_request, "--trace-db", db});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find(bad_request + ": $."), std::string::npos) << malformed.err;

  // 4: the request file cannot be read.
  const auto unreadable =
      run_cli({"run", example("bundle.json"), dir.file("nope.json"), "--trace-db", db});
  EXPECT_EQ(unreadable.exit_code, 4);

  // 5: usage.
  EXPECT_EQ(run_cli({"run", example("bundle.json")}).exit_code, 5);
  EXPECT_EQ(run_cli({"run", example("bundle.json"), bad_request, "--repeat", "0"}).exit_code, 5);
  EXPECT_EQ(run_cli({"run", example("bundle.json"), bad_request, "--concurrency", "300"}).exit_code,
            5);
}

TEST(CliRun, RepeatPrintsThroughputAndOrderedLatencyPercentiles) {
  TempDir dir;
  const auto request = capture_request(dir, "cli-repeat");
  const auto run =
      run_cli(concat({"run", example("bundle.json"), request, "--trace-db", dir.file("traces.db"),
                      "--repeat", "6", "--concurrency", "3", "--json"},
                     expedition_package_args()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Value doc = json_of(run);
  EXPECT_EQ(doc["repeat"], 6);
  EXPECT_EQ(doc["concurrency"], 3);
  EXPECT_EQ(doc["completed"], 6);
  EXPECT_EQ(doc["failed"], 0);
  EXPECT_GT(doc["throughput_per_second"].get<double>(), 0.0);
  const Value& latency = doc["latency_ms"];
  EXPECT_GT(latency["p50"].get<double>(), 0.0);
  EXPECT_LE(latency["p50"].get<double>(), latency["p90"].get<double>());
  EXPECT_LE(latency["p90"].get<double>(), latency["p99"].get<double>());
  EXPECT_LE(latency["p99"].get<double>(), latency["max"].get<double>());
  // Every execution was traced.
  const auto list = run_cli({"trace", "list", "--trace-db", dir.file("traces.db"), "--json"});
  EXPECT_EQ(json_of(list)["total"], 6);

  const auto human = run_cli(concat({"run", example("bundle.json"), request, "--trace-db",
                                     dir.file("traces.db"), "--repeat", "3"},
                                    expedition_package_args()));
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("completed: 3  failed: 0\n"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("throughput: "), std::string::npos);
  EXPECT_NE(human.out.find("latency: p50 "), std::string::npos);
  EXPECT_NE(human.out.find(" p99 "), std::string::npos);
  EXPECT_NE(human.out.find(" max "), std::string::npos);
}

TEST(CliRun, RepeatWithFailuresExitsOneAndCountsErrorCodes) {
  TempDir dir;
  const auto request = capture_request(dir, "cli-repeat-fail");
  const auto run =
      run_cli({"run", example("bundle.json"), request, "--trace-db", dir.file("traces.db"),
               "--repeat", "4", "--concurrency", "2", "--json"});
  EXPECT_EQ(run.exit_code, 1);
  const Value doc = json_of(run);
  EXPECT_EQ(doc["failed"], 4);
  EXPECT_EQ(doc["errors"]["artifact_missing"], 4);
}

TEST(CliRun, RepeatSummarySaysWhyRunsFailed) {
  TempDir dir;
  const auto request = capture_request(dir, "cli-repeat-why");
  const auto text = run_cli({"run", example("bundle.json"), request, "--trace-db",
                             dir.file("traces.db"), "--repeat", "3", "--concurrency", "2"});
  EXPECT_EQ(text.exit_code, 1);
  // Not only "artifact_missing: 3": the first failure's message too.
  const auto at = text.out.find("  artifact_missing: 3 (");
  ASSERT_NE(at, std::string::npos) << text.out;
  EXPECT_NE(text.out.find("first: ", at), std::string::npos) << text.out;
  const auto json = run_cli({"run", example("bundle.json"), request, "--trace-db",
                             dir.file("traces.db"), "--repeat", "2", "--json"});
  const Value doc = json_of(json);
  EXPECT_FALSE(doc["first_errors"]["artifact_missing"]["message"].get<std::string>().empty());
}

TEST(CliPackageRun, PrintsTheReferenceLinesAndPrettySortedOutput) {
  TempDir dir;
  const std::string package = example("capabilities/capture-expedition-objective/package.json");
  const auto run = run_cli({"package", "run", package, capture_request(dir, "cli-pkg-1"),
                            "--trace-db", dir.file("traces.db")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = lines_of(run.out);
  ASSERT_GE(lines.size(), 10U) << run.out;
  EXPECT_EQ(lines[0], "request_id: cli-pkg-1");
  EXPECT_EQ(lines[1], "execution_id: exec_cli-pkg-1");
  EXPECT_EQ(lines[2], std::string("package_id: ") + kCaptureId);
  EXPECT_EQ(lines[3], std::string("capability_id: ") + kCaptureId);
  EXPECT_EQ(lines[4], "capability_version: 1.0.0");
  EXPECT_EQ(lines[5], "status: completed");
  EXPECT_EQ(lines[6].rfind("trace_ref: ", 0), 0U);
  EXPECT_EQ(lines[7], "output:");
  EXPECT_EQ(lines[8], "{");
  // Pretty, sorted keys: captured_objective before objective_id.
  EXPECT_LT(run.out.find("\"captured_objective\""), run.out.find("\"objective_id\""));
}

TEST(CliPackageRun, JsonIsTheWholeRuntimeResultWithOutputAtTopLevel) {
  TempDir dir;
  const auto run =
      run_cli({"package", "run", example("capabilities/capture-expedition-objective/package.json"),
               capture_request(dir, "cli-pkg-2"), "--trace-db", dir.file("traces.db"), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Value doc = json_of(run);
  EXPECT_EQ(doc["kind"], "runtime_result");
  EXPECT_EQ(doc["schema_version"], "1.0.0");
  EXPECT_EQ(doc["status"], "completed");
  EXPECT_EQ(doc["package_id"], kCaptureId);
  EXPECT_TRUE(doc["output"]["objective_id"].is_string());
  EXPECT_TRUE(doc["warnings"].is_array());
}

TEST(CliPackageRun, ErrorsMapToExitCodes) {
  TempDir dir;
  const std::string package = example("capabilities/capture-expedition-objective/package.json");
  // 2: the request names a capability the package does not provide.
  const auto other = dir.write(
      "other.json",
      R"({"kind":"runtime_request","schema_version":"1.0.0","request_id":"x","intent":)"
      R"({"capability_id":"no.such.capability"},"input":{},"lookup":{"scope":"public_only",)"
      R"("allow_ambiguity":false},"context":{"requested_target":"local"},)"
      R"("governing_spec":"006-runtime-request-execution"})");
  const auto not_found =
      run_cli({"package", "run", package, other, "--trace-db", dir.file("traces.db")});
  EXPECT_EQ(not_found.exit_code, 2) << not_found.err;
  EXPECT_NE(not_found.err.find("error: "), std::string::npos) << not_found.err;
  EXPECT_NE(not_found.err.find("(capability_not_found)"), std::string::npos) << not_found.err;
  // 4: the manifest cannot be read.
  const auto missing = run_cli({"package", "run", dir.file("nope.json"), capture_request(dir, "r"),
                                "--trace-db", dir.file("traces.db")});
  EXPECT_EQ(missing.exit_code, 4);
  // 5: usage.
  EXPECT_EQ(run_cli({"package", "run", package}).exit_code, 5);
}

}  // namespace
}  // namespace traverse::cli_test
