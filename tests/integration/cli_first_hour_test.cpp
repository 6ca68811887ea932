// Governing spec: 040-cli
//
// What a new user meets in the first hour, through the real `traverse` binary: `--packages DIR`
// (which files of a folder count, in which order, and the errors for a folder without packages
// or a value that is not a folder), `package run --event FILE` publishing and tracing a
// package's event, `trace show` printing event payloads (escaped for the terminal; exact in
// JSON), `workflow run` naming a capability without implementation, "did you mean" and the
// registered versions without jargon the user never set, and `trace list` order and emptiness.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_test_support.hpp"
#include "traverse/trace/sqlite_trace_store.hpp"

namespace traverse::cli_test {
namespace {

constexpr const char* kCaptureId = "expedition.planning.capture-expedition-objective";

std::string capture_package() {
  return example("capabilities/capture-expedition-objective/package.json");
}

std::string capture_request(const TempDir& dir) {
  return dir.write("capture.json",
                   std::string(R"({"kind":"runtime_request","schema_version":"1.0.0",)") +
                       R"("request_id":"first-hour-capture","intent":{"capability_id":")" +
                       kCaptureId +
                       R"(","capability_version":"1.0.0"},"input":{"objective":"Summit",)"
                       R"("region":"Alps","start_date":"2027-07-14","duration_days":4},)"
                       R"("lookup":{"scope":"prefer_private","allow_ambiguity":false},)"
                       R"("context":{"requested_target":"local"},)"
                       R"("governing_spec":"006-runtime-request-execution"})");
}

std::vector<std::string> workflow_args(const TempDir& dir, const std::string& workflow) {
  return {"workflow",
          "run",
          example("bundle.json"),
          workflow,
          "--input",
          example("inputs/plan-expedition.json"),
          "--trace-db",
          dir.file("traces.db")};
}

// The stderr lines starting with "hint: ".
std::vector<std::string> hints(const std::string& err) {
  std::vector<std::string> found;
  for (const auto& line : lines_of(err)) {
    if (line.starts_with("hint: ")) {
      found.push_back(line);
    }
  }
  return found;
}

// ---- --packages DIR ----

TEST(CliPackagesFolder, WorkflowRunAttachesEveryPackageUnderTheFolder) {
  TempDir dir;
  const auto run = run_cli(concat(workflow_args(dir, "plan-expedition@1.0.0"),
                                  {"--packages", example("capabilities"), "--json"}));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Value doc = json_of(run);
  EXPECT_EQ(doc["status"], "completed");
  EXPECT_EQ(doc["steps"].size(), 5U);
  EXPECT_EQ(doc["events"].size(), 5U);
}

TEST(CliPackagesFolder, RunAcceptsTheFolderAndAPackageNamedTwiceIsLoadedOnce) {
  TempDir dir;
  // The whole example folder: contracts, events, requests and the bundle are not packages.
  const auto run = run_cli({"run", example("bundle.json"), example("requests/plan-expedition.json"),
                            "--trace-db", dir.file("traces.db"), "--packages", example(""),
                            "--package", capture_package(), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(json_of(run)["status"], "completed");
}

TEST(CliPackagesFolder, TakesOnlyCapabilityPackageJsonFilesInSortedOrderSkippingHiddenFolders) {
  TempDir dir;
  const std::string package = R"({"kind": "capability_package", "package_id": "x"})";
  const std::string folder = dir.file("packages");
  dir.write("packages/zeta/package.json", package);
  dir.write("packages/alpha/manifest.json", package);
  dir.write("packages/alpha/contract.json", R"({"kind": "capability_contract"})");
  dir.write("packages/.hidden/package.json", package);
  dir.write("packages/notes.txt", package);
  dir.write("packages/broken.json", "{");
  const auto run = run_cli({"run", example("bundle.json"), example("requests/plan-expedition.json"),
                            "--trace-db", dir.file("traces.db"), "--packages", folder, "-v"});
  // The two manifests are taken (and then refused: they are incomplete).
  EXPECT_EQ(run.exit_code, 2) << run.err;
  std::vector<std::string> taken;
  for (const auto& line : lines_of(run.err)) {
    if (line.starts_with("--packages " + folder + ": ")) {
      taken.push_back(line.substr(("--packages " + folder + ": ").size()));
    }
  }
  EXPECT_EQ(taken, (std::vector<std::string>{folder + "/alpha/manifest.json",
                                             folder + "/zeta/package.json"}))
      << run.err;
  EXPECT_NE(run.err.find("warning: skipped " + folder + "/broken.json: syntax error"),
            std::string::npos)
      << run.err;
}

TEST(CliPackagesFolder, AFolderWithoutPackagesOrAValueThatIsNotAFolderIsAClearError) {
  TempDir dir;
  dir.write("empty/readme.json", R"({"kind": "registry_bundle"})");
  const auto empty =
      run_cli(concat(workflow_args(dir, "plan-expedition"), {"--packages", dir.file("empty")}));
  EXPECT_EQ(empty.exit_code, 2) << empty.err;
  EXPECT_NE(empty.err.find("NoPackageManifest: --packages " + dir.file("empty") +
                           ": no capability package manifest (a .json file with \"kind\": "
                           "\"capability_package\", searched recursively)"),
            std::string::npos)
      << empty.err;

  const auto file =
      run_cli(concat(workflow_args(dir, "plan-expedition"), {"--packages", capture_package()}));
  EXPECT_EQ(file.exit_code, 4) << file.err;
  EXPECT_NE(file.err.find("not a folder (give --package for a single manifest)"), std::string::npos)
      << file.err;

  const auto missing = run_cli(
      concat(workflow_args(dir, "plan-expedition"), {"--packages", dir.file("no-such-folder")}));
  EXPECT_EQ(missing.exit_code, 4) << missing.err;
  EXPECT_NE(missing.err.find("no such folder"), std::string::npos) << missing.err;
}

TEST(CliPackagesFolder, EveryCommandTakingPackageTakesPackagesWithTheSameHelp) {
  std::string expected;
  for (const auto& command : std::vector<std::vector<std::string>>{
           {"run", "--help"}, {"workflow", "run", "--help"}, {"serve", "--help"}}) {
    const auto help = run_cli(command);
    ASSERT_EQ(help.exit_code, 0) << help.err;
    const auto at = help.out.find("--packages DIR");
    ASSERT_NE(at, std::string::npos) << help.out;
    EXPECT_NE(help.out.find("--package MANIFEST"), std::string::npos) << help.out;
    const std::string text = help.out.substr(at, help.out.find("--", at + 2) - at);
    if (expected.empty()) {
      expected = text;
    }
    EXPECT_EQ(text, expected);
  }
}

// ---- package run --event FILE ----

TEST(CliPackageRunEvent, TheEventContractMakesTheEmittedEventPublishedListedAndTraced) {
  TempDir dir;
  const std::string request = capture_request(dir);
  const auto without = run_cli({"package", "run", capture_package(), request, "--trace-db",
                                dir.file("traces.db"), "--json"});
  ASSERT_EQ(without.exit_code, 0) << without.err;
  EXPECT_EQ(json_of(without)["events"].size(), 0U);
  EXPECT_NE(without.err.find("unregistered event type: expedition.planning.objective-captured"),
            std::string::npos)
      << without.err;
  EXPECT_NE(without.err.find("hint: events are published only when their type is registered: "
                             "give the event contracts the package emits with --event"),
            std::string::npos)
      << without.err;

  const auto with =
      run_cli({"package", "run", capture_package(), request, "--trace-db", dir.file("traces.db"),
               "--event", example("events/objective-captured.json"), "--json"});
  ASSERT_EQ(with.exit_code, 0) << with.err;
  EXPECT_EQ(with.err, "");
  const Value doc = json_of(with);
  ASSERT_EQ(doc["events"].size(), 1U);
  EXPECT_EQ(doc["events"][0]["event_type"], "expedition.planning.objective-captured");
  const std::string event_id = doc["events"][0]["id"].get<std::string>();

  // Recorded: the trace lists the event and keeps its envelope with the payload.
  const auto shown = run_cli({"trace", "show", doc["trace_ref"].get<std::string>(), "--trace-db",
                              dir.file("traces.db"), "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const Value trace = json_of(shown);
  EXPECT_EQ(trace["public"]["published_events"], Value::array({event_id}));
  ASSERT_EQ(trace["private"]["published_events"].size(), 1U);
  EXPECT_EQ(trace["private"]["published_events"][0]["id"], event_id);
  EXPECT_EQ(trace["private"]["published_events"][0]["data"]["objective_id"],
            doc["output"]["objective_id"]);

  // Human output lists it after the result.
  const auto human =
      run_cli({"package", "run", capture_package(), request, "--trace-db", dir.file("traces.db"),
               "--event", example("events/objective-captured.json")});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("events published: 1\n  expedition.planning.objective-captured@1.0.0"),
            std::string::npos)
      << human.out;
}

TEST(CliPackageRunEvent, AnUnreadableOrInvalidEventContractIsRefusedBeforeRunning) {
  TempDir dir;
  const std::string request = capture_request(dir);
  const auto missing = run_cli({"package", "run", capture_package(), request, "--trace-db",
                                dir.file("traces.db"), "--event", dir.file("nope.json")});
  EXPECT_EQ(missing.exit_code, 4) << missing.err;
  EXPECT_EQ(missing.out, "");
  const auto invalid = run_cli({"package", "run", capture_package(), request, "--trace-db",
                                dir.file("traces.db"), "--event", example("bundle.json")});
  EXPECT_EQ(invalid.exit_code, 2) << invalid.err;
  EXPECT_NE(invalid.err.find(example("bundle.json") + ": $.kind: MissingRequiredField"),
            std::string::npos)
      << invalid.err;
}

// ---- trace show: event payloads ----

TEST(CliTraceShowEvents, AWorkflowRunShowsEveryStepEventWithItsPayload) {
  TempDir dir;
  const auto run = run_cli(concat(workflow_args(dir, "plan-expedition"),
                                  {"--packages", example("capabilities"), "--json"}));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Value doc = json_of(run);
  const auto shown = run_cli(
      {"trace", "show", doc["run_id"].get<std::string>(), "--trace-db", dir.file("traces.db")});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("  events published by the steps: 5\n"), std::string::npos) << shown.out;
  const std::string objective = doc["output"]["objective_id"].get<std::string>();
  for (const auto& event : doc["events"]) {
    const std::string heading =
        "    - " + event["id"].get<std::string>() + " " + event["event_type"].get<std::string>() +
        "@1.0.0\n" + "      data: {\n" + "              \"objective_id\": \"" + objective + "\"\n";
    EXPECT_NE(shown.out.find(heading), std::string::npos) << heading << shown.out;
  }
}

TEST(CliTraceShowEvents, PayloadsAreEscapedForTheTerminalAndExactInJson) {
  TempDir dir;
  const std::string db = dir.file("traces.db");
  const std::string hostile = "red \x1b[31m text \xe2\x80\xae reversed";
  {
    auto store = SqliteTraceStore::open(db);
    ASSERT_TRUE(store.has_value()) << store.error().message();
    PublicTraceEntry entry;
    entry.id = "trace-hostile-0001";
    entry.execution_id = "exec-hostile";
    entry.source = "traverse-runtime/demo.cap";
    entry.time = "2026-12-06T08:00:00.000Z";
    entry.capability_id = "demo.cap";
    entry.capability_version = "1.0.0";
    entry.placement_target = "Local";
    entry.published_events = {"event-1"};
    PrivateTraceEntry private_entry;
    private_entry.trace_id = entry.id;
    private_entry.inputs_hash = std::string(64, 'a');
    private_entry.published_events.push_back(Value{{"id", "event-1"},
                                                   {"event_type", "demo.said"},
                                                   {"version", "1.0.0"},
                                                   {"data", Value{{"text", hostile}}}});
    ASSERT_TRUE((*store)->insert(entry, private_entry).has_value());
  }
  const auto shown = run_cli({"trace", "show", "trace-hostile-0001", "--trace-db", db});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("  - event-1 demo.said@1.0.0\n    data: {\n"), std::string::npos)
      << shown.out;
  // JSON escapes ESC; the terminal escaping makes the bidirectional override visible.
  EXPECT_NE(shown.out.find(R"("text": "red \u001b[31m text \u202e reversed")"), std::string::npos)
      << shown.out;
  EXPECT_EQ(shown.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(shown.out.find("\xe2\x80\xae"), std::string::npos);

  const auto json = run_cli({"trace", "show", "trace-hostile-0001", "--trace-db", db, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json_of(json)["private"]["published_events"][0]["data"]["text"], hostile);
}

// ---- workflow run: what is missing, did you mean, registered versions ----

TEST(CliWorkflowRunMessages, AMissingImplementationNamesTheCapabilityAndSuggestsPackageAsRunDoes) {
  TempDir dir;
  const auto workflow = run_cli(workflow_args(dir, "plan-expedition"));
  EXPECT_EQ(workflow.exit_code, 1) << workflow.err;
  const auto run = run_cli({"run", example("bundle.json"), example("requests/plan-expedition.json"),
                            "--trace-db", dir.file("traces.db")});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const std::string expected =
      "hint: capability expedition.planning.capture-expedition-objective@1.0.0 has no "
      "implementation; a registry bundle carries contracts only: attach its WebAssembly package "
      "with --package <package.json> (repeatable), or every package under a folder with "
      "--packages <folder>";
  EXPECT_EQ(hints(workflow.err), std::vector<std::string>{expected}) << workflow.err;
  EXPECT_EQ(hints(run.err), std::vector<std::string>{expected}) << run.err;
  // The error says what is missing without naming library calls.
  EXPECT_NE(workflow.err.find("no WebAssembly package attached to "
                              "expedition.planning.capture-expedition-objective@1.0.0"),
            std::string::npos)
      << workflow.err;
  EXPECT_EQ(workflow.err.find("Builder"), std::string::npos) << workflow.err;
}

TEST(CliWorkflowRunMessages, UnknownIdsGetDidYouMeanAndAWrongVersionListsTheRegisteredOnes) {
  TempDir dir;
  const auto typo = run_cli(workflow_args(dir, "plan-expeditoin"));
  EXPECT_EQ(typo.exit_code, 2) << typo.err;
  EXPECT_EQ(hints(typo.err),
            std::vector<std::string>{"hint: did you mean workflow plan-expedition?"})
      << typo.err;
  const auto version = run_cli(workflow_args(dir, "plan-expedition@9.9.9"));
  EXPECT_EQ(version.exit_code, 2) << version.err;
  EXPECT_NE(version.err.find("workflow plan-expedition@9.9.9 is not registered"), std::string::npos)
      << version.err;
  EXPECT_EQ(
      hints(version.err),
      std::vector<std::string>{"hint: registered versions of workflow plan-expedition: 1.0.0"})
      << version.err;
  // No jargon the user never set.
  for (const auto* run : {&typo, &version}) {
    EXPECT_EQ(run->err.find("prefer_private"), std::string::npos) << run->err;
    EXPECT_EQ(run->err.find("scope"), std::string::npos) << run->err;
    EXPECT_EQ(run->out.find("prefer_private"), std::string::npos) << run->out;
  }
}

// ---- trace list ----

TEST(CliTraceListOrder, EntriesAreInRecordedOrderWithTheRunLastAndAnEmptyDatabaseSaysSo) {
  TempDir dir;
  const auto run = run_cli(
      concat(workflow_args(dir, "plan-expedition"), {"--packages", example("capabilities")}));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto listed = run_cli({"trace", "list", "--trace-db", dir.file("traces.db"), "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const Value entries = json_of(listed)["entries"];
  ASSERT_EQ(entries.size(), 6U);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(entries[i]["step_index"], i);
  }
  EXPECT_EQ(entries[5]["placement_target"], "workflow");

  // A database without entries, and a filter that matches nothing, say so.
  TempDir other;
  ASSERT_TRUE(SqliteTraceStore::open(other.file("traces.db")).has_value());
  const auto empty = run_cli({"trace", "list", "--trace-db", other.file("traces.db")});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out, "no trace entries in " + other.file("traces.db") + "\n");
  const auto unmatched = run_cli(
      {"trace", "list", "--trace-db", dir.file("traces.db"), "--capability", "nothing.here"});
  EXPECT_EQ(unmatched.exit_code, 0) << unmatched.err;
  EXPECT_EQ(unmatched.out,
            "no trace entries match these filters in " + dir.file("traces.db") + "\n");
}

}  // namespace
}  // namespace traverse::cli_test
