// Governing spec: 010-runtime-stack
#include "traverse/trace/sqlite_trace_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "trace_test_support.hpp"

namespace traverse {
namespace {

using trace_test::entry;
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
  EXPECT_EQ((*reopened)->insert(entry("r0"), std::nullopt).error().kind, TraceErrorKind::Conflict);
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
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto single = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    std::string value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return value;
  };
  EXPECT_EQ(single("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(single("PRAGMA user_version"), std::to_string(kTraceSchemaVersion));
  sqlite3_close(db);
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
  EXPECT_EQ(store.error().kind, TraceErrorKind::Corrupt);
  EXPECT_NE(store.error().message.find(path.string()), std::string::npos);
}

TEST(SqliteTraceStore, ForeignSqliteDatabaseIsRefused) {
  TempDir dir;
  const auto path = dir.path() / "other.db";
  run_sql(path, "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);");
  auto store = SqliteTraceStore::open(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind, TraceErrorKind::Corrupt);
}

TEST(SqliteTraceStore, NewerSchemaVersionIsRefusedAndLeftUntouched) {
  TempDir dir;
  const auto path = dir.path() / "future.db";
  ASSERT_TRUE(SqliteTraceStore::open(path).has_value());
  run_sql(path, "PRAGMA user_version = 2;");
  auto store = SqliteTraceStore::open(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind, TraceErrorKind::SchemaTooNew);
  EXPECT_NE(store.error().message.find("schema version 2"), std::string::npos);
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
  EXPECT_EQ(got.error().kind, TraceErrorKind::Corrupt);
  auto listed = (*store)->list_public({});
  ASSERT_FALSE(listed.has_value());
  EXPECT_EQ(listed.error().kind, TraceErrorKind::Corrupt);
}

TEST(SqliteTraceStore, MissingDirectoryIsAnIoError) {
  TempDir dir;
  auto store = SqliteTraceStore::open(dir.path() / "no" / "such" / "dir" / "traces.db");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind, TraceErrorKind::Io);
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
  EXPECT_EQ((*a)->insert(entry("from-b"), std::nullopt).error().kind, TraceErrorKind::Conflict);
}

}  // namespace
}  // namespace traverse
