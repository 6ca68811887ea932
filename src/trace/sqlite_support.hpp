// Internal: what the SQLite trace and workflow run stores share — RAII statements and
// connections, opening a connection (read-write or read-only), and typed errors with a hint that
// says what the operator can do.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "traverse/trace/trace_error.hpp"

namespace traverse::trace_internal {

// The workflow run table (SqliteWorkflowRunStore) in a trace database; created with the trace
// schema so that opening a store for writing is the only schema change.
inline constexpr const char* kCreateRunTable = R"sql(
CREATE TABLE IF NOT EXISTS traverse_workflow_runs (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  trace_id TEXT NOT NULL UNIQUE,
  record_json TEXT NOT NULL
);
)sql";

// A prepared statement, finalized on destruction.
class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept {
    std::swap(stmt_, other.stmt_);
    return *this;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  [[nodiscard]] sqlite3_stmt* get() const { return stmt_; }
  [[nodiscard]] explicit operator bool() const { return stmt_ != nullptr; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement and clears its bindings when a use ends, whatever the outcome.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// One SQLite connection, closed on destruction (statements of it must be finalized first; a
// statement left over is finalized by sqlite3_close_v2 when it is).
class Connection {
 public:
  Connection() = default;
  explicit Connection(sqlite3* db) : db_(db) {}
  Connection(Connection&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Connection& operator=(Connection&& other) noexcept {
    std::swap(db_, other.db_);
    return *this;
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { sqlite3_close_v2(db_); }

  [[nodiscard]] sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// Refuses paths that do not name a file: "" and ":memory:" (an in-memory database would lose
// every trace when the store closes). Failure: InvalidArgument.
[[nodiscard]] std::expected<void, TraceError> check_database_path(
    const std::filesystem::path& path);

// Opens a connection to `path` (extended result codes on, busy timeout set).
// read_only: SQLITE_OPEN_READONLY; the file must exist; nothing is ever written, not even the WAL
// index: when the folder is read-only and the file has no -wal, the file is opened immutable
// (it is then complete, as no writer can be active). Otherwise read-write, creating the file.
// Failure: Io (cannot open), Corrupt (not an SQLite database).
[[nodiscard]] std::expected<Connection, TraceError> open_connection(
    const std::filesystem::path& path, bool read_only, std::chrono::milliseconds busy_timeout);

// A typed error for SQLite result `rc` while doing `what` on `path`: Corrupt for a damaged or
// foreign file, Io otherwise; the message names the file, what failed, SQLite's message and, for
// the conditions an operator can fix (read-only, disk full, locked, damaged), what to do.
[[nodiscard]] TraceError sqlite_error(const std::filesystem::path& path, sqlite3* db,
                                      std::string_view what, int rc);

// Runs `sql` (no result rows). Failure: sqlite_error.
[[nodiscard]] std::expected<void, TraceError> exec(const std::filesystem::path& path, sqlite3* db,
                                                   const char* sql, std::string_view what);

// The first column of the first row of `sql` (0 when there is no row).
[[nodiscard]] std::expected<std::int64_t, TraceError> query_int(const std::filesystem::path& path,
                                                                sqlite3* db, const char* sql,
                                                                std::string_view what);

// Whether `rc` says another connection holds a lock (worth retrying until a deadline).
[[nodiscard]] inline bool is_busy(int rc) {
  return (rc & 0xFF) == SQLITE_BUSY || (rc & 0xFF) == SQLITE_LOCKED;
}

// Runs `sql` until it succeeds, fails with something other than busy, or `timeout` has passed,
// backing off between attempts (1 ms doubling to 32 ms). For statements SQLite does not retry
// through its busy handler (it returns SQLITE_BUSY at once to avoid deadlocks, e.g. the journal
// mode switch and a lock upgrade from a read transaction).
[[nodiscard]] std::expected<void, TraceError> exec_retrying(const std::filesystem::path& path,
                                                            sqlite3* db, const char* sql,
                                                            std::string_view what,
                                                            std::chrono::milliseconds timeout);

// Milliseconds clamped to what sqlite3_busy_timeout accepts.
[[nodiscard]] int busy_ms(std::chrono::milliseconds timeout);

std::string column_text(sqlite3_stmt* stmt, int column);

}  // namespace traverse::trace_internal
