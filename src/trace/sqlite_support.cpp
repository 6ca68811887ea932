#include "sqlite_support.hpp"

#include <algorithm>
#include <limits>
#include <system_error>
#include <thread>

#include "wal_batching_vfs.hpp"

namespace traverse::trace_internal {

namespace {

// "file:" URI of `path` with the characters URIs give a meaning escaped.
std::string immutable_uri(const std::filesystem::path& path) {
  std::string uri = "file:";
  for (const char c : path.string()) {
    if (c == '%' || c == '?' || c == '#') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(c);
      uri += '%';
      uri += kHex[byte >> 4U];
      uri += kHex[byte & 0x0FU];
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

// Whether `rc` is SQLite saying it would have to write (the WAL index) to read.
bool needs_write_to_read(int rc) {
  return rc == SQLITE_READONLY_DIRECTORY || rc == SQLITE_READONLY_CANTINIT ||
         rc == SQLITE_READONLY_RECOVERY || (rc & 0xFF) == SQLITE_CANTOPEN;
}

std::expected<Connection, TraceError> raw_open(const std::filesystem::path& path,
                                               const std::string& name, int flags,
                                               std::chrono::milliseconds busy_timeout,
                                               const char* vfs = nullptr) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, vfs);
  Connection connection(db);
  if (rc != SQLITE_OK) {
    const TraceError e = sqlite_error(path, db, "open", rc);
    return std::unexpected(TraceError(
        (rc & 0xFF) == SQLITE_NOTADB ? TraceErrorKind::Corrupt : TraceErrorKind::Io, e.message()));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_ms(busy_timeout));
  return connection;
}

}  // namespace

int busy_ms(std::chrono::milliseconds timeout) {
  return static_cast<int>(
      std::clamp<std::int64_t>(timeout.count(), 0, std::numeric_limits<int>::max()));
}

std::expected<void, TraceError> check_database_path(const std::filesystem::path& path) {
  if (path.empty()) {
    return std::unexpected(TraceError{TraceErrorKind::InvalidArgument,
                                      "trace database path is empty; expected a file name"});
  }
  if (path.string() == ":memory:") {
    return std::unexpected(
        TraceError{TraceErrorKind::InvalidArgument,
                   "trace database path \":memory:\" is refused: an in-memory database loses "
                   "every trace when it closes; give a file name (or use InMemoryTraceStore)"});
  }
  return {};
}

std::expected<Connection, TraceError> open_connection(const std::filesystem::path& path,
                                                      bool read_only,
                                                      std::chrono::milliseconds busy_timeout) {
  if (auto ok = check_database_path(path); !ok) {
    return std::unexpected(ok.error());
  }
  if (!read_only) {
    // The WAL-batching VFS: a commit is one write(2), not two per page (wal_batching_vfs.hpp).
    return raw_open(path, path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, busy_timeout,
                    wal_batching_vfs());
  }
  auto connection = raw_open(path, path.string(), SQLITE_OPEN_READONLY, busy_timeout);
  if (!connection) {
    return connection;
  }
  // A WAL database is read through its -shm index, which a read-only connection creates when it
  // is missing; in a read-only folder it cannot. A file without a -wal holds every committed
  // transaction and no writer can be active (none could create the -wal either), so reading it
  // as immutable is exact.
  const int rc =
      sqlite3_exec(connection->get(), "PRAGMA schema_version", nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK || !needs_write_to_read(rc)) {
    return connection;
  }
  std::error_code ignored;
  const auto wal = std::filesystem::path(path.string() + "-wal");
  if (std::filesystem::exists(wal, ignored) && std::filesystem::file_size(wal, ignored) > 0) {
    return std::unexpected(sqlite_error(path, connection->get(), "open read-only", rc));
  }
  return raw_open(path, immutable_uri(path), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, busy_timeout);
}

TraceError sqlite_error(const std::filesystem::path& path, sqlite3* db, std::string_view what,
                        int rc) {
  const int primary = rc & 0xFF;
  TraceErrorKind kind = TraceErrorKind::Io;
  std::string hint;
  switch (primary) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      kind = TraceErrorKind::Corrupt;
      hint =
          "the file is damaged or not a Traverse trace database; move it aside (Traverse then "
          "creates a new one) and salvage what is readable with `sqlite3 <file> .recover`";
      break;
    case SQLITE_READONLY:
      hint =
          "the file or its folder is read-only, so no trace can be recorded; fix the permissions "
          "or choose another trace database (reading it still works)";
      break;
    case SQLITE_FULL:
      hint = "the disk is full; free space, then retry";
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      hint = "another process holds the database lock; retry when it is done";
      break;
    case SQLITE_CANTOPEN:
      hint = "check that the folder exists and is writable (or open the file read-only)";
      break;
    default:
      break;
  }
  const char* detail =
      db != nullptr && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message = "trace database " + path.string() + ": " + std::string(what) + ": " +
                        (detail != nullptr ? detail : "unknown error");
  if (!hint.empty()) {
    message += " (" + hint + ")";
  }
  return TraceError{kind, std::move(message)};
}

std::expected<void, TraceError> exec(const std::filesystem::path& path, sqlite3* db,
                                     const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return std::unexpected(sqlite_error(path, db, what, rc));
  }
  return {};
}

std::expected<std::int64_t, TraceError> query_int(const std::filesystem::path& path, sqlite3* db,
                                                  const char* sql, std::string_view what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  const Statement stmt(raw);
  if (rc != SQLITE_OK) {
    return std::unexpected(sqlite_error(path, db, what, rc));
  }
  rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_ROW) {
    return sqlite3_column_int64(stmt.get(), 0);
  }
  if (rc == SQLITE_DONE) {
    return 0;
  }
  return std::unexpected(sqlite_error(path, db, what, rc));
}

std::expected<void, TraceError> exec_retrying(const std::filesystem::path& path, sqlite3* db,
                                              const char* sql, std::string_view what,
                                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) {
      return {};
    }
    if (!is_busy(rc) || std::chrono::steady_clock::now() + pause > deadline) {
      return std::unexpected(sqlite_error(path, db, what, rc));
    }
    // Backing off is the point here: the lock holder is another connection, maybe another
    // process, that has no way to signal us.
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(32));
  }
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (text == nullptr) {
    return {};
  }
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

}  // namespace traverse::trace_internal
