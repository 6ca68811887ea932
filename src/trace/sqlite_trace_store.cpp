#include "traverse/trace/sqlite_trace_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <limits>
#include <mutex>
#include <utility>

#include "insert_checks.hpp"

namespace traverse {

namespace {

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
CREATE INDEX traverse_traces_run ON traverse_traces(workflow_run_id, step_index, seq);
CREATE INDEX traverse_traces_time ON traverse_traces(time_ms, seq);
PRAGMA user_version = 1;
)sql";

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

// A prepared statement, reset after every use (RAII).
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

std::string column_text(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (text == nullptr)
    return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

std::int64_t clamp_i64(std::size_t value) {
  return value > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : static_cast<std::int64_t>(value);
}

}  // namespace

struct SqliteTraceStore::Impl {
  std::filesystem::path path;
  SqliteTraceStoreOptions options;

  mutable std::mutex mutex;
  // State below is protected by mutex (the connection is opened SQLITE_OPEN_NOMUTEX).
  sqlite3* db = nullptr;
  Statement insert_stmt;
  Statement get_stmt;
  Statement run_stmt;
  mutable std::array<Statement, kFilterCombinations> list_stmts;
  mutable std::array<Statement, kFilterCombinations> count_stmts;

  ~Impl() {
    insert_stmt = Statement();
    get_stmt = Statement();
    run_stmt = Statement();
    for (auto& s : list_stmts)
      s = Statement();
    for (auto& s : count_stmts)
      s = Statement();
    sqlite3_close(db);
  }

  [[nodiscard]] TraceError error(std::string_view what, int code) const {
    const int primary = code & 0xFF;
    TraceErrorKind kind = TraceErrorKind::Io;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
      kind = TraceErrorKind::Corrupt;
    const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    return TraceError{kind,
                      "trace database " + path.string() + ": " + std::string(what) + ": " + detail};
  }

  [[nodiscard]] std::expected<Statement, TraceError> prepare(const std::string& sql) const {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return std::unexpected(error("prepare statement", rc));
    }
    return Statement(stmt);
  }

  [[nodiscard]] std::expected<void, TraceError> exec(const char* sql, std::string_view what) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    sqlite3_free(message);
    if (rc != SQLITE_OK)
      return std::unexpected(error(what, rc));
    return {};
  }

  [[nodiscard]] std::expected<std::int64_t, TraceError> query_int(const char* sql,
                                                                  std::string_view what) {
    auto stmt = prepare(sql);
    if (!stmt)
      return std::unexpected(stmt.error());
    const int rc = sqlite3_step(stmt->get());
    if (rc == SQLITE_ROW)
      return sqlite3_column_int64(stmt->get(), 0);
    if (rc == SQLITE_DONE)
      return 0;
    return std::unexpected(error(what, rc));
  }

  [[nodiscard]] std::expected<PublicTraceEntry, TraceError> decode_public(const std::string& text,
                                                                          std::int64_t seq) const {
    Value json = Value::parse(text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      return std::unexpected(TraceError{TraceErrorKind::Corrupt,
                                        "trace database " + path.string() + ": row " +
                                            std::to_string(seq) + " public_json is not JSON"});
    }
    auto entry = public_trace_entry_from_json(json);
    if (!entry) {
      return std::unexpected(
          TraceError{TraceErrorKind::Corrupt, "trace database " + path.string() + ": row " +
                                                  std::to_string(seq) + " public_json " +
                                                  entry.error().message});
    }
    return entry;
  }

  [[nodiscard]] std::expected<PrivateTraceEntry, TraceError> decode_private(
      const std::string& text, std::int64_t seq) const {
    Value json = Value::parse(text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      return std::unexpected(TraceError{TraceErrorKind::Corrupt,
                                        "trace database " + path.string() + ": row " +
                                            std::to_string(seq) + " private_json is not JSON"});
    }
    auto entry = private_trace_entry_from_json(json);
    if (!entry) {
      return std::unexpected(
          TraceError{TraceErrorKind::Corrupt, "trace database " + path.string() + ": row " +
                                                  std::to_string(seq) + " private_json " +
                                                  entry.error().message});
    }
    return entry;
  }

  // REQUIRES: mutex held. Statement for `mask` from `cache`, prepared on first use.
  [[nodiscard]] std::expected<sqlite3_stmt*, TraceError> cached(
      std::array<Statement, kFilterCombinations>& cache, unsigned mask, bool count) const {
    Statement& slot = cache[mask];
    if (!slot) {
      std::string sql = count ? std::string("SELECT COUNT(*) FROM ") + kTable
                              : std::string("SELECT seq, public_json FROM ") + kTable;
      sql += where_clause(mask);
      if (!count)
        sql += " ORDER BY seq LIMIT :limit OFFSET :offset";
      auto stmt = prepare(sql);
      if (!stmt)
        return std::unexpected(stmt.error());
      slot = std::move(*stmt);
    }
    return slot.get();
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
};

std::expected<std::unique_ptr<SqliteTraceStore>, TraceError> SqliteTraceStore::open(
    const std::filesystem::path& path, SqliteTraceStoreOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr);
  if (rc != SQLITE_OK) {
    TraceError e = impl->error("open", rc);
    e.kind = TraceErrorKind::Io;
    return std::unexpected(std::move(e));
  }
  sqlite3_extended_result_codes(impl->db, 1);
  const auto busy_ms = options.busy_timeout.count();
  sqlite3_busy_timeout(impl->db, busy_ms > std::numeric_limits<int>::max()
                                     ? std::numeric_limits<int>::max()
                                     : static_cast<int>(std::max<std::int64_t>(busy_ms, 0)));

  // Read the schema version before changing anything: a newer file is left untouched.
  auto version = impl->query_int("PRAGMA user_version", "read schema version");
  if (!version)
    return std::unexpected(version.error());
  if (*version > kTraceSchemaVersion) {
    return std::unexpected(TraceError{
        TraceErrorKind::SchemaTooNew,
        "trace database " + path.string() + " has schema version " + std::to_string(*version) +
            "; this build of Traverse C++ supports up to " + std::to_string(kTraceSchemaVersion)});
  }
  if (*version < 0) {
    return std::unexpected(TraceError{TraceErrorKind::Corrupt, "trace database " + path.string() +
                                                                   " has invalid schema version " +
                                                                   std::to_string(*version)});
  }
  auto has_table = impl->query_int(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'traverse_traces'",
      "read schema");
  if (!has_table)
    return std::unexpected(has_table.error());
  if (*version == 0) {
    auto tables = impl->query_int("SELECT COUNT(*) FROM sqlite_master", "read schema");
    if (!tables)
      return std::unexpected(tables.error());
    if (*tables != 0) {
      return std::unexpected(TraceError{TraceErrorKind::Corrupt,
                                        "trace database " + path.string() +
                                            ": an SQLite database that is not a Traverse trace "
                                            "database (schema version 0 with existing tables)"});
    }
  } else if (*has_table == 0) {
    return std::unexpected(
        TraceError{TraceErrorKind::Corrupt, "trace database " + path.string() +
                                                ": schema version " + std::to_string(*version) +
                                                " but table traverse_traces is missing"});
  }

  if (auto ok = impl->exec("PRAGMA journal_mode = WAL", "enable WAL"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = impl->exec(
          options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
          "set synchronous");
      !ok) {
    return std::unexpected(ok.error());
  }
  if (*version == 0) {
    if (auto ok = impl->exec("BEGIN IMMEDIATE", "begin schema creation"); !ok) {
      return std::unexpected(ok.error());
    }
    // Another process may have created the schema between the check and the lock.
    auto again = impl->query_int("PRAGMA user_version", "read schema version");
    if (!again) {
      (void)impl->exec("ROLLBACK", "rollback");
      return std::unexpected(again.error());
    }
    if (*again == 0) {
      if (auto ok = impl->exec(kCreateSchema, "create schema"); !ok) {
        (void)impl->exec("ROLLBACK", "rollback");
        return std::unexpected(ok.error());
      }
    }
    if (auto ok = impl->exec("COMMIT", "commit schema creation"); !ok) {
      (void)impl->exec("ROLLBACK", "rollback");
      return std::unexpected(ok.error());
    }
  }

  auto insert = impl->prepare(
      "INSERT INTO traverse_traces (id, capability_id, outcome, workflow_run_id, step_index, "
      "time_ms, public_json, private_json) VALUES (:id, :cap, :outcome, :run, :step, :time, "
      ":public, :private)");
  if (!insert)
    return std::unexpected(insert.error());
  impl->insert_stmt = std::move(*insert);
  auto get =
      impl->prepare("SELECT seq, public_json, private_json FROM traverse_traces WHERE id = :id");
  if (!get)
    return std::unexpected(get.error());
  impl->get_stmt = std::move(*get);
  auto run = impl->prepare(
      "SELECT seq, public_json FROM traverse_traces WHERE workflow_run_id = :run "
      "ORDER BY step_index IS NULL, step_index, seq");
  if (!run)
    return std::unexpected(run.error());
  impl->run_stmt = std::move(*run);
  return std::unique_ptr<SqliteTraceStore>(new SqliteTraceStore(std::move(impl)));
}

SqliteTraceStore::SqliteTraceStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteTraceStore::~SqliteTraceStore() = default;

bool SqliteTraceStore::keeps_payloads() const {
  return impl_->options.keep_payloads;
}
const std::filesystem::path& SqliteTraceStore::path() const {
  return impl_->path;
}

std::expected<void, TraceError> SqliteTraceStore::insert(
    PublicTraceEntry public_entry, std::optional<PrivateTraceEntry> private_entry) {
  auto time_ms =
      trace_internal::check_insert(public_entry, private_entry, impl_->options.keep_payloads);
  if (!time_ms)
    return std::unexpected(time_ms.error());
  // Serialise outside the lock.
  const std::string public_json = canonical_dump(to_json(public_entry));
  std::optional<std::string> private_json;
  if (private_entry)
    private_json = canonical_dump(to_json(*private_entry));

  std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* stmt = impl_->insert_stmt.get();
  StatementUse use(stmt);
  bind_text(stmt, ":id", public_entry.id);
  bind_text(stmt, ":cap", public_entry.capability_id);
  bind_text(stmt, ":outcome", to_string(public_entry.outcome));
  if (public_entry.workflow_run_id)
    bind_text(stmt, ":run", *public_entry.workflow_run_id);
  if (public_entry.step_index) {
    bind_int(stmt, ":step",
             static_cast<std::int64_t>(std::min<std::uint64_t>(
                 *public_entry.step_index,
                 static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))));
  }
  bind_int(stmt, ":time", *time_ms);
  bind_text(stmt, ":public", public_json);
  if (private_json)
    bind_text(stmt, ":private", *private_json);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE)
    return {};
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return std::unexpected(TraceError{
        TraceErrorKind::Conflict,
        "trace entry '" + public_entry.id + "' already exists in " + impl_->path.string()});
  }
  return std::unexpected(impl_->error("insert trace entry '" + public_entry.id + "'", rc));
}

std::expected<TraceRecord, TraceError> SqliteTraceStore::get(std::string_view id) const {
  std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* stmt = impl_->get_stmt.get();
  StatementUse use(stmt);
  bind_text(stmt, ":id", id);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) {
    return std::unexpected(
        TraceError{TraceErrorKind::NotFound, "no trace entry with id '" + std::string(id) + "'"});
  }
  if (rc != SQLITE_ROW)
    return std::unexpected(impl_->error("read trace entry", rc));
  const std::int64_t seq = sqlite3_column_int64(stmt, 0);
  auto pub = impl_->decode_public(column_text(stmt, 1), seq);
  if (!pub)
    return std::unexpected(pub.error());
  TraceRecord record{std::move(*pub), std::nullopt};
  if (sqlite3_column_type(stmt, 2) != SQLITE_NULL) {
    auto priv = impl_->decode_private(column_text(stmt, 2), seq);
    if (!priv)
      return std::unexpected(priv.error());
    record.private_entry = std::move(*priv);
  }
  return record;
}

std::expected<std::vector<PublicTraceEntry>, TraceError> SqliteTraceStore::list_public(
    const TraceQuery& query) const {
  std::vector<PublicTraceEntry> result;
  std::lock_guard lock(impl_->mutex);
  auto stmt = impl_->cached(impl_->list_stmts, filter_mask(query), /*count=*/false);
  if (!stmt)
    return std::unexpected(stmt.error());
  StatementUse use(*stmt);
  Impl::bind_filters(*stmt, query);
  bind_int(*stmt, ":limit", query.limit ? clamp_i64(*query.limit) : -1);
  bind_int(*stmt, ":offset", clamp_i64(query.offset));
  for (;;) {
    const int rc = sqlite3_step(*stmt);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW)
      return std::unexpected(impl_->error("list trace entries", rc));
    auto entry = impl_->decode_public(column_text(*stmt, 1), sqlite3_column_int64(*stmt, 0));
    if (!entry)
      return std::unexpected(entry.error());
    result.push_back(std::move(*entry));
  }
  return result;
}

std::expected<std::vector<PublicTraceEntry>, TraceError> SqliteTraceStore::list_run(
    std::string_view workflow_run_id) const {
  std::vector<PublicTraceEntry> result;
  std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* stmt = impl_->run_stmt.get();
  StatementUse use(stmt);
  bind_text(stmt, ":run", workflow_run_id);
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW)
      return std::unexpected(impl_->error("list workflow run", rc));
    auto entry = impl_->decode_public(column_text(stmt, 1), sqlite3_column_int64(stmt, 0));
    if (!entry)
      return std::unexpected(entry.error());
    result.push_back(std::move(*entry));
  }
  return result;
}

std::expected<std::size_t, TraceError> SqliteTraceStore::count(const TraceQuery& query) const {
  std::lock_guard lock(impl_->mutex);
  auto stmt = impl_->cached(impl_->count_stmts, filter_mask(query), /*count=*/true);
  if (!stmt)
    return std::unexpected(stmt.error());
  StatementUse use(*stmt);
  Impl::bind_filters(*stmt, query);
  const int rc = sqlite3_step(*stmt);
  if (rc != SQLITE_ROW)
    return std::unexpected(impl_->error("count trace entries", rc));
  return static_cast<std::size_t>(sqlite3_column_int64(*stmt, 0));
}

}  // namespace traverse
