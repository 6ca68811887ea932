// traverse/trace/workflow_run_store.hpp — workflow run evidence next to the traces.
//
// The TraceStore keeps one entry per step of a workflow run plus one entry for the run itself;
// the run's traversal evidence (the workflow trace, docs/workflows.md: visited nodes, edges,
// events, wake records, result) is one WorkflowRunRecord per run, kept by a WorkflowRunStore. The
// TraverseRuntime writes one record for every workflow run it starts
// (Builder::with_workflow_run_store; default: an InMemoryWorkflowRunStore). SqliteWorkflowRunStore
// keeps the records in the same SQLite file as a SqliteTraceStore (table `traverse_workflow_runs`),
// so `traverse trace show <run>` can print the evidence of a run recorded by an earlier process.
// Records are immutable once inserted. Thread safety: every implementation is safe for concurrent
// access from many threads without external synchronization.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "traverse/json/value.hpp"
#include "traverse/trace/trace_entry.hpp"
#include "traverse/trace/trace_error.hpp"

namespace traverse {

// One workflow run, as recorded after it finished.
struct WorkflowRunRecord {
  std::string run_id;    // the run's UUID (PublicTraceEntry::workflow_run_id of its steps)
  std::string trace_id;  // the trace id naming the whole run (may equal run_id); unique too
  std::string request_id;
  std::string workflow_id;
  std::string workflow_version;
  // The workflow-backed capability whose execution ran the workflow, when there was one.
  std::optional<std::string> capability_id;
  std::optional<std::string> capability_version;
  TraceOutcome outcome = TraceOutcome::Success;
  std::string time;  // RFC 3339 UTC, when the run started
  std::uint64_t duration_ms = 0;
  Value summary = Value::object();   // the run without evidence (steps, output or error)
  Value evidence = Value::object();  // the workflow traversal evidence

  friend bool operator==(const WorkflowRunRecord&, const WorkflowRunRecord&) = default;
};

// JSON form: {run_id, trace_id, request_id, workflow_id, workflow_version, capability_id?,
// capability_version?, outcome "Success"|"Failure"|"Rejected", time, duration_ms, summary,
// evidence}.
[[nodiscard]] Value to_json(const WorkflowRunRecord& record);
// Parses the JSON written by to_json. Failure: Corrupt naming the JSON path and the expectation.
[[nodiscard]] std::expected<WorkflowRunRecord, TraceError> workflow_run_record_from_json(
    const Value& json);

// Where workflow run records go. Implementations must be thread-safe.
class WorkflowRunStore {
 public:
  virtual ~WorkflowRunStore() = default;
  WorkflowRunStore(const WorkflowRunStore&) = delete;
  WorkflowRunStore& operator=(const WorkflowRunStore&) = delete;

  // Records one run. Success: visible to every later get. Failure (nothing written):
  // InvalidArgument (empty run_id or trace_id, time not RFC 3339), Conflict (a record with this
  // run_id or trace_id exists), CapacityExceeded or Io as the implementation says. Thread-safe.
  [[nodiscard]] virtual std::expected<void, TraceError> insert(const WorkflowRunRecord& record) = 0;

  // The record whose run_id or trace_id is `id`; NotFound if none. Thread-safe.
  [[nodiscard]] virtual std::expected<WorkflowRunRecord, TraceError> get(
      std::string_view id) const = 0;

 protected:
  WorkflowRunStore() = default;
};

struct SqliteWorkflowRunStoreOptions {
  // How long a write waits for another process holding the file's lock before failing with Io.
  std::chrono::milliseconds busy_timeout{5000};
  // Open an existing file for reading only, as SqliteTraceStoreOptions::read_only; insert fails
  // with Io.
  bool read_only = false;
  // As SqliteTraceStoreOptions::open_check_max_bytes (0: no check, e.g. when a SqliteTraceStore
  // of this process has just checked the file).
  std::uint64_t open_check_max_bytes = 32ULL << 20U;
};

// The store owns a writer and a reader connection (reads never wait for a write), closed by the
// destructor.
class SqliteWorkflowRunStore final : public WorkflowRunStore {
 public:
  // Opens (creating if absent) the trace database at `path` and its run table. The file is first
  // opened as a SqliteTraceStore, so it is (or becomes) a valid Traverse trace database.
  // Success: a ready store. Failure: as SqliteTraceStore::open (Io, Corrupt, SchemaTooNew).
  [[nodiscard]] static std::expected<std::unique_ptr<SqliteWorkflowRunStore>, TraceError> open(
      const std::filesystem::path& path, SqliteWorkflowRunStoreOptions options = {});

  ~SqliteWorkflowRunStore() override;
  // The store owns a connection; it cannot be copied or moved.
  SqliteWorkflowRunStore(const SqliteWorkflowRunStore&) = delete;
  SqliteWorkflowRunStore& operator=(const SqliteWorkflowRunStore&) = delete;

  // Records one run. Success: visible to every later get. Failure (nothing written):
  // InvalidArgument (empty run_id or trace_id, time not RFC 3339), Conflict (a record with this
  // run_id or trace_id exists), Io. Thread-safe.
  [[nodiscard]] std::expected<void, TraceError> insert(const WorkflowRunRecord& record) override;

  // The record whose run_id or trace_id is `id`; NotFound if none. Io/Corrupt for a failing
  // file. Thread-safe.
  [[nodiscard]] std::expected<WorkflowRunRecord, TraceError> get(
      std::string_view id) const override;

  [[nodiscard]] const std::filesystem::path& path() const;

 private:
  struct Impl;
  explicit SqliteWorkflowRunStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;  // provides its own synchronization
};

}  // namespace traverse
