// traverse/trace/sqlite_trace_store.hpp — a durable TraceStore in one SQLite file (D6).
//
// The file uses WAL journaling and survives restarts: reopening lists every entry in insertion
// order. The schema is versioned with `PRAGMA user_version` (kTraceSchemaVersion); a file with a
// newer version is refused and left untouched.
//
// Opening for writing proves the file usable before anything runs: the schema is created or
// checked in one BEGIN IMMEDIATE transaction (so many processes may open a new file at once), the
// file is checked with `PRAGMA quick_check` (bounded by its size) (a damaged file is refused,
// Corrupt, with a recovery hint) and written once (a read-only file or folder is refused, Io, at
// open, not at the first insert). Opening read-only never writes: no schema, no journal mode
// switch, no WAL index in a read-only folder.
//
// Durability: insert returns after the transaction holding its entry has committed. With the
// default `synchronous=NORMAL` in WAL mode a committed entry survives a crash of the process (and
// of every other process); a power loss or OS crash may lose the last commits before the next WAL
// checkpoint, never corrupt the file. `synchronous_full` adds an fsync per commit for power-loss
// durability.
//
// Concurrency: inserts from many threads are group-committed: the first waiting thread commits
// the entries queued behind it (at most max_batch) in one transaction while the others wait for
// that commit's result. When more than one thread inserts, that leader first yields a few times
// to let the others join (a lone inserting thread never waits). A commit is written to the WAL
// with one write. WAL checkpoints run on a thread of the store's own, off the inserts' path.
// Reads use their own connections (up to max_readers; WAL lets them run during a commit) and
// decode JSON outside every lock.
// Thread safety: safe for concurrent access from many threads without external
// synchronization. The store owns its connections, closed by the destructor.
#pragma once

#include <chrono>
#include <cstddef>
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
  // Open an existing file for reading only (SQLITE_OPEN_READONLY): works on a read-only file or
  // folder; insert fails with Io. The file must exist and hold the trace schema.
  bool read_only = false;
  // Most entries one group commit writes (>= 1; 1 = one transaction per insert). The waiting
  // queue needs no bound of its own: each waiting entry is a thread blocked in insert.
  std::size_t max_batch = 256;
  // Most reader connections (>= 1); a reader waits for a free one beyond that.
  std::size_t max_readers = 4;
  // Bound of the integrity check (`PRAGMA quick_check`) on open for writing: files (with their
  // WAL) up to this size are checked completely, larger ones are not checked (their damage
  // surfaces as Corrupt on the reads and writes that meet it). 0: never check. The check reads
  // every page once, in one SQLite VM step that no callback can interrupt, hence a size bound:
  // measured (bench/trace_bench.cpp, BM_SqliteOpen) 10-22 ms of CPU for a 6.3 MiB file of 10,000
  // traced executions, so the default bounds it to roughly 0.1 s.
  std::uint64_t open_check_max_bytes = 32ULL << 20U;
};

// What a store has done since it was opened: counters for operators and benchmarks. Each field is
// read on its own (a snapshot of each counter, not of all of them at one instant).
struct SqliteTraceStoreStats {
  std::uint64_t commits = 0;            // transactions committed by inserts
  std::uint64_t committed_entries = 0;  // entries they held (per commit: the group-commit batch)
  // Rounds of the store's checkpoint thread that copied WAL frames into the database file, and
  // how many frames they copied in all.
  std::uint64_t background_checkpoints = 0;
  std::uint64_t background_checkpointed_frames = 0;
  // Checkpoints run by a committing thread because the WAL reached its bound (inserts wait).
  std::uint64_t inline_checkpoints = 0;
};

class SqliteTraceStore final : public TraceStore {
 public:
  // Opens (creating if absent, unless read_only) the trace database at `path`.
  // Success: a ready store. Failure: InvalidArgument (path "" or ":memory:"), Io (cannot
  // open/create, e.g. missing directory; read-only file or folder when writing; disk full; locked
  // by another process beyond busy_timeout), Corrupt (not an SQLite database, a table layout that
  // is not Traverse's, or a damaged file: the message says how to recover), SchemaTooNew
  // (user_version > kTraceSchemaVersion; the file is left untouched). Messages name the file.
  [[nodiscard]] static std::expected<std::unique_ptr<SqliteTraceStore>, TraceError> open(
      const std::filesystem::path& path, SqliteTraceStoreOptions options = {});

  ~SqliteTraceStore() override;
  // The store owns a connection; it cannot be copied or moved.
  SqliteTraceStore(const SqliteTraceStore&) = delete;
  SqliteTraceStore& operator=(const SqliteTraceStore&) = delete;

  // As TraceStore::insert; returns once the entry's transaction has committed (see Durability).
  // A failing commit (Io: disk full, lock timeout, ...) fails every entry of its batch with the
  // same error and writes none of them; a Conflict fails only its own entry.
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
  // The counters above (all zero for a store opened read_only).
  [[nodiscard]] SqliteTraceStoreStats stats() const;

 private:
  struct Impl;
  explicit SqliteTraceStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;  // provides its own synchronization
};

}  // namespace traverse
