#include "traverse/trace/sqlite_trace_store.hpp"

#include <linux/futex.h>
#include <sqlite3.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "insert_checks.hpp"
#include "sqlite_support.hpp"
#include "traverse/json/parse.hpp"

namespace traverse {

namespace {

using trace_internal::column_text;
using trace_internal::Connection;
using trace_internal::sqlite_error;
using trace_internal::Statement;
using trace_internal::StatementUse;

constexpr const char* kTable = "traverse_traces";

constexpr const char* kCreateSchema = R"sql(
CREATE TABLE traverse_traces (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  capability_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  workflow_run_id TEXT,
  step_index INTEGER,
  time_ms INTEGER NOT NULL,
  public_json TEXT NOT NULL,
  private_json TEXT
);
CREATE INDEX traverse_traces_capability ON traverse_traces(capability_id, seq);
CREATE INDEX traverse_traces_time ON traverse_traces(time_ms, seq);
)sql";

// Only workflow steps and runs have a run id, and only queries naming a run use this index
// (`workflow_run_id = :run` implies NOT NULL, so SQLite's planner takes the partial index). Left
// out for the other entries, an insert writes one page fewer to the WAL (6.7 → 5.6 pages measured:
// the row's, one per index including the id's, the header page and page splits). Files written
// before carry the full index; opening them for writing replaces it (ensure_partial_run_index),
// and an older binary reads and writes either form.
constexpr const char* kCreateRunIndex =
    "CREATE INDEX traverse_traces_run ON traverse_traces(workflow_run_id, step_index, seq) "
    "WHERE workflow_run_id IS NOT NULL";
constexpr const char* kRunIndexIsPartial =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'traverse_traces_run' "
    "AND sql LIKE '%WHERE workflow_run_id IS NOT NULL'";

// Filter bits of a TraceQuery; one prepared statement per combination, built on first use.
enum FilterBit : unsigned {
  kCapability = 1U << 0U,
  kOutcome = 1U << 1U,
  kRun = 1U << 2U,
  kFrom = 1U << 3U,
  kTo = 1U << 4U,
};
constexpr std::size_t kFilterCombinations = 1U << 5U;

unsigned filter_mask(const TraceQuery& q) {
  unsigned mask = 0;
  if (q.capability_id)
    mask |= kCapability;
  if (q.outcome)
    mask |= kOutcome;
  if (q.workflow_run_id)
    mask |= kRun;
  if (q.from)
    mask |= kFrom;
  if (q.to)
    mask |= kTo;
  return mask;
}

std::string where_clause(unsigned mask) {
  std::string sql = " WHERE 1";
  if (mask & kCapability)
    sql += " AND capability_id = :cap";
  if (mask & kOutcome)
    sql += " AND outcome = :outcome";
  if (mask & kRun)
    sql += " AND workflow_run_id = :run";
  if (mask & kFrom)
    sql += " AND time_ms >= :from";
  if (mask & kTo)
    sql += " AND time_ms < :to";
  return sql;
}

void bind_text(sqlite3_stmt* stmt, const char* name, std::string_view text) {
  const int index = sqlite3_bind_parameter_index(stmt, name);
  if (index > 0) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
}

void bind_int(sqlite3_stmt* stmt, const char* name, std::int64_t value) {
  const int index = sqlite3_bind_parameter_index(stmt, name);
  if (index > 0)
    sqlite3_bind_int64(stmt, index, value);
}

std::int64_t clamp_i64(std::size_t value) {
  return value > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : static_cast<std::int64_t>(value);
}

TraceError corrupt_row(const std::filesystem::path& path, std::int64_t seq, const char* column,
                       const std::string& what) {
  return TraceError{TraceErrorKind::Corrupt, "trace database " + path.string() + ": row " +
                                                 std::to_string(seq) + " " + column + " " + what};
}

std::expected<PublicTraceEntry, TraceError> decode_public(const std::filesystem::path& path,
                                                          const std::string& text,
                                                          std::int64_t seq) {
  // parse_json, like every document reader: depth and memory bounded, duplicate keys refused.
  auto json = parse_json(text);
  if (!json)
    return std::unexpected(
        corrupt_row(path, seq, "public_json", "is not JSON: " + json.error().message()));
  auto entry = public_trace_entry_from_json(*json);
  if (!entry)
    return std::unexpected(corrupt_row(path, seq, "public_json", entry.error().message()));
  return entry;
}

std::expected<PrivateTraceEntry, TraceError> decode_private(const std::filesystem::path& path,
                                                            const std::string& text,
                                                            std::int64_t seq) {
  // parse_json, like every document reader: depth and memory bounded, duplicate keys refused.
  auto json = parse_json(text);
  if (!json)
    return std::unexpected(
        corrupt_row(path, seq, "private_json", "is not JSON: " + json.error().message()));
  auto entry = private_trace_entry_from_json(*json);
  if (!entry)
    return std::unexpected(corrupt_row(path, seq, "private_json", entry.error().message()));
  return entry;
}

std::expected<Statement, TraceError> prepare(const std::filesystem::path& path, sqlite3* db,
                                             const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  Statement owned(stmt);
  if (rc != SQLITE_OK)
    return std::unexpected(sqlite_error(path, db, "prepare statement", rc));
  return owned;
}

// WAL checkpoints run on a thread of their own, not in the committing leader (whose batch, and
// every insert queued behind it, would wait for the copy and its fsyncs): after a commit that
// leaves at least kCheckpointFrames frames in the WAL, the checkpointer copies them back
// (PASSIVE: it never blocks the writer). Under a steady stream of commits a background checkpoint
// rarely catches the last frame, and only a complete one lets the next commit restart the WAL
// from its beginning; so at kInlineCheckpointFrames (64 MiB with 4 KiB pages) the leader
// checkpoints itself, copying what the checkpointer has not, and the WAL stays bounded there.
// Every inserting thread waits for that checkpoint (its fsyncs take milliseconds), so the bound
// is high: under a steady stream of inserts from eight threads, 4096 frames (16 MiB) stopped them
// four times as often and cost about 5% of the throughput (bench/runtime_bench.cpp). A WAL that
// grew this large is reused from its beginning, and removed when the last connection closes.
// Each background round costs two fsyncs whatever it copies, and competes with a lone inserting
// thread for the disk: started at 1,024 frames and repeated every 256, the rounds made
// `traverse run --repeat` slower than no background checkpoints at all; from 4,096 frames and
// every 1,024 it is as fast as before, and eight inserting threads keep their gain.
constexpr int kCheckpointFrames = 4096;
constexpr int kInlineCheckpointFrames = 16384;
// Frames appended since the checkpointer was last asked before it is asked again. Asked after
// every commit, it woke for a few pages at a time and took checkpoint_mutex just as the next
// commit wanted it (`traverse run --repeat` made 2.1 futex calls a run).
constexpr int kCheckpointStride = 1024;

// Most yields of a group-commit leader waiting for other inserts to join its batch.
constexpr int kJoinYields = 8;
// How long an insert waiting for its batch's commit polls before it sleeps on its futex.
constexpr std::chrono::microseconds kWaitPoll{100};

// Rows read under a reader connection, decoded after it is released.
struct RawRow {
  std::int64_t seq = 0;
  std::string public_json;
  std::optional<std::string> private_json;
};

// One reader connection and its statements (prepared on first use). Members are destroyed in
// reverse order: the statements before their connection.
struct Reader {
  Connection connection;
  Statement get_stmt;
  Statement run_stmt;
  std::array<Statement, kFilterCombinations> list_stmts;
  std::array<Statement, kFilterCombinations> count_stmts;
};

constexpr std::uint32_t kWaiting = 0;
constexpr std::uint32_t kLeading = 1;
constexpr std::uint32_t kDone = 2;

// One insert waiting for its group commit. Lives on the inserting thread's stack until done.
struct PendingInsert {
  const PublicTraceEntry* entry = nullptr;
  std::int64_t time_ms = 0;
  const std::string* public_json = nullptr;
  const std::string* private_json = nullptr;  // null: no private entry
  bool written = false;                       // inserted into the open transaction
  bool committed = false;                     // its transaction committed: result is final
  std::expected<void, TraceError> result;
  // kWaiting until the leader of its batch sets kDone (after writing result) or makes it the
  // next leader (kLeading). Waited on with a futex, not a condition variable: the waiter needs
  // no mutex to learn its result, so the leader wakes it after releasing queue_mutex.
  std::atomic<std::uint32_t> state{kWaiting};
};

// Blocks while `word` holds `expected` (spurious wakes are re-checked by the caller).
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected,
                nullptr, nullptr, 0);
}

// Sets `word` to `value` and wakes its waiter. The waiter may return, and its stack frame holding
// `word` be reused, between the store and the wake: waking an address nobody waits on does
// nothing, and a futex waiter that now uses the address re-checks its own word (spurious wake).
void futex_set_and_wake(std::atomic<std::uint32_t>& word, std::uint32_t value) {
  auto* address = reinterpret_cast<std::uint32_t*>(&word);
  word.store(value, std::memory_order_release);
  (void)syscall(SYS_futex, address, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

struct SqliteTraceStore::Impl {
  std::filesystem::path path;
  SqliteTraceStoreOptions options;

  // The writer connection and its statements: used only by the group-commit leader (the thread
  // whose insert is at queue.front()), one at a time. Empty when read_only.
  Connection writer;
  Statement insert_stmt;
  Statement begin_stmt;
  Statement commit_stmt;
  Statement rollback_stmt;
  std::vector<PendingInsert*> batch;  // the leader's batch, reserved to max_batch at open
  int checkpoint_asked_at = 0;        // WAL frames when the checkpointer was last asked (on_commit)

  std::mutex queue_mutex;
  std::deque<PendingInsert*> queue;  // guarded by queue_mutex: inserts waiting, oldest first
  std::thread::id last_leader;       // guarded by queue_mutex: the thread of the last commit
  // Inserts between their start and their queueing (encoding JSON): a leader that sees some lets
  // them join its batch (PostgreSQL's commit_siblings idea), bounded to a few yields.
  std::atomic<std::size_t> encoding{0};

  // The checkpointer: its own connection and thread (none when read_only). Stopped and joined by
  // ~Impl before any connection closes.
  Connection checkpoint_connection;
  std::thread checkpointer;
  std::mutex checkpoint_mutex;
  std::condition_variable checkpoint_cv;
  bool checkpoint_wanted = false;   // guarded by checkpoint_mutex
  bool checkpoint_running = false;  // guarded by checkpoint_mutex
  bool stopping = false;            // guarded by checkpoint_mutex

  // SqliteTraceStoreStats, counted as the work happens.
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> committed_entries{0};
  std::atomic<std::uint64_t> background_checkpoints{0};
  std::atomic<std::uint64_t> background_checkpointed_frames{0};
  std::atomic<std::uint64_t> inline_checkpoints{0};

  std::mutex readers_mutex;
  std::condition_variable readers_cv;
  // Guarded by readers_mutex.
  std::vector<std::unique_ptr<Reader>> idle_readers;
  std::size_t open_readers = 0;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (checkpointer.joinable()) {
      {
        std::lock_guard lock(checkpoint_mutex);
        stopping = true;
      }
      checkpoint_cv.notify_all();
      checkpointer.join();
    }
  }

  [[nodiscard]] TraceError error(std::string_view what, int rc) const {
    return sqlite_error(path, writer.get(), what, rc);
  }

  // ---- checkpoints ----

  // The writer's WAL hook (replaces SQLite's autocheckpoint), called after each commit.
  static int on_commit(void* self, sqlite3* db, const char* name, int frames) {
    auto* impl = static_cast<Impl*>(self);
    if (frames >= kInlineCheckpointFrames) {
      // Only a checkpoint with no commit after it lets the WAL restart; while this leader is
      // here nobody in this process commits. Wait for a running background round (it holds
      // the checkpoint lock, so this one would only get SQLITE_BUSY), then finish the job.
      {
        std::unique_lock lock(impl->checkpoint_mutex);
        impl->checkpoint_wanted = false;
        impl->checkpoint_cv.wait(lock, [&] { return !impl->checkpoint_running; });
      }
      (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      impl->inline_checkpoints.fetch_add(1, std::memory_order_relaxed);
    } else if (frames < kCheckpointFrames) {
      impl->checkpoint_asked_at = 0;  // the WAL restarted (or has not grown yet)
    } else if (frames - impl->checkpoint_asked_at >= kCheckpointStride) {
      impl->checkpoint_asked_at = frames;
      bool wake = false;
      {
        std::lock_guard lock(impl->checkpoint_mutex);
        wake = !impl->checkpoint_wanted;
        impl->checkpoint_wanted = true;
      }
      if (wake)
        impl->checkpoint_cv.notify_all();
    }
    return SQLITE_OK;
  }

  void run_checkpointer() {
    std::unique_lock lock(checkpoint_mutex);
    for (;;) {
      checkpoint_cv.wait(lock, [&] { return checkpoint_wanted || stopping; });
      if (stopping)
        return;
      checkpoint_wanted = false;
      checkpoint_running = true;
      lock.unlock();
      // A failure (busy, I/O) leaves the frames in the WAL: the next commit asks again, and the
      // inline bound above keeps the WAL from growing without end.
      int checkpointed = 0;
      if (sqlite3_wal_checkpoint_v2(checkpoint_connection.get(), "main", SQLITE_CHECKPOINT_PASSIVE,
                                    nullptr, &checkpointed) == SQLITE_OK &&
          checkpointed > 0) {
        background_checkpoints.fetch_add(1, std::memory_order_relaxed);
        background_checkpointed_frames.fetch_add(static_cast<std::uint64_t>(checkpointed),
                                                 std::memory_order_relaxed);
      }
      lock.lock();
      checkpoint_running = false;
      checkpoint_cv.notify_all();  // a leader may wait for this round (on_commit)
    }
  }

  // ---- readers ----

  // A reader connection for the lease's lifetime, returned to the pool on destruction.
  class Lease {
   public:
    Lease(Impl& impl, std::unique_ptr<Reader> reader) : impl_(&impl), reader_(std::move(reader)) {}
    Lease(Lease&& other) noexcept
        : impl_(other.impl_), reader_(std::exchange(other.reader_, nullptr)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (reader_)
        impl_->release(std::move(reader_));
    }
    Reader& operator*() const { return *reader_; }
    Reader* operator->() const { return reader_.get(); }

   private:
    Impl* impl_;
    std::unique_ptr<Reader> reader_;
  };

  void release(std::unique_ptr<Reader> reader) {
    {
      std::lock_guard lock(readers_mutex);
      idle_readers.push_back(std::move(reader));
    }
    readers_cv.notify_one();
  }

  [[nodiscard]] std::expected<Lease, TraceError> acquire_reader() {
    auto fresh = std::make_unique<Reader>();
    {
      std::unique_lock lock(readers_mutex);
      readers_cv.wait(lock, [&] {
        return !idle_readers.empty() ||
               open_readers < std::max<std::size_t>(options.max_readers, 1);
      });
      if (!idle_readers.empty()) {
        auto reader = std::move(idle_readers.back());
        idle_readers.pop_back();
        return Lease(*this, std::move(reader));
      }
      ++open_readers;
    }
    // Opening touches the disk: outside the lock, the slot reserved above. A writing store's
    // readers open read-write (they only ever run SELECTs): whichever connection closes last
    // checkpoints the WAL and removes it, which a read-only connection cannot do.
    auto connection =
        trace_internal::open_connection(path, options.read_only, options.busy_timeout);
    if (!connection) {
      {
        std::lock_guard lock(readers_mutex);
        --open_readers;
      }
      readers_cv.notify_one();
      return std::unexpected(connection.error());
    }
    fresh->connection = std::move(*connection);
    return Lease(*this, std::move(fresh));
  }

  [[nodiscard]] std::expected<sqlite3_stmt*, TraceError> reader_statement(Statement& slot,
                                                                          sqlite3* db,
                                                                          const std::string& sql) {
    if (!slot) {
      auto stmt = prepare(path, db, sql);
      if (!stmt)
        return std::unexpected(stmt.error());
      slot = std::move(*stmt);
    }
    return slot.get();
  }

  [[nodiscard]] std::expected<sqlite3_stmt*, TraceError> filtered(Reader& reader, unsigned mask,
                                                                  bool count) {
    Statement& slot = (count ? reader.count_stmts : reader.list_stmts)[mask];
    if (slot)
      return slot.get();
    std::string sql = count ? std::string("SELECT COUNT(*) FROM ") + kTable
                            : std::string("SELECT seq, public_json FROM ") + kTable;
    sql += where_clause(mask);
    if (!count)
      sql += " ORDER BY seq LIMIT :limit OFFSET :offset";
    return reader_statement(slot, reader.connection.get(), sql);
  }

  static void bind_filters(sqlite3_stmt* stmt, const TraceQuery& q) {
    if (q.capability_id)
      bind_text(stmt, ":cap", *q.capability_id);
    if (q.outcome)
      bind_text(stmt, ":outcome", to_string(*q.outcome));
    if (q.workflow_run_id)
      bind_text(stmt, ":run", *q.workflow_run_id);
    if (q.from)
      bind_int(stmt, ":from", trace_internal::to_millis(*q.from));
    if (q.to)
      bind_int(stmt, ":to", trace_internal::to_millis(*q.to));
  }

  // Steps `stmt` to the end, keeping (seq, public_json) of every row.
  [[nodiscard]] std::expected<std::vector<RawRow>, TraceError> collect(sqlite3_stmt* stmt,
                                                                       sqlite3* db,
                                                                       std::string_view what) {
    std::vector<RawRow> rows;
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE)
        return rows;
      if (rc != SQLITE_ROW)
        return std::unexpected(sqlite_error(path, db, what, rc));
      rows.push_back(RawRow{sqlite3_column_int64(stmt, 0), column_text(stmt, 1), std::nullopt});
    }
  }

  [[nodiscard]] std::expected<std::vector<PublicTraceEntry>, TraceError> decode_rows(
      std::vector<RawRow>& rows) const {
    std::vector<PublicTraceEntry> result;
    result.reserve(rows.size());
    for (auto& row : rows) {
      auto entry = decode_public(path, row.public_json, row.seq);
      if (!entry)
        return std::unexpected(entry.error());
      result.push_back(std::move(*entry));
    }
    return result;
  }

  // ---- the writer ----

  // Writes the batch in one transaction. Every entry's result is set: success only once the
  // transaction committed; Conflict for a duplicate id (that statement alone is rolled back);
  // otherwise the error that failed the transaction.
  void commit_batch(std::size_t n) {
    int rc = sqlite3_step(begin_stmt.get());
    if (rc != SQLITE_DONE) {
      TraceError failed = error("begin transaction", rc);
      sqlite3_reset(begin_stmt.get());
      fail_batch(n, failed);
      return;
    }
    sqlite3_reset(begin_stmt.get());
    sqlite3_stmt* stmt = insert_stmt.get();
    for (std::size_t i = 0; i < n; ++i) {
      PendingInsert& p = *batch[i];
      const PublicTraceEntry& e = *p.entry;
      StatementUse use(stmt);
      sqlite3_bind_text(stmt, 1, e.id.data(), static_cast<int>(e.id.size()), SQLITE_STATIC);
      sqlite3_bind_text(stmt, 2, e.capability_id.data(), static_cast<int>(e.capability_id.size()),
                        SQLITE_STATIC);
      const std::string_view outcome = to_string(e.outcome);
      sqlite3_bind_text(stmt, 3, outcome.data(), static_cast<int>(outcome.size()), SQLITE_STATIC);
      if (e.workflow_run_id) {
        sqlite3_bind_text(stmt, 4, e.workflow_run_id->data(),
                          static_cast<int>(e.workflow_run_id->size()), SQLITE_STATIC);
      }
      if (e.step_index) {
        sqlite3_bind_int64(stmt, 5,
                           static_cast<std::int64_t>(std::min<std::uint64_t>(
                               *e.step_index, static_cast<std::uint64_t>(
                                                  std::numeric_limits<std::int64_t>::max()))));
      }
      sqlite3_bind_int64(stmt, 6, p.time_ms);
      sqlite3_bind_text(stmt, 7, p.public_json->data(), static_cast<int>(p.public_json->size()),
                        SQLITE_STATIC);
      if (p.private_json != nullptr) {
        sqlite3_bind_text(stmt, 8, p.private_json->data(), static_cast<int>(p.private_json->size()),
                          SQLITE_STATIC);
      }
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) {
        p.written = true;
      } else if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        p.result = std::unexpected(
            TraceError{TraceErrorKind::Conflict,
                       "trace entry '" + e.id + "' already exists in " + path.string()});
      } else {
        TraceError failed = error("insert trace entry '" + e.id + "'", rc);
        rollback();
        fail_batch(n, failed);
        return;
      }
    }
    rc = sqlite3_step(commit_stmt.get());
    if (rc != SQLITE_DONE) {
      TraceError failed = error("commit", rc);
      sqlite3_reset(commit_stmt.get());
      rollback();
      fail_batch(n, failed);
      return;
    }
    sqlite3_reset(commit_stmt.get());
    std::uint64_t committed = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (batch[i]->written) {
        batch[i]->result = {};
        batch[i]->committed = true;
        ++committed;
      }
    }
    commits.fetch_add(1, std::memory_order_relaxed);
    committed_entries.fetch_add(committed, std::memory_order_relaxed);
  }

  void rollback() {
    if (sqlite3_get_autocommit(writer.get()) == 0) {
      (void)sqlite3_step(rollback_stmt.get());
      sqlite3_reset(rollback_stmt.get());
    }
  }

  // Every entry of the batch that is not a Conflict fails with `e` (nothing of it was written).
  void fail_batch(std::size_t n, const TraceError& e) {
    for (std::size_t i = 0; i < n; ++i) {
      PendingInsert& p = *batch[i];
      if (p.written || p.result.has_value() ||
          p.result.error().kind() != TraceErrorKind::Conflict) {
        p.written = false;
        p.result = std::unexpected(e);
      }
    }
  }

  // ---- opening ----

  [[nodiscard]] std::expected<void, TraceError> open_reader_only();
  [[nodiscard]] std::expected<void, TraceError> open_writer();
  [[nodiscard]] std::expected<void, TraceError> check_integrity();
  [[nodiscard]] std::expected<void, TraceError> create_or_check_schema();
  [[nodiscard]] std::expected<void, TraceError> ensure_partial_run_index();
};

namespace {

TraceError schema_too_new(const std::filesystem::path& path, std::int64_t version) {
  return TraceError{TraceErrorKind::SchemaTooNew,
                    "trace database " + path.string() + " has schema version " +
                        std::to_string(version) + "; this build of Traverse C++ supports up to " +
                        std::to_string(kTraceSchemaVersion) + " (upgrade Traverse C++ to use it)"};
}

TraceError invalid_version(const std::filesystem::path& path, std::int64_t version) {
  return TraceError{
      TraceErrorKind::Corrupt,
      "trace database " + path.string() + " has invalid schema version " + std::to_string(version)};
}

// The single-row text result of `sql` (a pragma), retried while another connection holds a lock.
std::expected<std::string, TraceError> pragma_text_retrying(const std::filesystem::path& path,
                                                            sqlite3* db, const char* sql,
                                                            std::string_view what,
                                                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
    const Statement stmt(raw);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_ROW)
        return column_text(stmt.get(), 0);
    }
    if (!trace_internal::is_busy(rc) || std::chrono::steady_clock::now() + pause > deadline)
      return std::unexpected(sqlite_error(path, db, what, rc));
    // Another connection, maybe another process, holds the lock and cannot signal us.
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(32));
  }
}

}  // namespace

std::expected<void, TraceError> SqliteTraceStore::Impl::open_reader_only() {
  auto connection = trace_internal::open_connection(path, /*read_only=*/true, options.busy_timeout);
  if (!connection)
    return std::unexpected(connection.error());
  sqlite3* db = connection->get();
  auto version = trace_internal::query_int(path, db, "PRAGMA user_version", "read schema version");
  if (!version)
    return std::unexpected(version.error());
  if (*version > kTraceSchemaVersion)
    return std::unexpected(schema_too_new(path, *version));
  if (*version < 0)
    return std::unexpected(invalid_version(path, *version));
  auto has_table = trace_internal::query_int(
      path, db,
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'traverse_traces'",
      "read schema");
  if (!has_table)
    return std::unexpected(has_table.error());
  if (*has_table == 0 || *version == 0) {
    return std::unexpected(TraceError{
        TraceErrorKind::Corrupt,
        "trace database " + path.string() +
            ": not a Traverse trace database (no traverse_traces table at schema version " +
            std::to_string(*version) + ")"});
  }
  auto reader = std::make_unique<Reader>();
  reader->connection = std::move(*connection);
  std::lock_guard lock(readers_mutex);
  idle_readers.push_back(std::move(reader));
  open_readers = 1;
  return {};
}

std::expected<void, TraceError> SqliteTraceStore::Impl::check_integrity() {
  if (options.open_check_max_bytes == 0)
    return {};
  // The check walks every page in one step of SQLite's VM (no progress callback can stop it), so
  // it is bounded by the size of what it walks.
  std::error_code ignored;
  std::uintmax_t bytes = std::filesystem::file_size(path, ignored);
  if (ignored)
    bytes = 0;
  const auto wal = std::filesystem::file_size(path.string() + "-wal", ignored);
  if (!ignored)
    bytes += wal;
  if (bytes > options.open_check_max_bytes)
    return {};
  sqlite3* db = writer.get();
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &raw, nullptr);
  const Statement stmt(raw);
  std::string verdict = "ok";
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_ROW)
      verdict = column_text(stmt.get(), 0);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return std::unexpected(error("check integrity", rc));
  if (verdict != "ok") {
    for (char& c : verdict) {
      if (c == '\n')
        c = ' ';
    }
    return std::unexpected(TraceError{
        TraceErrorKind::Corrupt,
        "trace database " + path.string() + " is damaged (PRAGMA quick_check: " + verdict +
            "); refusing to record traces in it. Move it aside (Traverse then creates a new one) "
            "and salvage what is readable with `sqlite3 <file> .recover`"});
  }
  return {};
}

// REQUIRES: the schema check's write transaction is open.
std::expected<void, TraceError> SqliteTraceStore::Impl::ensure_partial_run_index() {
  sqlite3* db = writer.get();
  auto partial = trace_internal::query_int(path, db, kRunIndexIsPartial, "read schema");
  if (!partial)
    return std::unexpected(partial.error());
  if (*partial == 1)
    return {};
  // A file written before the index was partial (or without it): build the partial one. This
  // reads the table once, in the same transaction as the rest of the schema check.
  if (auto ok = trace_internal::exec(path, db, "DROP INDEX IF EXISTS traverse_traces_run",
                                     "replace run index");
      !ok)
    return ok;
  return trace_internal::exec(path, db, kCreateRunIndex, "create run index");
}

std::expected<void, TraceError> SqliteTraceStore::Impl::create_or_check_schema() {
  sqlite3* db = writer.get();
  // One write transaction checks and creates: concurrent openers of a new file see either no
  // schema or all of it, and the first to hold the lock creates it.
  if (auto ok = trace_internal::exec_retrying(path, db, "BEGIN IMMEDIATE", "begin schema check",
                                              options.busy_timeout);
      !ok)
    return ok;
  auto run = [&]() -> std::expected<void, TraceError> {
    auto version =
        trace_internal::query_int(path, db, "PRAGMA user_version", "read schema version");
    if (!version)
      return std::unexpected(version.error());
    if (*version > kTraceSchemaVersion)
      return std::unexpected(schema_too_new(path, *version));
    if (*version < 0)
      return std::unexpected(invalid_version(path, *version));
    auto tables = trace_internal::query_int(
        path, db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'", "read schema");
    if (!tables)
      return std::unexpected(tables.error());
    auto has_table = trace_internal::query_int(
        path, db,
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'traverse_traces'",
        "read schema");
    if (!has_table)
      return std::unexpected(has_table.error());
    if (*version == 0) {
      if (*tables != 0) {
        return std::unexpected(
            TraceError{TraceErrorKind::Corrupt,
                       "trace database " + path.string() +
                           ": an SQLite database that is not a Traverse trace database (schema "
                           "version 0 with existing tables); choose another file"});
      }
      if (auto ok = trace_internal::exec(path, db, kCreateSchema, "create schema"); !ok)
        return ok;
    } else if (*has_table == 0) {
      return std::unexpected(
          TraceError{TraceErrorKind::Corrupt, "trace database " + path.string() +
                                                  ": schema version " + std::to_string(*version) +
                                                  " but table traverse_traces is missing"});
    }
    if (auto ok = ensure_partial_run_index(); !ok)
      return ok;
    if (auto ok = trace_internal::exec(path, db, trace_internal::kCreateRunTable,
                                       "create workflow run table");
        !ok)
      return ok;
    // Also the write probe: every open for writing commits one page, so a file that cannot be
    // written (read-only, disk full) is refused here, before anything runs.
    if (auto ok = trace_internal::exec(path, db, "PRAGMA user_version = 1", "write schema version");
        !ok)
      return ok;
    return trace_internal::exec(path, db, "COMMIT", "commit schema");
  };
  auto done = run();
  if (!done)
    rollback();
  return done;
}

std::expected<void, TraceError> SqliteTraceStore::Impl::open_writer() {
  auto connection =
      trace_internal::open_connection(path, /*read_only=*/false, options.busy_timeout);
  if (!connection)
    return std::unexpected(connection.error());
  writer = std::move(*connection);
  sqlite3* db = writer.get();
  if (sqlite3_db_readonly(db, "main") == 1) {
    return std::unexpected(sqlite_error(path, db, "open for writing", SQLITE_READONLY));
  }
  // Inspect before changing anything: a newer file is left untouched.
  auto version = trace_internal::query_int(path, db, "PRAGMA user_version", "read schema version");
  if (!version)
    return std::unexpected(version.error());
  if (*version > kTraceSchemaVersion)
    return std::unexpected(schema_too_new(path, *version));
  if (auto ok = check_integrity(); !ok)
    return ok;
  // SQLite does not call the busy handler for the journal mode switch: retry it ourselves.
  auto mode = pragma_text_retrying(path, db, "PRAGMA journal_mode = WAL", "enable WAL",
                                   options.busy_timeout);
  if (!mode)
    return std::unexpected(mode.error());
  if (*mode != "wal") {
    return std::unexpected(TraceError{
        TraceErrorKind::Io, "trace database " + path.string() +
                                ": enable WAL: the file system kept journal mode '" + *mode + "'"});
  }
  if (auto ok = trace_internal::exec(
          path, db,
          options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
          "set synchronous");
      !ok)
    return ok;
  if (auto ok = create_or_check_schema(); !ok)
    return ok;
  // Checkpoints run on the checkpointer's connection (see kCheckpointFrames); the hook replaces
  // SQLite's autocheckpoint on the writer.
  auto checkpoint =
      trace_internal::open_connection(path, /*read_only=*/false, options.busy_timeout);
  if (!checkpoint)
    return std::unexpected(checkpoint.error());
  checkpoint_connection = std::move(*checkpoint);
  // A connection learns that the file is in WAL mode only when it first reads it; until then
  // sqlite3_wal_checkpoint_v2 on it returns SQLITE_OK having done nothing (its log and checkpoint
  // counts are -1), and every checkpoint fell to the committing leader at the WAL's bound, with
  // all inserts waiting. One read puts it in WAL mode.
  if (auto read = trace_internal::query_int(path, checkpoint_connection.get(),
                                            "PRAGMA schema_version", "read schema version");
      !read)
    return std::unexpected(read.error());
  sqlite3_wal_hook(db, &Impl::on_commit, this);
  checkpointer = std::thread([this] { run_checkpointer(); });

  auto insert = prepare(
      path, db,
      "INSERT INTO traverse_traces (id, capability_id, outcome, workflow_run_id, step_index, "
      "time_ms, public_json, private_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!insert)
    return std::unexpected(insert.error());
  insert_stmt = std::move(*insert);
  for (auto [sql, slot] :
       {std::pair{"BEGIN IMMEDIATE", &begin_stmt}, std::pair{"COMMIT", &commit_stmt},
        std::pair{"ROLLBACK", &rollback_stmt}}) {
    auto stmt = prepare(path, db, sql);
    if (!stmt)
      return std::unexpected(stmt.error());
    *slot = std::move(*stmt);
  }
  batch.reserve(std::max<std::size_t>(options.max_batch, 1));
  return {};
}

std::expected<std::unique_ptr<SqliteTraceStore>, TraceError> SqliteTraceStore::open(
    const std::filesystem::path& path, SqliteTraceStoreOptions options) {
  if (auto ok = trace_internal::check_database_path(path); !ok)
    return std::unexpected(ok.error());
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  auto opened = options.read_only ? impl->open_reader_only() : impl->open_writer();
  if (!opened)
    return std::unexpected(opened.error());
  return std::unique_ptr<SqliteTraceStore>(new SqliteTraceStore(std::move(impl)));
}

SqliteTraceStore::SqliteTraceStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteTraceStore::~SqliteTraceStore() = default;

bool SqliteTraceStore::keeps_payloads() const {
  return impl_->options.keep_payloads;
}
SqliteTraceStoreStats SqliteTraceStore::stats() const {
  const Impl& impl = *impl_;
  return {impl.commits.load(std::memory_order_relaxed),
          impl.committed_entries.load(std::memory_order_relaxed),
          impl.background_checkpoints.load(std::memory_order_relaxed),
          impl.background_checkpointed_frames.load(std::memory_order_relaxed),
          impl.inline_checkpoints.load(std::memory_order_relaxed)};
}

const std::filesystem::path& SqliteTraceStore::path() const {
  return impl_->path;
}

namespace {

// The result of a completed insert; an entry its batch never decided (the committing thread
// failed with an exception) is reported as not written.
std::expected<void, TraceError> finish(PendingInsert& p, const std::filesystem::path& path) {
  if (p.result.has_value() && !p.committed) {
    return std::unexpected(TraceError{
        TraceErrorKind::Io, "trace database " + path.string() + ": trace entry '" + p.entry->id +
                                "' was not committed (the committing thread failed)"});
  }
  return std::move(p.result);
}

}  // namespace

std::expected<void, TraceError> SqliteTraceStore::insert(
    PublicTraceEntry public_entry, std::optional<PrivateTraceEntry> private_entry) {
  auto time_ms =
      trace_internal::check_insert(public_entry, private_entry, impl_->options.keep_payloads);
  if (!time_ms)
    return std::unexpected(time_ms.error());
  if (impl_->options.read_only) {
    return std::unexpected(TraceError{TraceErrorKind::Io, "trace database " + impl_->path.string() +
                                                              " is open read-only; cannot record "
                                                              "trace entry '" +
                                                              public_entry.id + "'"});
  }
  // Encode before queueing: the JSON work runs in parallel on the inserting threads.
  Impl& impl = *impl_;
  impl.encoding.fetch_add(1, std::memory_order_relaxed);
  struct Encoded {
    std::atomic<std::size_t>& encoding;
    ~Encoded() { encoding.fetch_sub(1, std::memory_order_relaxed); }
  };
  std::string public_json;
  std::optional<std::string> private_json;
  {
    const Encoded encoded{impl.encoding};
    public_json = canonical_dump(to_json(public_entry));
    if (private_entry)
      private_json = canonical_dump(to_json(*private_entry));
  }

  PendingInsert self;
  self.entry = &public_entry;
  self.time_ms = *time_ms;
  self.public_json = &public_json;
  self.private_json = private_json ? &*private_json : nullptr;

  std::unique_lock lock(impl.queue_mutex);
  impl.queue.push_back(&self);
  if (impl.queue.front() != &self) {
    lock.unlock();
    std::uint32_t state = self.state.load(std::memory_order_acquire);
    // A commit takes tens of microseconds; waking from a futex costs about as much again on a
    // virtual machine, on the path of both the waiter and the next leader. So first poll for up
    // to kWaitPoll, yielding the CPU between polls (to the leader, when it needs this CPU);
    // measured with eight inserting threads, `trace_bench` 80k-84k -> 100k-103k inserts/s. When
    // other programs keep the CPUs busy, each yield can cost a scheduler time slice instead
    // (docs/performance.md, "Under CPU contention").
    for (const auto poll_until = std::chrono::steady_clock::now() + kWaitPoll;
         state == kWaiting && std::chrono::steady_clock::now() < poll_until;) {
      std::this_thread::yield();
      state = self.state.load(std::memory_order_acquire);
    }
    while (state == kWaiting) {
      futex_wait(self.state, kWaiting);
      state = self.state.load(std::memory_order_acquire);
    }
    if (state == kDone)
      return finish(self, impl.path);
    lock.lock();  // kLeading: at the front of the queue
  }

  // Leader: commit what is queued (self first), up to max_batch, without holding the lock.
  // A commit costs the same for one entry as for many (its locks and its write), so the leader
  // lets other inserting threads join first: when the previous commit was another thread's
  // (more than one thread inserts) or inserts are still encoding, it yields, for as long as each
  // yield brings someone (at most kJoinYields). On few cores the other callers otherwise only
  // run between commits and every batch holds one entry; a single caller never yields.
  const auto me = std::this_thread::get_id();
  const bool others_insert = impl.last_leader != me;
  impl.last_leader = me;
  std::size_t seen = impl.queue.size();
  for (int i = 0; i < kJoinYields && seen < impl.options.max_batch &&
                  (others_insert || impl.encoding.load(std::memory_order_relaxed) > 0);
       ++i) {
    lock.unlock();
    std::this_thread::yield();
    lock.lock();
    if (impl.queue.size() == seen && impl.encoding.load(std::memory_order_relaxed) == 0)
      break;  // nobody came
    seen = impl.queue.size();
  }
  const std::size_t n =
      std::min(impl.queue.size(), std::max<std::size_t>(impl.options.max_batch, 1));
  impl.batch.assign(impl.queue.begin(), impl.queue.begin() + static_cast<std::ptrdiff_t>(n));
  {
    // Completes the batch whatever happens: dequeues it, wakes its waiters and the next leader.
    struct Complete {
      Impl& impl;
      std::unique_lock<std::mutex>& lock;
      std::size_t n;
      ~Complete() {
        if (!lock.owns_lock())
          lock.lock();
        // Waiters are woken after the lock is released (they need not take it), up to an inline
        // list's worth; the rest of a larger batch under the lock. The first entry is this one.
        std::array<PendingInsert*, 64> finished{};
        std::size_t count = 0;
        for (std::size_t i = 0; i < n; ++i) {
          PendingInsert* p = impl.queue.front();
          impl.queue.pop_front();
          if (i == 0)
            continue;
          if (count < finished.size())
            finished[count++] = p;
          else
            futex_set_and_wake(p->state, kDone);
        }
        PendingInsert* next = impl.queue.empty() ? nullptr : impl.queue.front();
        lock.unlock();
        if (next != nullptr)
          futex_set_and_wake(next->state, kLeading);
        for (std::size_t i = 0; i < count; ++i)
          futex_set_and_wake(finished[i]->state, kDone);
      }
    } complete{impl, lock, n};
    lock.unlock();
    impl.commit_batch(n);
  }
  return finish(self, impl.path);
}

std::expected<TraceRecord, TraceError> SqliteTraceStore::get(std::string_view id) const {
  RawRow row;
  {
    auto reader = impl_->acquire_reader();
    if (!reader)
      return std::unexpected(reader.error());
    sqlite3* db = (*reader)->connection.get();
    auto stmt = impl_->reader_statement(
        (*reader)->get_stmt, db,
        "SELECT seq, public_json, private_json FROM traverse_traces WHERE id = :id");
    if (!stmt)
      return std::unexpected(stmt.error());
    StatementUse use(*stmt);
    bind_text(*stmt, ":id", id);
    const int rc = sqlite3_step(*stmt);
    if (rc == SQLITE_DONE) {
      return std::unexpected(
          TraceError{TraceErrorKind::NotFound, "no trace entry with id '" + std::string(id) + "'"});
    }
    if (rc != SQLITE_ROW)
      return std::unexpected(sqlite_error(impl_->path, db, "read trace entry", rc));
    row.seq = sqlite3_column_int64(*stmt, 0);
    row.public_json = column_text(*stmt, 1);
    if (sqlite3_column_type(*stmt, 2) != SQLITE_NULL)
      row.private_json = column_text(*stmt, 2);
  }
  auto pub = decode_public(impl_->path, row.public_json, row.seq);
  if (!pub)
    return std::unexpected(pub.error());
  TraceRecord record{std::move(*pub), std::nullopt};
  if (row.private_json) {
    auto priv = decode_private(impl_->path, *row.private_json, row.seq);
    if (!priv)
      return std::unexpected(priv.error());
    record.private_entry = std::move(*priv);
  }
  return record;
}

std::expected<std::vector<PublicTraceEntry>, TraceError> SqliteTraceStore::list_public(
    const TraceQuery& query) const {
  std::expected<std::vector<RawRow>, TraceError> rows;
  {
    auto reader = impl_->acquire_reader();
    if (!reader)
      return std::unexpected(reader.error());
    auto stmt = impl_->filtered(**reader, filter_mask(query), /*count=*/false);
    if (!stmt)
      return std::unexpected(stmt.error());
    StatementUse use(*stmt);
    Impl::bind_filters(*stmt, query);
    bind_int(*stmt, ":limit", query.limit ? clamp_i64(*query.limit) : -1);
    bind_int(*stmt, ":offset", clamp_i64(query.offset));
    rows = impl_->collect(*stmt, (*reader)->connection.get(), "list trace entries");
  }
  if (!rows)
    return std::unexpected(rows.error());
  return impl_->decode_rows(*rows);
}

std::expected<std::vector<PublicTraceEntry>, TraceError> SqliteTraceStore::list_run(
    std::string_view workflow_run_id) const {
  std::expected<std::vector<RawRow>, TraceError> rows;
  {
    auto reader = impl_->acquire_reader();
    if (!reader)
      return std::unexpected(reader.error());
    sqlite3* db = (*reader)->connection.get();
    auto stmt = impl_->reader_statement(
        (*reader)->run_stmt, db,
        "SELECT seq, public_json FROM traverse_traces WHERE workflow_run_id = :run "
        "ORDER BY step_index IS NULL, step_index, seq");
    if (!stmt)
      return std::unexpected(stmt.error());
    StatementUse use(*stmt);
    bind_text(*stmt, ":run", workflow_run_id);
    rows = impl_->collect(*stmt, db, "list workflow run");
  }
  if (!rows)
    return std::unexpected(rows.error());
  return impl_->decode_rows(*rows);
}

std::expected<std::size_t, TraceError> SqliteTraceStore::count(const TraceQuery& query) const {
  auto reader = impl_->acquire_reader();
  if (!reader)
    return std::unexpected(reader.error());
  auto stmt = impl_->filtered(**reader, filter_mask(query), /*count=*/true);
  if (!stmt)
    return std::unexpected(stmt.error());
  StatementUse use(*stmt);
  Impl::bind_filters(*stmt, query);
  const int rc = sqlite3_step(*stmt);
  if (rc != SQLITE_ROW)
    return std::unexpected(
        sqlite_error(impl_->path, (*reader)->connection.get(), "count trace entries", rc));
  return static_cast<std::size_t>(sqlite3_column_int64(*stmt, 0));
}

}  // namespace traverse
