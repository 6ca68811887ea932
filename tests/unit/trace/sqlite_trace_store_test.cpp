// Governing spec: 010-runtime-stack
#include "traverse/trace/sqlite_trace_store.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <latch>
#include <thread>
#include <vector>

#include "trace_test_support.hpp"
#include "traverse/trace/workflow_run_store.hpp"

namespace traverse {
namespace {

using trace_test::entry;
using trace_test::run_without_file_privileges;
using trace_test::TempDir;

void run_sql(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  const std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << text;
}

// The first column of the first row `sql` gives on the file at `path` ("" when no row).
std::string query_text(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
  std::string value;
  if (sqlite3_step(stmt) == SQLITE_ROW)
    value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

// Runs body(t) for t in [0, threads) on as many threads, released together, and joins them.
void run_together(int threads, const std::function<void(int)>& body) {
  std::latch start(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      body(t);
    });
  }
  for (auto& worker : workers)
    worker.join();
}

TEST(SqliteTraceStore, ReopenedStoreListsEveryEntryInInsertionOrder) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  std::vector<std::string> inserted;
  {
    auto store = SqliteTraceStore::open(path);
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    for (int i = 0; i < 25; ++i) {
      const std::string id = "r" + std::to_string(i);
      const Value input = Value{{"i", i}};
      ASSERT_TRUE((*store)
                      ->insert(entry(id, i % 3 == 0 ? "cap.x" : "cap.y",
                                     i % 4 == 0 ? TraceOutcome::Failure : TraceOutcome::Success, i),
                               make_private_trace_entry(id, input, &input, 1, false))
                      .has_value());
      inserted.push_back(id);
    }
  }
  auto reopened = SqliteTraceStore::open(path);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  auto all = (*reopened)->list_public({});
  ASSERT_TRUE(all.has_value());
  std::vector<std::string> listed;
  for (const auto& e : *all)
    listed.push_back(e.id);
  EXPECT_EQ(listed, inserted);
  EXPECT_EQ(*(*reopened)->count({.capability_id = "cap.x"}), 9U);
  auto record = (*reopened)->get("r4");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry, entry("r4", "cap.y", TraceOutcome::Failure, 4));
  ASSERT_TRUE(record->private_entry.has_value());
  // Appending after reopen continues the insertion order.
  ASSERT_TRUE((*reopened)->insert(entry("late"), std::nullopt).has_value());
  EXPECT_EQ((*reopened)->list_public({.offset = 25})->front().id, "late");
  // A duplicate of an entry from before the restart is still a conflict.
  EXPECT_EQ((*reopened)->insert(entry("r0"), std::nullopt).error().kind(),
            TraceErrorKind::Conflict);
}

TEST(SqliteTraceStore, StoresRejectedOutcomeAsTextAndFiltersByIt) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  {
    auto store = SqliteTraceStore::open(path);
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    PublicTraceEntry rejected = entry("rej", "cap.x", TraceOutcome::Rejected);
    rejected.error_class = "RequestInvalid";
    rejected.error_message = "input does not match";
    const Value input = Value{{"i", 1}};
    ASSERT_TRUE(
        (*store)->insert(rejected, make_private_trace_entry("rej", input, nullptr, 0, false)));
    ASSERT_TRUE((*store)->insert(entry("ok", "cap.x"), std::nullopt));
  }
  auto store = SqliteTraceStore::open(path);
  ASSERT_TRUE(store.has_value());
  auto record = (*store)->get("rej");
  ASSERT_TRUE(record.has_value()) << record.error().to_string();
  EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Rejected);
  EXPECT_EQ(record->public_entry.error_class, "RequestInvalid");
  TraceQuery query;
  query.outcome = TraceOutcome::Rejected;
  EXPECT_EQ((*store)->count(query).value_or(0), 1u);
}

TEST(SqliteTraceStore, UsesWalJournalAndRecordsSchemaVersion) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  ASSERT_TRUE(SqliteTraceStore::open(path).has_value());
  EXPECT_EQ(query_text(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_text(path, "PRAGMA user_version"), std::to_string(kTraceSchemaVersion));
}

// Files written before the run index was partial carry it over every row; opening one for
// writing replaces it, and queries by run find the same entries through the new index.
TEST(SqliteTraceStore, OpeningAFileWithTheFullRunIndexMakesItPartialAndRunQueriesStillFindSteps) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  {
    auto store = SqliteTraceStore::open(path);
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    for (int i = 0; i < 3; ++i) {
      PublicTraceEntry step = entry("step" + std::to_string(i), "cap.step");
      step.workflow_run_id = "run-1";
      step.step_index = static_cast<std::uint64_t>(i);
      ASSERT_TRUE((*store)->insert(step, std::nullopt).has_value());
    }
    ASSERT_TRUE((*store)->insert(entry("alone", "cap.alone"), std::nullopt).has_value());
  }
  const auto run_index_sql = [&] {
    return query_text(path, "SELECT sql FROM sqlite_master WHERE name = 'traverse_traces_run'");
  };
  EXPECT_TRUE(run_index_sql().ends_with("WHERE workflow_run_id IS NOT NULL")) << run_index_sql();
  // The index as files before it had it.
  run_sql(path,
          "DROP INDEX traverse_traces_run; CREATE INDEX traverse_traces_run ON "
          "traverse_traces(workflow_run_id, step_index, seq)");
  ASSERT_FALSE(run_index_sql().contains("WHERE"));

  auto reopened = SqliteTraceStore::open(path);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  EXPECT_TRUE(run_index_sql().ends_with("WHERE workflow_run_id IS NOT NULL")) << run_index_sql();
  auto steps = (*reopened)->list_run("run-1");
  ASSERT_TRUE(steps.has_value()) << steps.error().to_string();
  std::vector<std::string> ids;
  for (const auto& e : *steps)
    ids.push_back(e.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"step0", "step1", "step2"}));
  EXPECT_EQ(*(*reopened)->count({.workflow_run_id = "run-1"}), 3U);
  EXPECT_EQ(*(*reopened)->count({}), 4U);
}

TEST(SqliteTraceStore, NonSqliteFileIsATypedCorruptError) {
  TempDir dir;
  const auto path = dir.path() / "not-a-db.db";
  {
    std::ofstream out(path, std::ios::binary);
    out << "this is definitely not an sqlite database, just some text padded out to be long "
           "enough to cover a header page of bytes..................................."
        << std::string(4096, 'x');
  }
  auto store = SqliteTraceStore::open(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind(), TraceErrorKind::Corrupt);
  EXPECT_NE(store.error().message().find(path.string()), std::string::npos);
}

TEST(SqliteTraceStore, ForeignSqliteDatabaseIsRefused) {
  TempDir dir;
  const auto path = dir.path() / "other.db";
  run_sql(path, "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);");
  auto store = SqliteTraceStore::open(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind(), TraceErrorKind::Corrupt);
}

TEST(SqliteTraceStore, NewerSchemaVersionIsRefusedAndLeftUntouched) {
  TempDir dir;
  const auto path = dir.path() / "future.db";
  ASSERT_TRUE(SqliteTraceStore::open(path).has_value());
  run_sql(path, "PRAGMA user_version = 2;");
  auto store = SqliteTraceStore::open(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind(), TraceErrorKind::SchemaTooNew);
  EXPECT_NE(store.error().message().find("schema version 2"), std::string::npos);
}

TEST(SqliteTraceStore, UndecodableRowIsReportedAsCorruptNotACrash) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  {
    auto store = SqliteTraceStore::open(path);
    ASSERT_TRUE(store.has_value());
    ASSERT_TRUE((*store)->insert(entry("good"), std::nullopt).has_value());
  }
  run_sql(path, "UPDATE traverse_traces SET public_json = '{not json' WHERE id = 'good';");
  auto store = SqliteTraceStore::open(path);
  ASSERT_TRUE(store.has_value());
  auto got = (*store)->get("good");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().kind(), TraceErrorKind::Corrupt);
  auto listed = (*store)->list_public({});
  ASSERT_FALSE(listed.has_value());
  EXPECT_EQ(listed.error().kind(), TraceErrorKind::Corrupt);
}

TEST(SqliteTraceStore, MissingDirectoryIsAnIoError) {
  TempDir dir;
  auto store = SqliteTraceStore::open(dir.path() / "no" / "such" / "dir" / "traces.db");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind(), TraceErrorKind::Io);
}

TEST(SqliteTraceStore, TwoStoresOnOneFileSeeEachOthersWrites) {
  TempDir dir;
  const auto path = dir.path() / "shared.db";
  auto a = SqliteTraceStore::open(path);
  auto b = SqliteTraceStore::open(path);
  ASSERT_TRUE(a.has_value() && b.has_value());
  ASSERT_TRUE((*a)->insert(entry("from-a"), std::nullopt).has_value());
  ASSERT_TRUE((*b)->insert(entry("from-b"), std::nullopt).has_value());
  EXPECT_EQ((*a)->count({}).value(), 2U);
  EXPECT_EQ((*b)->get("from-a")->public_entry.id, "from-a");
  EXPECT_EQ((*a)->insert(entry("from-b"), std::nullopt).error().kind(), TraceErrorKind::Conflict);
}

// ---- issue 15, defect 2: a fresh database opened by many at once ----

TEST(SqliteTraceStore, FreshDatabaseRace_ConcurrentOpenersOfANewFileAllSucceed) {
  TempDir dir;
  constexpr int kRounds = 12;
  constexpr int kOpeners = 8;
  for (int round = 0; round < kRounds; ++round) {
    const auto path = dir.path() / ("fresh-" + std::to_string(round) + ".db");
    std::vector<std::string> failures(kOpeners);
    run_together(kOpeners, [&](int t) {
      // As the CLI does: the trace store, then the run store on the same file.
      auto store = SqliteTraceStore::open(path);
      if (!store) {
        failures[static_cast<std::size_t>(t)] = store.error().to_string();
        return;
      }
      auto runs = SqliteWorkflowRunStore::open(path);
      if (!runs) {
        failures[static_cast<std::size_t>(t)] = runs.error().to_string();
        return;
      }
      auto inserted = (*store)->insert(entry("r" + std::to_string(round) + "-" + std::to_string(t)),
                                       std::nullopt);
      if (!inserted)
        failures[static_cast<std::size_t>(t)] = inserted.error().to_string();
    });
    for (int t = 0; t < kOpeners; ++t)
      EXPECT_EQ(failures[static_cast<std::size_t>(t)], "") << "round " << round << " opener " << t;
    auto store = SqliteTraceStore::open(path);
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    EXPECT_EQ((*store)->count({}).value(), static_cast<std::size_t>(kOpeners));
  }
}

// ---- issue 15, defect 3: a damaged file is refused for writing ----

TEST(SqliteTraceStore, CorruptedDatabaseIsRefusedForWritingWithARecoveryHint) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  {
    auto store = SqliteTraceStore::open(path);
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    for (int i = 0; i < 400; ++i) {
      const std::string id = "r" + std::to_string(i);
      const Value input = Value{{"i", i}, {"padding", std::string(200, 'p')}};
      ASSERT_TRUE((*store)
                      ->insert(entry(id), make_private_trace_entry(id, input, &input, 1, false))
                      .has_value());
    }
  }  // the last connection closed: everything is checkpointed into the main file
  const auto size = std::filesystem::file_size(path);
  ASSERT_GE(size, 16U * 4096U);
  {
    // Garbage over the header of a page in the middle of the file (a b-tree page of the table
    // or one of its indexes): the schema and page 1 stay readable.
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>((size / 4096U / 2U) * 4096U));
    const std::string garbage(64, '\xA5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto store = SqliteTraceStore::open(path);
  ASSERT_FALSE(store.has_value()) << "a damaged database was accepted for writing";
  EXPECT_EQ(store.error().kind(), TraceErrorKind::Corrupt);
  EXPECT_NE(store.error().message().find(path.string()), std::string::npos)
      << store.error().message();
  EXPECT_NE(store.error().message().find("quick_check"), std::string::npos);
  EXPECT_NE(store.error().message().find("Move it aside"), std::string::npos);
  auto runs = SqliteWorkflowRunStore::open(path);
  ASSERT_FALSE(runs.has_value());
  EXPECT_EQ(runs.error().kind(), TraceErrorKind::Corrupt);
}

TEST(SqliteTraceStore, IntegrityCheckOnOpenIsBoundedByTheFileSize) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  {
    auto store = SqliteTraceStore::open(path);
    ASSERT_TRUE(store.has_value());
    for (int i = 0; i < 300; ++i)
      ASSERT_TRUE((*store)->insert(entry("r" + std::to_string(i)), std::nullopt).has_value());
  }
  const auto size = std::filesystem::file_size(path);
  {
    // Damage the last page.
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size - 4096U));
    const std::string garbage(64, '\xA5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  SqliteTraceStoreOptions tiny;
  tiny.open_check_max_bytes = 4096;  // smaller than the file: not checked
  auto partial = SqliteTraceStore::open(path, tiny);
  EXPECT_TRUE(partial.has_value()) << partial.error().to_string();
  partial = std::unexpected(TraceError{});
  EXPECT_EQ(SqliteTraceStore::open(path).error().kind(), TraceErrorKind::Corrupt);
}

// ---- issue 15, defect 4: read-only files and folders ----

TEST(SqliteTraceStore, ReadOnlyDatabase_IsReadableAndRefusedForWritingAtOpen) {
  TempDir dir;
  const auto folder = dir.path() / "ro";
  std::filesystem::create_directories(folder);
  const auto path = folder / "traces.db";
  {
    auto store = SqliteTraceStore::open(path);
    ASSERT_TRUE(store.has_value());
    ASSERT_TRUE((*store)->insert(entry("a"), std::nullopt).has_value());
    ASSERT_TRUE((*store)->insert(entry("b", "cap.other"), std::nullopt).has_value());
    auto runs = SqliteWorkflowRunStore::open(path);
    ASSERT_TRUE(runs.has_value());
    WorkflowRunRecord run;
    run.run_id = "run-1";
    run.trace_id = "a";
    run.time = "2026-11-26T12:00:00.000Z";
    ASSERT_TRUE((*runs)->insert(run).has_value());
  }
  ASSERT_FALSE(std::filesystem::exists(folder / "traces.db-wal"));
  std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::group_read |
                                         std::filesystem::perms::others_read);
  std::filesystem::permissions(
      folder, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                  std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
  bool writable = false;
  const bool dropped = run_without_file_privileges([&] {
    const int fd = ::open(path.c_str(), O_WRONLY);
    writable = fd >= 0;
    if (fd >= 0) {
      ::close(fd);
      return;
    }
    SqliteTraceStoreOptions read_only;
    read_only.read_only = true;
    auto reader = SqliteTraceStore::open(path, read_only);
    ASSERT_TRUE(reader.has_value()) << reader.error().to_string();
    auto all = (*reader)->list_public({});
    ASSERT_TRUE(all.has_value()) << all.error().to_string();
    EXPECT_EQ(all->size(), 2U);
    EXPECT_EQ((*reader)->count({.capability_id = "cap.other"}).value(), 1U);
    EXPECT_EQ((*reader)->get("a").value().public_entry.id, "a");
    EXPECT_EQ((*reader)->insert(entry("c"), std::nullopt).error().kind(), TraceErrorKind::Io);
    auto runs = SqliteWorkflowRunStore::open(path, {.read_only = true});
    ASSERT_TRUE(runs.has_value()) << runs.error().to_string();
    EXPECT_EQ((*runs)->get("run-1").value().trace_id, "a");

    // Writing is refused when opening, before anything could run, with one typed error.
    auto writer = SqliteTraceStore::open(path);
    ASSERT_FALSE(writer.has_value());
    EXPECT_EQ(writer.error().kind(), TraceErrorKind::Io);
    EXPECT_NE(writer.error().message().find(path.string()), std::string::npos);
    EXPECT_NE(writer.error().message().find("read-only"), std::string::npos)
        << writer.error().message();
    auto run_writer = SqliteWorkflowRunStore::open(path);
    ASSERT_FALSE(run_writer.has_value());
    EXPECT_EQ(run_writer.error().kind(), TraceErrorKind::Io);
  });
  std::filesystem::permissions(folder, std::filesystem::perms::owner_all);
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  if (!dropped || writable)
    GTEST_SKIP() << "cannot make a file read-only for this process (privileges)";
  // Nothing was written next to the file while it was read-only.
  EXPECT_FALSE(std::filesystem::exists(folder / "traces.db-wal"));
  EXPECT_FALSE(std::filesystem::exists(folder / "traces.db-shm"));
}

TEST(SqliteTraceStore, ReadOnlyDatabase_ReadOnlyFileInAWritableFolderIsRefusedForWriting) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  {
    auto store = SqliteTraceStore::open(path);
    ASSERT_TRUE(store.has_value());
    ASSERT_TRUE((*store)->insert(entry("a"), std::nullopt).has_value());
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read);
  bool writable = false;
  const bool dropped = run_without_file_privileges([&] {
    const int fd = ::open(path.c_str(), O_WRONLY);
    writable = fd >= 0;
    if (fd >= 0) {
      ::close(fd);
      return;
    }
    auto writer = SqliteTraceStore::open(path);
    ASSERT_FALSE(writer.has_value());
    EXPECT_EQ(writer.error().kind(), TraceErrorKind::Io);
    EXPECT_NE(writer.error().message().find("read-only"), std::string::npos)
        << writer.error().message();
    auto reader = SqliteTraceStore::open(path, {.read_only = true});
    ASSERT_TRUE(reader.has_value()) << reader.error().to_string();
    EXPECT_EQ((*reader)->count({}).value(), 1U);
  });
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  if (!dropped || writable)
    GTEST_SKIP() << "cannot make a file read-only for this process (privileges)";
}

TEST(SqliteTraceStore, ReadOnlyOpenOfAMissingFileIsAnIoErrorAndCreatesNothing) {
  TempDir dir;
  const auto path = dir.path() / "absent.db";
  auto store = SqliteTraceStore::open(path, {.read_only = true});
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind(), TraceErrorKind::Io);
  EXPECT_FALSE(std::filesystem::exists(path));
}

// ---- issue 15, defect 8: paths that are not files ----

TEST(SqliteTraceStore, MemoryAndEmptyPathsAreRefused) {
  for (const char* bad : {":memory:", ""}) {
    auto store = SqliteTraceStore::open(bad);
    ASSERT_FALSE(store.has_value()) << "path \"" << bad << "\"";
    EXPECT_EQ(store.error().kind(), TraceErrorKind::InvalidArgument);
    auto read_only = SqliteTraceStore::open(bad, {.read_only = true});
    ASSERT_FALSE(read_only.has_value());
    EXPECT_EQ(read_only.error().kind(), TraceErrorKind::InvalidArgument);
    auto runs = SqliteWorkflowRunStore::open(bad);
    ASSERT_FALSE(runs.has_value());
    EXPECT_EQ(runs.error().kind(), TraceErrorKind::InvalidArgument);
  }
  EXPECT_NE(SqliteTraceStore::open(":memory:").error().message().find(":memory:"),
            std::string::npos);
}

// ---- issue 11: group commit and reader connections ----

TEST(SqliteTraceStore, GroupCommit_EveryInsertIsCommittedWhenItReturns) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  auto store = SqliteTraceStore::open(path);
  ASSERT_TRUE(store.has_value());
  // A second store on the file sees only committed data: each entry must be there as soon as
  // its insert returned.
  auto observer = SqliteTraceStore::open(path, {.read_only = true});
  ASSERT_TRUE(observer.has_value()) << observer.error().to_string();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  std::atomic<int> missing{0};
  std::atomic<int> failed{0};
  run_together(kThreads, [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
      const Value input = Value{{"i", i}};
      if (!(*store)->insert(entry(id), make_private_trace_entry(id, input, &input, 1, false))) {
        ++failed;
        continue;
      }
      if (!(*observer)->get(id))
        ++missing;
    }
  });
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(missing.load(), 0);
  EXPECT_EQ((*observer)->count({}).value(), static_cast<std::size_t>(kThreads * kPerThread));
  store->reset();
  auto reopened = SqliteTraceStore::open(path);
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ((*reopened)->count({}).value(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(SqliteTraceStore, GroupCommit_ADuplicateFailsOnlyItsOwnEntry) {
  TempDir dir;
  auto store = SqliteTraceStore::open(dir.path() / "traces.db");
  ASSERT_TRUE(store.has_value());
  constexpr int kThreads = 8;
  constexpr int kRounds = 40;
  std::barrier sync(kThreads);
  std::atomic<int> conflicts{0};
  std::atomic<int> other_failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        sync.arrive_and_wait();
        // Threads 0 and 1 insert the same id in each round, usually in one batch.
        const std::string id =
            "round" + std::to_string(round) + "-" + std::to_string(t == 1 ? 0 : t);
        auto inserted = (*store)->insert(entry(id), std::nullopt);
        if (!inserted && inserted.error().kind() == TraceErrorKind::Conflict)
          ++conflicts;
        else if (!inserted)
          ++other_failures;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(conflicts.load(), kRounds);
  EXPECT_EQ(other_failures.load(), 0);
  EXPECT_EQ((*store)->count({}).value(), static_cast<std::size_t>((kThreads - 1) * kRounds));
}

// Holds the write lock of `path` from a raw connection until release().
class WriteLockHolder {
 public:
  explicit WriteLockHolder(const std::filesystem::path& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  void release() {
    if (db_ != nullptr) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      sqlite3_close(db_);
      db_ = nullptr;
    }
  }
  ~WriteLockHolder() { release(); }
  WriteLockHolder(const WriteLockHolder&) = delete;
  WriteLockHolder& operator=(const WriteLockHolder&) = delete;

 private:
  sqlite3* db_ = nullptr;
};

TEST(SqliteTraceStore, GroupCommit_AFailedCommitFailsItsBatchWithATypedErrorAndWritesNothing) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  SqliteTraceStoreOptions options;
  options.busy_timeout = std::chrono::milliseconds(50);
  auto store = SqliteTraceStore::open(path, options);
  ASSERT_TRUE(store.has_value());
  WriteLockHolder lock(path);
  constexpr int kThreads = 4;
  std::vector<std::future<std::expected<void, TraceError>>> results;
  for (int t = 0; t < kThreads; ++t) {
    results.push_back(std::async(std::launch::async, [&, t] {
      return (*store)->insert(entry("locked-" + std::to_string(t)), std::nullopt);
    }));
  }
  for (auto& result : results) {
    auto inserted = result.get();
    ASSERT_FALSE(inserted.has_value());
    EXPECT_EQ(inserted.error().kind(), TraceErrorKind::Io);
    EXPECT_NE(inserted.error().message().find("locked"), std::string::npos)
        << inserted.error().message();
  }
  lock.release();
  EXPECT_EQ((*store)->count({}).value(), 0U);
  ASSERT_TRUE((*store)->insert(entry("after"), std::nullopt).has_value());
  EXPECT_EQ((*store)->count({}).value(), 1U);
  EXPECT_FALSE((*store)->get("locked-0").has_value());
}

TEST(SqliteTraceStore, ReadsDoNotWaitForAnInsertWaitingOnTheFileLock) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  SqliteTraceStoreOptions options;
  options.busy_timeout = std::chrono::milliseconds(20000);
  auto store = SqliteTraceStore::open(path, options);
  ASSERT_TRUE(store.has_value());
  ASSERT_TRUE((*store)->insert(entry("before"), std::nullopt).has_value());
  WriteLockHolder lock(path);
  // This insert busy-waits for the lock held above (up to 20 s).
  auto blocked = std::async(std::launch::async,
                            [&] { return (*store)->insert(entry("blocked"), std::nullopt); });
  // Many reads in a row: the insert is in its busy wait for most of them, whichever starts first.
  auto read = std::async(std::launch::async, [&] {
    auto listed = (*store)->list_public({});
    for (int i = 0; i < 50 && listed.has_value() && listed->size() == 1; ++i)
      listed = (*store)->list_public({});
    return listed;
  });
  ASSERT_EQ(read.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "a read waited for an insert blocked on the file lock";
  auto listed = read.get();
  ASSERT_TRUE(listed.has_value()) << listed.error().to_string();
  EXPECT_EQ(listed->size(), 1U);
  EXPECT_EQ(blocked.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  lock.release();
  EXPECT_TRUE(blocked.get().has_value());
  EXPECT_EQ((*store)->count({}).value(), 2U);
}

// ---- issue 11: the pipeline's own cost (a commit is written with one write) ----

// Rows of `path` counted through a plain SQLite connection (the default VFS), as another
// program reading the file would.
std::int64_t count_rows_with_default_vfs(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return -1;
  }
  sqlite3_stmt* stmt = nullptr;
  std::int64_t rows = -1;
  if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM traverse_traces", -1, &stmt, nullptr) ==
          SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    rows = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

TEST(SqliteTraceStore, WalBatching_AnInsertThatReturnedSurvivesTheProcessDyingWithoutClosing) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  constexpr int kEntries = 40;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child records entries (one spanning many pages), reports, then dies: no destructor,
    // no close, no checkpoint. Only what each commit wrote to the file remains.
    close(ready[0]);
    auto store = SqliteTraceStore::open(path, {.keep_payloads = true});
    if (!store)
      _exit(2);
    for (int i = 0; i < kEntries; ++i) {
      const std::string id = "crash-" + std::to_string(i);
      const Value input = Value{{"text", std::string(i == 7 ? 300000 : 10, 'x')}};
      if (!(*store)->insert(entry(id), make_private_trace_entry(id, input, &input, 1, true)))
        _exit(3);
    }
    const char done = 'd';
    if (write(ready[1], &done, 1) != 1)
      _exit(4);
    _exit(0);
  }
  close(ready[1]);
  char done = 0;
  const ssize_t got = read(ready[0], &done, 1);
  close(ready[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(got, 1) << "child exit status " << status;
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // Readable as it is (WAL recovery) by a connection that knows nothing of Traverse's VFS ...
  EXPECT_EQ(count_rows_with_default_vfs(path), kEntries);
  // ... and by the store, payload intact.
  auto reopened = SqliteTraceStore::open(path, {.keep_payloads = true});
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->count({}).value(), static_cast<std::size_t>(kEntries));
  auto big = (*reopened)->get("crash-7");
  ASSERT_TRUE(big.has_value()) << big.error().to_string();
  ASSERT_TRUE(big->private_entry.has_value());
  ASSERT_TRUE(big->private_entry->input.has_value());
  EXPECT_EQ((*big->private_entry->input)["text"].get<std::string>().size(), 300000U);
}

TEST(SqliteTraceStore, WalBatching_EachCommitIsVisibleToADefaultVfsReaderWhenInsertReturns) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  auto store = SqliteTraceStore::open(path, {.keep_payloads = true});
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  for (int i = 0; i < 12; ++i) {
    const std::string id = "seen-" + std::to_string(i);
    // Every third commit is larger than the VFS's 1 MiB buffer: written in several writes.
    const Value input = Value{{"text", std::string(i % 3 == 0 ? (1U << 20U) + 5000U : 100U, 'y')}};
    auto inserted =
        (*store)->insert(entry(id), make_private_trace_entry(id, input, nullptr, 1, true));
    ASSERT_TRUE(inserted.has_value()) << inserted.error().to_string();
    EXPECT_EQ(count_rows_with_default_vfs(path), i + 1) << "after insert " << i;
  }
}

TEST(SqliteTraceStore, Checkpoints_KeepTheWalBoundedUnderAStreamOfInserts) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  const auto wal = std::filesystem::path(path.string() + "-wal");
  auto store = SqliteTraceStore::open(path, {.keep_payloads = true});
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  // ~6 WAL frames (4 KiB pages) per insert: without checkpoints 12,000 inserts leave a WAL of
  // ~280 MiB. The checkpointer and the leader's bound (16384 frames) keep it near 64 MiB.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 3000;
  constexpr std::uintmax_t kBound = 72U << 20U;
  std::atomic<std::uintmax_t> largest{0};
  std::atomic<int> failed{0};
  run_together(kThreads, [&](int t) {
    const Value input = Value{{"text", std::string(2000, 'w')}};
    for (int i = 0; i < kPerThread; ++i) {
      const std::string id = "w" + std::to_string(t) + "-" + std::to_string(i);
      if (!(*store)->insert(entry(id), make_private_trace_entry(id, input, nullptr, 1, true)))
        ++failed;
      if (t == 0) {
        std::error_code ignored;
        const auto size = std::filesystem::file_size(wal, ignored);
        if (!ignored && size > largest.load())
          largest.store(size);
      }
    }
  });
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(largest.load(), 0U);
  EXPECT_LE(largest.load(), kBound) << "the WAL grew to " << largest.load() << " bytes";
  EXPECT_EQ((*store)->count({}).value(), static_cast<std::size_t>(kThreads * kPerThread));
  const SqliteTraceStoreStats stats = (*store)->stats();
  EXPECT_EQ(stats.committed_entries, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_GE(stats.commits, 1U);
  EXPECT_LE(stats.commits, stats.committed_entries);
  EXPECT_GT(stats.background_checkpoints, 0U);
}

// The checkpoint thread copies committed frames into the database file while inserts go on, long
// before the WAL reaches the bound at which a committing thread has to checkpoint (and every
// insert waits). Its connection once never read the file, so it did not know the file was in WAL
// mode and each of its checkpoints did nothing.
TEST(SqliteTraceStore, Checkpointer_CopiesFramesInTheBackgroundBeforeTheWalReachesItsBound) {
  TempDir dir;
  auto store = SqliteTraceStore::open(dir.path() / "traces.db", {.keep_payloads = true});
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  // Several frames per insert (a 2 KB payload, the row and its indexes): past the 4,096 frames at
  // which the checkpointer is first asked, far below the inline bound (16,384).
  constexpr int kInserts = 1500;
  const Value input = Value{{"text", std::string(2000, 'c')}};
  for (int i = 0; i < kInserts; ++i) {
    const std::string id = "c-" + std::to_string(i);
    auto inserted =
        (*store)->insert(entry(id), make_private_trace_entry(id, input, nullptr, 1, true));
    ASSERT_TRUE(inserted.has_value()) << inserted.error().to_string();
  }
  // Bounded wait for the checkpoint thread's round (it was asked by the commits above).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*store)->stats().background_checkpointed_frames == 0 &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const SqliteTraceStoreStats stats = (*store)->stats();
  EXPECT_GT(stats.background_checkpoints, 0U);
  EXPECT_GE(stats.background_checkpointed_frames, 4096U);
  EXPECT_EQ(stats.inline_checkpoints, 0U);
  // One thread: one commit per insert.
  EXPECT_EQ(stats.commits, static_cast<std::uint64_t>(kInserts));
  EXPECT_EQ(stats.committed_entries, static_cast<std::uint64_t>(kInserts));
}

TEST(SqliteTraceStore, WalBatching_SynchronousFullCommitsAreInTheFileWhenInsertReturns) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  auto store = SqliteTraceStore::open(path, {.synchronous_full = true});
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  std::atomic<int> failed{0};
  std::atomic<int> missing{0};
  run_together(kThreads, [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string id = "full-" + std::to_string(t) + "-" + std::to_string(i);
      const Value input = Value{{"i", i}};
      if (!(*store)->insert(entry(id), make_private_trace_entry(id, input, &input, 1, false))) {
        ++failed;
        continue;
      }
      // At least this thread's entries so far, through a connection of the default VFS.
      if (count_rows_with_default_vfs(path) < i + 1)
        ++missing;
    }
  });
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(missing.load(), 0);
  EXPECT_EQ(count_rows_with_default_vfs(path), kThreads * kPerThread);
}

}  // namespace
}  // namespace traverse
