#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <utility>

#include "insert_checks.hpp"
#include "sqlite_support.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/trace/sqlite_trace_store.hpp"
#include "traverse/trace/trace_store.hpp"
#include "traverse/trace/workflow_run_store.hpp"

namespace traverse {

namespace {

using trace_internal::Connection;
using trace_internal::Statement;

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
  bool read_only = false;
  bool has_table = true;  // false: a read-only file from before the run table existed
  std::mutex write_mutex;
  Connection writer;  // guarded by write_mutex; empty when read_only
  std::mutex read_mutex;
  Connection reader;  // guarded by read_mutex

  [[nodiscard]] std::expected<Statement, TraceError> prepare(sqlite3* db,
                                                             std::string_view sql) const {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    Statement owned(stmt);
    if (rc != SQLITE_OK) {
      return std::unexpected(trace_internal::sqlite_error(path, db, "prepare statement", rc));
    }
    return owned;
  }
};

std::expected<std::unique_ptr<SqliteWorkflowRunStore>, TraceError> SqliteWorkflowRunStore::open(
    const std::filesystem::path& path, SqliteWorkflowRunStoreOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->read_only = options.read_only;
  // Create or check the trace schema first (it includes the run table): the run table lives in a
  // trace database, and the checks on open (schema, integrity, writability) are the same.
  {
    SqliteTraceStoreOptions trace_options;
    trace_options.busy_timeout = options.busy_timeout;
    trace_options.read_only = options.read_only;
    trace_options.open_check_max_bytes = options.open_check_max_bytes;
    auto traces = SqliteTraceStore::open(path, trace_options);
    if (!traces) {
      return std::unexpected(traces.error());
    }
  }
  // Read-write unless read_only (it only ever runs SELECTs): the last connection to close
  // checkpoints and removes the WAL, which a read-only connection cannot do.
  auto reader = trace_internal::open_connection(path, options.read_only, options.busy_timeout);
  if (!reader) {
    return std::unexpected(reader.error());
  }
  impl->reader = std::move(*reader);
  if (options.read_only) {
    auto tables = trace_internal::query_int(
        path, impl->reader.get(),
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
        "'traverse_workflow_runs'",
        "read schema");
    if (!tables) {
      return std::unexpected(tables.error());
    }
    impl->has_table = *tables != 0;
  } else {
    auto writer = trace_internal::open_connection(path, /*read_only=*/false, options.busy_timeout);
    if (!writer) {
      return std::unexpected(writer.error());
    }
    impl->writer = std::move(*writer);
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
  if (auto checked = trace_internal::check_run_record(record); !checked) {
    return checked;
  }
  if (impl_->read_only) {
    return std::unexpected(TraceError{TraceErrorKind::Io, "trace database " + impl_->path.string() +
                                                              " is open read-only; cannot record "
                                                              "workflow run '" +
                                                              record.run_id + "'"});
  }
  const std::string json = canonical_dump(to_json(record));
  std::lock_guard lock(impl_->write_mutex);
  sqlite3* db = impl_->writer.get();
  auto stmt = impl_->prepare(
      db, "INSERT INTO traverse_workflow_runs (run_id, trace_id, record_json) VALUES (?1, ?2, ?3)");
  if (!stmt) {
    return std::unexpected(stmt.error());
  }
  sqlite3_bind_text(stmt->get(), 1, record.run_id.data(), static_cast<int>(record.run_id.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt->get(), 2, record.trace_id.data(),
                    static_cast<int>(record.trace_id.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt->get(), 3, json.data(), static_cast<int>(json.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_DONE) {
    return {};
  }
  if ((rc & 0xFF) == SQLITE_CONSTRAINT) {
    return std::unexpected(TraceError{TraceErrorKind::Conflict, "workflow run '" + record.run_id +
                                                                    "' (trace '" + record.trace_id +
                                                                    "') already exists in " +
                                                                    impl_->path.string()});
  }
  return std::unexpected(trace_internal::sqlite_error(
      impl_->path, db, "insert workflow run '" + record.run_id + "'", rc));
}

std::expected<WorkflowRunRecord, TraceError> SqliteWorkflowRunStore::get(
    std::string_view id) const {
  std::string text;
  std::string seq;
  {
    std::lock_guard lock(impl_->read_mutex);
    if (!impl_->has_table) {
      return std::unexpected(TraceError{TraceErrorKind::NotFound,
                                        "no workflow run with id '" + std::string(id) + "'"});
    }
    sqlite3* db = impl_->reader.get();
    auto stmt = impl_->prepare(
        db,
        "SELECT seq, record_json FROM traverse_workflow_runs WHERE run_id = ?1 OR trace_id = ?1 "
        "ORDER BY seq LIMIT 1");
    if (!stmt) {
      return std::unexpected(stmt.error());
    }
    sqlite3_bind_text(stmt->get(), 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(stmt->get());
    if (rc == SQLITE_DONE) {
      return std::unexpected(TraceError{TraceErrorKind::NotFound,
                                        "no workflow run with id '" + std::string(id) + "'"});
    }
    if (rc != SQLITE_ROW) {
      return std::unexpected(
          trace_internal::sqlite_error(impl_->path, db, "read workflow run", rc));
    }
    seq = std::to_string(sqlite3_column_int64(stmt->get(), 0));
    text = trace_internal::column_text(stmt->get(), 1);
  }
  // Decoded outside the lock.
  // parse_json, like every document reader: depth and memory bounded, duplicate keys refused.
  auto json = parse_json(text);
  if (!json) {
    return std::unexpected(corrupt("trace database " + impl_->path.string() +
                                   ": workflow run row " + seq +
                                   " is not JSON: " + json.error().message()));
  }
  auto record = workflow_run_record_from_json(*json);
  if (!record) {
    return std::unexpected(corrupt("trace database " + impl_->path.string() +
                                   ": workflow run row " + seq + " " + record.error().message()));
  }
  return record;
}

}  // namespace traverse
