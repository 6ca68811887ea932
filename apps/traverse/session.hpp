// apps/traverse/session.hpp — what every executing `traverse` command sets up: the durable trace
// database, a TraverseRuntime writing to it (traces and workflow run evidence: the library
// writes every record), the artifacts named on the command line, and an observer of workflow
// steps (progress on a terminal, the events each step published).
//
// Everything here composes the public library API; nothing executes, registers or records
// itself.
// Thread safety: a Session is used from the main thread; StepObserver is thread-safe (workflow
// steps run on engine helper threads and pool workers).
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "traverse/events/traverse_event.hpp"
#include "traverse/registry/capability_registry.hpp"
#include "traverse/runtime/runtime_result.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/trace/sqlite_trace_store.hpp"
#include "traverse/trace/workflow_run_store.hpp"
#include "traverse/workflow/step_runner.hpp"
#include "traverse/workflow/workflow_run.hpp"

namespace traverse::cli {

// The trace database used when --trace-db is not given (relative to the current folder).
inline constexpr const char* kDefaultTraceDb = ".traverse/traces.db";

// Help text of the --trace-db option of commands that write traces (`creates`: the file and its
// folder are created when absent) or only read them.
[[nodiscard]] std::string trace_db_help(bool creates = true);

// The check of a --trace-db value given on the command line (CLI11 validator): "" when it names a
// file, else why not. "" and ":memory:" are refused (an in-memory database loses every trace and
// an empty name is not the default); a bad value is a usage error (exit 5).
[[nodiscard]] std::string check_trace_db(const std::string& value);

// One event a workflow step published.
struct ObservedEvent {
  std::size_t step_index = 0;
  std::string node_id;
  TraverseEvent event;
};

// Watches workflow steps as they run (the runtime's step observer hook): shows progress on a
// terminal and keeps the events each step published. Thread-safe.
class StepObserver final : public traverse::StepObserver {
 public:
  // `context` (may be null: no progress) must outlive the observer. `keep_events`: remember
  // published events (off for --repeat runs, which would otherwise grow without bound).
  // `max_events`: at most this many published events are remembered (a long-running service
  // keeps runs only: 0).
  StepObserver(CliContext* context, bool keep_events, std::size_t max_events = 65536);

  void started(const StepRequest& request) override;
  void finished(const StepRequest& request,
                const std::expected<StepOutcome, StepFailure>& result) override;

  // Events published so far, by step index then emission order.
  [[nodiscard]] std::vector<ObservedEvent> events() const;
  // Erases the progress line.
  void done();

 private:
  void show_locked();  // REQUIRES: mutex_ held

  CliContext* context_;
  const bool keep_events_;
  const std::size_t max_events_;
  mutable std::mutex mutex_;
  // State below is protected by mutex_.
  std::size_t completed_ = 0;
  std::set<std::string> running_;
  std::vector<ObservedEvent> events_;
};

struct Session {
  std::filesystem::path trace_db;  // as given (or the default), for messages
  std::shared_ptr<SqliteTraceStore> traces;
  std::shared_ptr<SqliteWorkflowRunStore> runs;
  std::shared_ptr<StepObserver> observer;  // never null
  std::unique_ptr<TraverseRuntime> runtime;
};

struct SessionOptions {
  // Sandbox worker processes of the Wasm executor (when its worker executable is found);
  // nullopt: the WasmExecutor default.
  std::optional<std::size_t> wasm_workers;
  // Callers that may wait for a sandbox worker (with wasm_workers).
  std::size_t wasm_queue = 64;
  // --schema-profile (schema_option.hpp).
  SchemaProfile schema_profile = SchemaProfile::Strict;
  // --nats (nats_options.hpp): capabilities placed on cluster nodes; null: local only.
  std::shared_ptr<const RemoteExecution> remote;
  bool remote_only = false;
};

// Opens (creating folder and file) the trace database and builds a runtime that writes its
// traces and workflow run records to it and reports steps to `observer`. The database is proven
// writable and undamaged here, before anything runs.
// Failure: 4 when the database cannot be opened or written (read-only, damaged, locked, disk
// full), 5 for a path that is not a file (":memory:"), 1 when the runtime cannot be built.
[[nodiscard]] std::expected<Session, CommandFailure> open_session(
    const std::string& trace_db, std::shared_ptr<StepObserver> observer,
    const SessionOptions& options = {});

// Opens an existing trace database read-only (list/show): nothing is written, so a read-only
// file or folder works. Failure: 4 when it does not exist or cannot be opened.
struct TraceDatabase {
  std::filesystem::path path;
  std::shared_ptr<SqliteTraceStore> traces;
  std::unique_ptr<SqliteWorkflowRunStore> runs;
};
[[nodiscard]] std::expected<TraceDatabase, CommandFailure> open_trace_database(
    const std::string& trace_db);

// Loads a registry bundle and capability packages into the runtime (TraverseRuntime::load_bundle:
// packages attach to the bundle capability with the same id@version, others become new
// capabilities; all or nothing) and notes what was attached.
// Failure: 4 (a named file is unreadable), 2 (invalid artifacts), 3 (registration conflict).
[[nodiscard]] std::expected<void, CommandFailure> load_bundle_and_packages(
    CliContext& context, TraverseRuntime& runtime, const std::string& bundle,
    const std::vector<std::string>& packages);

// Registers one capability package. Failure as load_bundle_and_packages.
[[nodiscard]] std::expected<CapabilityRecordPtr, CommandFailure> register_package_file(
    TraverseRuntime& runtime, const std::string& manifest);

// Registers event contract files (kind event_contract) in the runtime's event catalog, so the
// events a capability emits with those types can be published. Every file is loaded before any
// is registered. Failure: 4 (a file is unreadable), 2 (an invalid contract), 3 (an event type
// already registered with a different contract).
[[nodiscard]] std::expected<void, CommandFailure> register_event_files(
    TraverseRuntime& runtime, const std::vector<std::string>& files);

// Reads a runtime_request file. Failure: 4 unreadable, 2 invalid.
[[nodiscard]] std::expected<RuntimeRequest, CommandFailure> read_runtime_request(
    const std::string& file);

// Reads a JSON input file. Failure: 4 unreadable, 2 not JSON.
[[nodiscard]] std::expected<Value, CommandFailure> read_json_input(const std::string& file);

// The one table from runtime error kinds to exit codes: 2 when the request, its input or the
// contract is invalid (or nothing matches), 4 when the trace could not be written, else 1.
[[nodiscard]] ExitCode exit_code_for(RuntimeErrorKind kind);

}  // namespace traverse::cli
