// Governing spec: 040-cli
//
// `traverse trace list|show` over the SQLite trace database written by earlier invocations:
// the expedition run leaves its 5 step traces plus the run, filters and limits work, entries
// persist across invocations, `show` prints the private hashes and a run's evidence.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_support.hpp"

namespace traverse::cli_test {
namespace {

// Runs the expedition workflow once into `db`; returns its --json document.
Value run_expedition(const std::string& db) {
  const auto run =
      run_cli(concat({"workflow", "run", example("bundle.json"), "plan-expedition@1.0.0", "--input",
                      example("inputs/plan-expedition.json"), "--trace-db", db, "--json"},
                     expedition_package_args()));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return json_of(run);
}

// Rows of a `trace list` table (header excluded).
std::vector<std::string> table_rows(const std::string& out) {
  auto lines = lines_of(out);
  EXPECT_FALSE(lines.empty());
  if (lines.empty()) {
    return {};
  }
  EXPECT_EQ(lines[0].rfind("TIME", 0), 0U) << lines[0];
  std::vector<std::string> rows;
  for (std::size_t i = 1; i < lines.size() && !lines[i].empty() && lines[i][0] != '('; ++i) {
    rows.push_back(lines[i]);
  }
  return rows;
}

class CliTrace : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    run_ = new Value(run_expedition(db()));
  }
  static void TearDownTestSuite() {
    delete run_;
    delete dir_;
  }
  static std::string db() { return dir_->file("traces.db"); }
  static const Value& run() { return *run_; }

  static inline TempDir* dir_ = nullptr;
  static inline Value* run_ = nullptr;
};

TEST_F(CliTrace, ListShowsTheFiveStepTracesAndTheRun) {
  const auto list = run_cli({"trace", "list", "--trace-db", db()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const auto lines = lines_of(list.out);
  ASSERT_FALSE(lines.empty());
  // Columns: time, trace id, capability@version, target, outcome, duration.
  EXPECT_EQ(lines[0].rfind("TIME", 0), 0U);
  for (const char* column : {"TRACE ID", "CAPABILITY", "TARGET", "OUTCOME", "DURATION"}) {
    EXPECT_NE(lines[0].find(column), std::string::npos) << lines[0];
  }
  const auto rows = table_rows(list.out);
  ASSERT_EQ(rows.size(), 6U) << list.out;
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_NE(rows[i].find(run()["steps"][i]["trace_id"].get<std::string>()), std::string::npos);
    EXPECT_NE(rows[i].find(run()["steps"][i]["capability"].get<std::string>()), std::string::npos);
    EXPECT_NE(rows[i].find("  Success  "), std::string::npos) << rows[i];
  }
  // The run's own entry (written by the library; its id is the printed trace_ref).
  EXPECT_NE(rows[5].find(run()["trace_ref"].get<std::string>()), std::string::npos) << rows[5];
  EXPECT_NE(rows[5].find("  plan-expedition@1.0.0  "), std::string::npos) << rows[5];
  EXPECT_NE(rows[5].find("  workflow  Success  "), std::string::npos) << rows[5];
}

TEST_F(CliTrace, ListFiltersByCapabilityOutcomeRunAndLimit) {
  const auto by_capability =
      run_cli({"trace", "list", "--trace-db", db(), "--capability",
               "expedition.planning.capture-expedition-objective", "--json"});
  ASSERT_EQ(by_capability.exit_code, 0) << by_capability.err;
  const Value capability = json_of(by_capability);
  ASSERT_EQ(capability["entries"].size(), 1U);
  EXPECT_EQ(capability["entries"][0]["capability_id"],
            "expedition.planning.capture-expedition-objective");
  EXPECT_EQ(capability["entries"][0]["workflow_run_id"], run()["run_id"]);
  EXPECT_EQ(capability["entries"][0]["step_index"], 0);

  const auto failures = run_cli({"trace", "list", "--trace-db", db(), "--outcome", "failure"});
  ASSERT_EQ(failures.exit_code, 0);
  // No match: one line saying so instead of an empty table.
  EXPECT_EQ(failures.out.rfind("no trace entries match these filters in ", 0), 0U) << failures.out;

  const auto by_run = run_cli(
      {"trace", "list", "--trace-db", db(), "--run", run()["run_id"].get<std::string>(), "--json"});
  EXPECT_EQ(json_of(by_run)["total"], 6);

  const auto limited = run_cli({"trace", "list", "--trace-db", db(), "--limit", "2"});
  ASSERT_EQ(limited.exit_code, 0);
  const auto rows = table_rows(limited.out);
  ASSERT_EQ(rows.size(), 2U) << limited.out;
  // The most recent two: the last step and the run.
  EXPECT_NE(rows[1].find(run()["trace_ref"].get<std::string>()), std::string::npos);
  EXPECT_NE(limited.out.find("(2 most recent of 6 matching entries; use --limit)"),
            std::string::npos)
      << limited.out;
}

TEST_F(CliTrace, ListJsonIsOneDocumentWithEveryEntry) {
  const auto list = run_cli({"trace", "list", "--trace-db", db(), "--json"});
  ASSERT_EQ(list.exit_code, 0);
  const Value doc = json_of(list);
  EXPECT_EQ(doc["trace_db"], db());
  EXPECT_EQ(doc["total"], 6);
  EXPECT_EQ(doc["returned"], 6);
  ASSERT_EQ(doc["entries"].size(), 6U);
  EXPECT_EQ(doc["entries"][0]["outcome"], "Success");
  EXPECT_EQ(doc["entries"][0]["placement_target"], "Local");
  EXPECT_EQ(doc["entries"][5]["placement_target"], "workflow");
  EXPECT_FALSE(doc["entries"][5].contains("step_index"));
}

TEST_F(CliTrace, ShowOfAStepPrintsPublicEntryAndPrivateHashes) {
  const std::string step = run()["steps"][2]["trace_id"];
  const auto show = run_cli({"trace", "show", step, "--trace-db", db()});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("trace_id: " + step + "\n"), std::string::npos);
  EXPECT_NE(show.out.find("capability: expedition.planning.assess-expedition-conditions@1.0.0\n"),
            std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("target: Local\n"), std::string::npos);
  EXPECT_NE(show.out.find("outcome: Success\n"), std::string::npos);
  EXPECT_NE(show.out.find("step_index: 2\n"), std::string::npos);
  EXPECT_NE(show.out.find("published_events: 1\n"), std::string::npos);
  EXPECT_NE(show.out.find("private:\n  inputs_hash: "), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("  outputs_hash: "), std::string::npos);
  EXPECT_NE(show.out.find("of workflow run " + run()["run_id"].get<std::string>()),
            std::string::npos);

  const auto json = run_cli({"trace", "show", step, "--trace-db", db(), "--json"});
  ASSERT_EQ(json.exit_code, 0);
  const Value doc = json_of(json);
  EXPECT_EQ(doc["public"]["id"], step);
  EXPECT_EQ(doc["private"]["trace_id"], step);
  EXPECT_EQ(doc["private"]["inputs_hash"].get<std::string>().size(), 64U);
  EXPECT_FALSE(doc.contains("workflow_run"));
}

TEST_F(CliTrace, ShowOfTheRunPrintsItsStepsAndEvidence) {
  const std::string run_id = run()["run_id"];
  const auto show = run_cli({"trace", "show", run_id, "--trace-db", db()});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("capability: plan-expedition@1.0.0\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("target: workflow\n"), std::string::npos);
  // The steps' entries list the events they published; the run's entry lists none of its own.
  EXPECT_NE(show.out.find("published_events: 0\n"), std::string::npos);
  EXPECT_NE(show.out.find("workflow_run:\n  run_id: " + run_id), std::string::npos);
  EXPECT_NE(show.out.find("  steps: 5\n"), std::string::npos);
  EXPECT_NE(show.out.find("evidence:\n{"), std::string::npos);
  EXPECT_NE(show.out.find("\"kind\": \"workflow_traversal_evidence\""), std::string::npos);

  const auto json = run_cli({"trace", "show", run_id, "--trace-db", db(), "--json"});
  const Value doc = json_of(json);
  EXPECT_EQ(doc["workflow_run"]["evidence"], run()["evidence"]);
  EXPECT_EQ(doc["workflow_run"]["summary"]["status"], "completed");
  ASSERT_EQ(doc["steps"].size(), 5U);
  EXPECT_EQ(doc["steps"][4]["step_index"], 4);
  EXPECT_TRUE(doc["private"]["inputs_hash"].is_string());  // the run's input and output hashes
}

TEST_F(CliTrace, ColourOnlyOnATerminalAndNeverWithNoColor) {
  const auto tty =
      run_cli({"trace", "list", "--trace-db", db()}, {.no_color = false, .stdout_is_tty = true});
  ASSERT_EQ(tty.exit_code, 0);
  EXPECT_EQ(tty.out.rfind("\x1b[1mTIME", 0), 0U) << tty.out;
  const auto no_color =
      run_cli({"trace", "list", "--trace-db", db()}, {.no_color = true, .stdout_is_tty = true});
  EXPECT_EQ(no_color.out.find('\x1b'), std::string::npos);
  const auto piped = run_cli({"trace", "list", "--trace-db", db()}, {.no_color = false});
  EXPECT_EQ(piped.out.find('\x1b'), std::string::npos);
}

TEST(CliTracePersistence, EntriesAccumulateAcrossInvocations) {
  TempDir dir;
  const std::string db = dir.file("traces.db");
  const Value first = run_expedition(db);
  const Value second = run_expedition(db);
  EXPECT_NE(first["run_id"], second["run_id"]);
  const auto list = run_cli({"trace", "list", "--trace-db", db, "--json"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(json_of(list)["total"], 12);
  // The first run is still showable after the second process wrote to the file.
  const auto show =
      run_cli({"trace", "show", first["run_id"].get<std::string>(), "--trace-db", db, "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(json_of(show)["workflow_run"]["run_id"], first["run_id"]);
}

TEST(CliTraceErrors, UnknownIdMissingDatabaseCorruptFileAndUsage) {
  TempDir dir;
  const std::string db = dir.file("traces.db");
  run_expedition(db);

  const auto unknown = run_cli({"trace", "show", "no-such-trace", "--trace-db", db, "--json"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(json_of(unknown)["errors"][0]["code"], "TraceNotFound");
  EXPECT_NE(unknown.err.find("no-such-trace"), std::string::npos);

  const std::string missing = dir.file("missing.db");
  const auto list = run_cli({"trace", "list", "--trace-db", missing});
  EXPECT_EQ(list.exit_code, 4);
  EXPECT_NE(list.err.find("no trace database at " + missing), std::string::npos) << list.err;
  EXPECT_FALSE(std::filesystem::exists(missing));  // reading never creates the file
  EXPECT_EQ(run_cli({"trace", "show", "x", "--trace-db", missing}).exit_code, 4);

  const std::string garbage = dir.write("garbage.db", std::string(4096, 'x'));
  const auto corrupt = run_cli({"trace", "list", "--trace-db", garbage});
  EXPECT_EQ(corrupt.exit_code, 4);
  EXPECT_NE(corrupt.err.find(garbage), std::string::npos) << corrupt.err;

  EXPECT_EQ(run_cli({"trace", "list", "--trace-db", db, "--outcome", "maybe"}).exit_code, 5);
  EXPECT_EQ(run_cli({"trace", "list", "--trace-db", db, "--limit", "0"}).exit_code, 5);
  EXPECT_EQ(run_cli({"trace", "show", "--trace-db", db}).exit_code, 5);
  EXPECT_EQ(run_cli({"trace"}).exit_code, 5);
}

// ---- issue 15: the trace database under hostile conditions ----

// Runs `body` on a thread whose child processes check file permissions as an ordinary user: as
// root, the thread drops CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER from its bounding
// and effective sets (per thread on Linux; a process forked from it keeps them dropped across
// exec). Returns false if that was not possible.
bool run_without_file_privileges(const std::function<void()>& body) {
  bool dropped = true;
  std::thread thread([&] {
    if (geteuid() == 0) {
      for (const unsigned cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER}) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
          dropped = false;
          return;
        }
      }
      __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
      __user_cap_data_struct data[2]{};
      if (syscall(SYS_capget, &header, data) != 0) {
        dropped = false;
        return;
      }
      for (const unsigned cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER}) {
        data[cap / 32U].effective &= ~(1U << (cap % 32U));
        data[cap / 32U].permitted &= ~(1U << (cap % 32U));
      }
      if (syscall(SYS_capset, &header, data) != 0) {
        dropped = false;
        return;
      }
    }
    body();
  });
  thread.join();
  return dropped;
}

std::size_t trace_count(const std::string& db) {
  const auto list = run_cli({"trace", "list", "--trace-db", db, "--json"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  return list.exit_code == 0 ? json_of(list)["total"].get<std::size_t>() : 0;
}

TEST(CliTraceDatabase, MemoryAndEmptyTraceDbAreUsageErrors) {
  TempDir dir;
  for (const std::string bad : {":memory:", ""}) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"trace", "list", "--trace-db", bad},
             {"trace", "show", "x", "--trace-db", bad},
             concat({"workflow", "run", example("bundle.json"), "plan-expedition@1.0.0", "--input",
                     example("inputs/plan-expedition.json"), "--trace-db", bad},
                    expedition_package_args())}) {
      const auto run = run_cli(args, {.cwd = dir.path()});
      EXPECT_EQ(run.exit_code, 5) << "--trace-db \"" << bad << "\": " << run.err;
      EXPECT_NE(run.err.find(bad.empty() ? "empty" : ":memory:"), std::string::npos) << run.err;
    }
  }
  // Nothing was recorded anywhere, not even in the default database.
  EXPECT_FALSE(std::filesystem::exists(dir.path() / ".traverse"));
}

TEST(CliTraceDatabase, FreshDatabaseRace_ConcurrentProcessesOpeningANewDatabaseAllSucceed) {
  TempDir dir;
  constexpr int kProcesses = 8;
  for (int round = 0; round < 2; ++round) {
    const std::string db = dir.file("fresh-" + std::to_string(round) + ".db");
    std::vector<std::future<CliRun>> runs;
    for (int p = 0; p < kProcesses; ++p) {
      runs.push_back(std::async(std::launch::async, [&] {
        return run_cli(
            concat({"workflow", "run", example("bundle.json"), "plan-expedition@1.0.0", "--input",
                    example("inputs/plan-expedition.json"), "--trace-db", db, "--json"},
                   expedition_package_args()));
      }));
    }
    for (auto& run : runs) {
      const CliRun done = run.get();
      EXPECT_EQ(done.exit_code, 0) << done.err;
    }
    EXPECT_EQ(trace_count(db), static_cast<std::size_t>(kProcesses * 6));
  }
}

TEST(CliTraceDatabase, ReadOnlyDatabaseIsListedAndWritersFailBeforeRunningWithExit4) {
  TempDir dir;
  const auto folder = dir.path() / "ro";
  std::filesystem::create_directories(folder);
  const std::string db = (folder / "traces.db").string();
  run_expedition(db);
  // A writing process leaves the file complete: the last connection removed the WAL.
  EXPECT_FALSE(std::filesystem::exists(db + "-wal"));
  ASSERT_EQ(trace_count(db), 6U);
  namespace fs = std::filesystem;
  fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read |
                              fs::perms::others_exec);
  CliRun list;
  CliRun workflow;
  CliRun run;
  bool writable = false;
  const bool dropped = run_without_file_privileges([&] {
    writable = access(db.c_str(), W_OK) == 0;
    list = run_cli({"trace", "list", "--trace-db", db, "--json"});
    workflow = run_cli(concat({"workflow", "run", example("bundle.json"), "plan-expedition@1.0.0",
                               "--input", example("inputs/plan-expedition.json"), "--trace-db", db},
                              expedition_package_args()));
    run = run_cli(concat(
        {"run", example("bundle.json"), example("requests/plan-expedition.json"), "--trace-db", db},
        expedition_package_args()));
  });
  fs::permissions(folder, fs::perms::owner_all);
  fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write);
  if (!dropped || writable) {
    GTEST_SKIP() << "cannot make a file read-only for this process (privileges)";
  }
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(json_of(list)["total"], 6);
  for (const CliRun* writer : {&workflow, &run}) {
    EXPECT_EQ(writer->exit_code, 4) << writer->err;
    EXPECT_NE(writer->err.find("read-only"), std::string::npos) << writer->err;
    EXPECT_NE(writer->err.find(db), std::string::npos) << writer->err;
    // Refused at open: no step ran, so no progress or step table was printed.
    EXPECT_EQ(writer->out.find("step"), std::string::npos) << writer->out;
  }
  EXPECT_EQ(trace_count(db), 6U);
}

}  // namespace
}  // namespace traverse::cli_test
