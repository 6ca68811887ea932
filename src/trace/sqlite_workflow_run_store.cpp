#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <utility>

#include "traverse/trace/sqlite_trace_store.hpp"
#include "traverse/trace/trace_store.hpp"
#include "traverse/trace/workflow_run_store.hpp"

namespace traverse {

namespace {

constexpr const char* kCreateRunTable = R"sql(
CREATE TABLE IF NOT EXISTS traverse_workflow_runs (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  trace_id TEXT NOT NULL UNIQUE,
  record_json TEXT NOT NULL
);
)sql";

TraceError corrupt(std::string message) {
  return TraceError{TraceErrorKind::Corrupt, std::move(message)};
}

std::expected<std::string, TraceError> string_field(const Value& json, const char* key,
                                                    bool optional = false) {
  const auto it = json.find(key);
  if (it == json.end()) {
    if (optional) {
      return std::string();
    }
    return std::unexpected(corrupt(std::string("$.") + key + ": expected a string, missing"));
  }
  if (!it->is_string()) {
    return std::unexpected(corrupt(std::string("$.") + key + ": expected a string"));
  }
  return it->get<std::string>();
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (text == nullptr) {
    return {};
  }
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

// Finalises a statement when a use ends, whatever the outcome.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  [[nodiscard]] sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace

Value to_json(const WorkflowRunRecord& record) {
  Value json{{"run_id", record.run_id},
             {"trace_id", record.trace_id},
             {"request_id", record.request_id},
             {"workflow_id", record.workflow_id},
             {"workflow_version", record.workflow_version},
             {"outcome", std::string(to_string(record.outcome))},
             {"time", record.time},
             {"duration_ms", record.duration_ms},
             {"summary", record.summary},
             {"evidence", record.evidence}};
  if (record.capability_id) {
    json["capability_id"] = *record.capability_id;
  }
  if (record.capability_version) {
    json["capability_version"] = *record.capability_version;
  }
  return json;
}

std::expected<WorkflowRunRecord, TraceError> workflow_run_record_from_json(const Value& json) {
  if (!json.is_object()) {
    return std::unexpected(corrupt("$: expected a workflow run record object"));
  }
  WorkflowRunRecord record;
  for (auto [key, target] :
       {std::pair{"run_id", &record.run_id}, std::pair{"trace_id", &record.trace_id},
        std::pair{"request_id", &record.request_id}, std::pair{"workflow_id", &record.workflow_id},
        std::pair{"workflow_version", &record.workflow_version}, std::pair{"time", &record.time}}) {
    auto text = string_field(json, key);
    if (!text) {
      return std::unexpected(text.error());
    }
    *target = std::move(*text);
  }
  for (auto [key, target] : {std::pair{"capability_id", &record.capability_id},
                             std::pair{"capability_version", &record.capability_version}}) {
    if (json.contains(key)) {
      auto text = string_field(json, key);
      if (!text) {
        return std::unexpected(text.error());
      }
      *target = std::move(*text);
    }
  }
  auto outcome_text = string_field(json, "outcome");
  if (!outcome_text) {
    return std::unexpected(outcome_text.error());
  }
  const auto outcome = parse_trace_outcome(*outcome_text);
  if (!outcome) {
    return std::unexpected(corrupt("$.outcome: expected \"Success\", \"Failure\" or \"Rejected\""));
  }
  record.outcome = *outcome;
  const auto duration = json.find("duration_ms");
  if (duration == json.end() || !duration->is_number_unsigned()) {
    return std::unexpected(corrupt("$.duration_ms: expected a non-negative integer"));
  }
  record.duration_ms = duration->get<std::uint64_t>();
  record.summary = json.value("summary", Value::object());
  record.evidence = json.value("evidence", Value::object());
  return record;
}

struct SqliteWorkflowRunStore::Impl {
  std::filesystem::path path;
  mutable std::mutex mutex;
  // State below is protected by mutex (the connection is opened SQLITE_OPEN_NOMUTEX).
  sqlite3* db = nullptr;

  ~Impl() { sqlite3_close(db); }

  [[nodiscard]] TraceError error(std::string_view what, int code) const {
    const int primary = code & 0xFF;
    const TraceErrorKind kind = primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT
                                    ? TraceErrorKind::Corrupt
                                    : TraceErrorKind::Io;
    const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    return TraceError{kind,
                      "trace database " + path.string() + ": " + std::string(what) + ": " + detail};
  }

  [[nodiscard]] std::expected<sqlite3_stmt*, TraceError> prepare(std::string_view sql) const {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return std::unexpected(error("prepare statement", rc));
    }
    return stmt;
  }
};

std::expected<std::unique_ptr<SqliteWorkflowRunStore>, TraceError> SqliteWorkflowRunStore::open(
    const std::filesystem::path& path, SqliteWorkflowRunStoreOptions options) {
  // Create or check the trace schema first: the run table lives in a trace database.
  {
    SqliteTraceStoreOptions trace_options;
    trace_options.busy_timeout = options.busy_timeout;
    auto traces = SqliteTraceStore::open(path, trace_options);
    if (!traces) {
      return std::unexpected(traces.error());
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr);
  if (rc != SQLITE_OK) {
    TraceError e = impl->error("open", rc);
    e.kind = TraceErrorKind::Io;
    return std::unexpected(std::move(e));
  }
  sqlite3_extended_result_codes(impl->db, 1);
  const auto busy_ms =
      std::clamp<std::int64_t>(options.busy_timeout.count(), 0, std::numeric_limits<int>::max());
  sqlite3_busy_timeout(impl->db, static_cast<int>(busy_ms));
  char* message = nullptr;
  const int created = sqlite3_exec(impl->db, kCreateRunTable, nullptr, nullptr, &message);
  sqlite3_free(message);
  if (created != SQLITE_OK) {
    return std::unexpected(impl->error("create workflow run table", created));
  }
  return std::unique_ptr<SqliteWorkflowRunStore>(new SqliteWorkflowRunStore(std::move(impl)));
}

SqliteWorkflowRunStore::SqliteWorkflowRunStore(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
SqliteWorkflowRunStore::~SqliteWorkflowRunStore() = default;

const std::filesystem::path& SqliteWorkflowRunStore::path() const {
  return impl_->path;
}

std::expected<void, TraceError> SqliteWorkflowRunStore::insert(const WorkflowRunRecord& record) {
  if (record.run_id.empty() || record.trace_id.empty()) {
    return std::unexpected(TraceError{TraceErrorKind::InvalidArgument,
                                      "workflow run record $.run_id/$.trace_id: expected "
                                      "non-empty ids"});
  }
  if (!parse_rfc3339(record.time)) {
    return std::unexpected(TraceError{TraceErrorKind::InvalidArgument,
                                      "workflow run record '" + record.run_id +
                                          "' $.time: expected an RFC 3339 timestamp, got \"" +
                                          record.time + "\""});
  }
  const std::string json = canonical_dump(to_json(record));
  std::lock_guard lock(impl_->mutex);
  auto prepared = impl_->prepare(
      "INSERT INTO traverse_workflow_runs (run_id, trace_id, record_json) VALUES (?1, ?2, ?3)");
  if (!prepared) {
    return std::unexpected(prepared.error());
  }
  const Statement stmt(*prepared);
  sqlite3_bind_text(stmt.get(), 1, record.run_id.data(), static_cast<int>(record.run_id.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt.get(), 2, record.trace_id.data(), static_cast<int>(record.trace_id.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt.get(), 3, json.data(), static_cast<int>(json.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) {
    return {};
  }
  if ((rc & 0xFF) == SQLITE_CONSTRAINT) {
    return std::unexpected(TraceError{TraceErrorKind::Conflict, "workflow run '" + record.run_id +
                                                                    "' (trace '" + record.trace_id +
                                                                    "') already exists in " +
                                                                    impl_->path.string()});
  }
  return std::unexpected(impl_->error("insert workflow run '" + record.run_id + "'", rc));
}

std::expected<WorkflowRunRecord, TraceError> SqliteWorkflowRunStore::get(
    std::string_view id) const {
  std::lock_guard lock(impl_->mutex);
  auto prepared = impl_->prepare(
      "SELECT seq, record_json FROM traverse_workflow_runs WHERE run_id = ?1 OR trace_id = ?1 "
      "ORDER BY seq LIMIT 1");
  if (!prepared) {
    return std::unexpected(prepared.error());
  }
  const Statement stmt(*prepared);
  sqlite3_bind_text(stmt.get(), 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) {
    return std::unexpected(
        TraceError{TraceErrorKind::NotFound, "no workflow run with id '" + std::string(id) + "'"});
  }
  if (rc != SQLITE_ROW) {
    return std::unexpected(impl_->error("read workflow run", rc));
  }
  const std::string seq = std::to_string(sqlite3_column_int64(stmt.get(), 0));
  Value json = Value::parse(column_text(stmt.get(), 1), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return std::unexpected(corrupt("trace database " + impl_->path.string() +
                                   ": workflow run row " + seq + " is not JSON"));
  }
  auto record = workflow_run_record_from_json(json);
  if (!record) {
    return std::unexpected(corrupt("trace database " + impl_->path.string() +
                                   ": workflow run row " + seq + " " + record.error().message));
  }
  return record;
}

}  // namespace traverse
