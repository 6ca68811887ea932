// traverse/trace/sqlite_trace_store.hpp — a durable TraceStore in one SQLite file (D6).
//
// The file uses WAL journaling and survives restarts: reopening lists every entry in insertion
// order. The schema is versioned with `PRAGMA user_version` (kTraceSchemaVersion); a file with a
// newer version is refused. The store owns one connection, closed by the destructor.
// Thread safety: safe for concurrent access from many threads without external
// synchronization (the connection is serialised by a mutex; prepared statements are reused).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>

#include "traverse/trace/trace_store.hpp"

namespace traverse {

// Schema version written to `PRAGMA user_version` by this build.
inline constexpr std::int64_t kTraceSchemaVersion = 1;

struct SqliteTraceStoreOptions {
  // Keep input/output payloads in private entries. Default false: only hashes are kept.
  bool keep_payloads = false;
  // How long a write waits for another process holding the file's lock before failing with Io.
  std::chrono::milliseconds busy_timeout{5000};
  // `synchronous=FULL` (fsync every commit: survives power loss) instead of the default NORMAL
  // (survives a process crash; in WAL mode a power loss may drop the last commits). Trade-off:
  // FULL is several times slower per insert.
  bool synchronous_full = false;
};

class SqliteTraceStore final : public TraceStore {
 public:
  // Opens (creating if absent) the trace database at `path`.
  // Success: a ready store. Failure: Io (cannot open/create, e.g. missing directory), Corrupt
  // (not an SQLite database, or a table layout that is not Traverse's), SchemaTooNew
  // (user_version > kTraceSchemaVersion; the file is left untouched).
  [[nodiscard]] static std::expected<std::unique_ptr<SqliteTraceStore>, TraceError> open(
      const std::filesystem::path& path, SqliteTraceStoreOptions options = {});

  ~SqliteTraceStore() override;
  // The store owns a connection; it cannot be copied or moved.
  SqliteTraceStore(const SqliteTraceStore&) = delete;
  SqliteTraceStore& operator=(const SqliteTraceStore&) = delete;

  [[nodiscard]] std::expected<void, TraceError> insert(
      PublicTraceEntry public_entry, std::optional<PrivateTraceEntry> private_entry) override;
  [[nodiscard]] std::expected<TraceRecord, TraceError> get(std::string_view id) const override;
  [[nodiscard]] std::expected<std::vector<PublicTraceEntry>, TraceError> list_public(
      const TraceQuery& query) const override;
  [[nodiscard]] std::expected<std::vector<PublicTraceEntry>, TraceError> list_run(
      std::string_view workflow_run_id) const override;
  [[nodiscard]] std::expected<std::size_t, TraceError> count(
      const TraceQuery& query) const override;
  [[nodiscard]] bool keeps_payloads() const override;

  [[nodiscard]] const std::filesystem::path& path() const;

 private:
  struct Impl;
  explicit SqliteTraceStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;  // provides its own synchronization
};

}  // namespace traverse
