// apps/traverse/session.hpp — what every executing `traverse` command sets up: the durable trace
// database, a TraverseRuntime writing to it, the artifacts named on the command line, and an
// observer of workflow steps (progress on a terminal, the events each step published).
//
// Everything here composes the public library API; nothing executes capabilities itself.
// Thread safety: a Session is used from the main thread; StepObserver is thread-safe (workflow
// steps run on engine helper threads and pool workers).
#pragma once

#include <chrono>
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

// One event a workflow step published.
struct ObservedEvent {
  std::size_t step_index = 0;
  std::string node_id;
  TraverseEvent event;
};

// Watches workflow steps as they run: shows progress on a terminal and keeps the events each
// step published. Thread-safe.
class StepObserver {
 public:
  // `context` (may be null: no progress) must outlive the observer. `keep_events`: remember
  // published events (off for --repeat runs, which would otherwise grow without bound).
  // `max_events`: at most this many published events are remembered (a long-running service
  // keeps runs only: 0).
  StepObserver(CliContext* context, bool keep_events, std::size_t max_events = 65536);

  void started(const StepRequest& request);
  void finished(const StepRequest& request, const std::expected<StepOutcome, StepFailure>& result);

  // A workflow-backed capability's run finished (kept when keep_events, at most 64).
  void run_finished(const WorkflowRun& run);
  // The last finished run for `request_id`, if one was kept.
  [[nodiscard]] std::optional<WorkflowRun> run_for(std::string_view request_id) const;
  // The kept run with this run id (concurrent requests may share a request id).
  [[nodiscard]] std::optional<WorkflowRun> run_by_id(std::string_view run_id) const;

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
  std::vector<WorkflowRun> runs_;
};

// A StepRunner that reports every step to an observer around the inner runner.
[[nodiscard]] std::shared_ptr<const StepRunner> observed_step_runner(
    std::shared_ptr<const StepRunner> inner, std::shared_ptr<StepObserver> observer);

struct Session {
  std::filesystem::path trace_db;  // as given (or the default), for messages
  std::shared_ptr<SqliteTraceStore> traces;
  std::unique_ptr<SqliteWorkflowRunStore> runs;
  std::shared_ptr<StepObserver> observer;  // never null
  std::unique_ptr<TraverseRuntime> runtime;
};

struct SessionOptions {
  // Sandbox worker processes of the Wasm executor (when its worker executable is found);
  // nullopt: the WasmExecutor default.
  std::optional<std::size_t> wasm_workers;
  // Callers that may wait for a sandbox worker (with wasm_workers).
  std::size_t wasm_queue = 64;
};

// Opens (creating folder and file) the trace database and builds a runtime that writes to it,
// runs workflow-backed capabilities with the workflow engine, and reports steps to `observer`.
// Failure: 4 when the database cannot be opened, 1 when the runtime cannot be built.
[[nodiscard]] std::expected<Session, CommandFailure> open_session(
    const std::string& trace_db, std::shared_ptr<StepObserver> observer,
    const SessionOptions& options = {});

// Opens an existing trace database for reading (list/show). Failure: 4 when it does not exist
// or cannot be opened.
struct TraceDatabase {
  std::filesystem::path path;
  std::shared_ptr<SqliteTraceStore> traces;
  std::unique_ptr<SqliteWorkflowRunStore> runs;
};
[[nodiscard]] std::expected<TraceDatabase, CommandFailure> open_trace_database(
    const std::string& trace_db);

// Loads a registry bundle into the runtime, attaching each capability package's .wasm to the
// bundle capability with the same id@version (identical contract required; a different one is a
// conflict, exit 3) and registering the other packages as new public capabilities.
// Failure: 4 (a named file is unreadable), 2 (invalid artifacts), 3 (registration conflict).
[[nodiscard]] std::expected<void, CommandFailure> load_bundle_and_packages(
    CliContext& context, TraverseRuntime& runtime, const std::string& bundle,
    const std::vector<std::string>& packages);

// Registers one capability package. Failure as load_bundle_and_packages.
[[nodiscard]] std::expected<CapabilityRecordPtr, CommandFailure> register_package_file(
    TraverseRuntime& runtime, const std::string& manifest);

// Reads a runtime_request file. Failure: 4 unreadable, 2 invalid.
[[nodiscard]] std::expected<RuntimeRequest, CommandFailure> read_runtime_request(
    const std::string& file);

// Reads a JSON input file. Failure: 4 unreadable, 2 not JSON.
[[nodiscard]] std::expected<Value, CommandFailure> read_json_input(const std::string& file);

// Runs a registered workflow ("id" or "id@version") through the runtime's execution path, every
// step reported to the session's observer. The run is returned completed or not.
[[nodiscard]] WorkflowRun run_registered_workflow(Session& session, const std::string& workflow,
                                                  const Value& input,
                                                  const std::string& request_id);

// What identifies a recorded run in the trace database.
struct RunRecording {
  std::string trace_id;  // the run's own trace entry (trace show <trace_id>)
  std::string run_id;
  std::optional<std::string> capability_id;  // the workflow-backed capability, if any
  std::optional<std::string> capability_version;
  std::string execution_id;
  std::chrono::system_clock::time_point started;
  std::uint64_t duration_ms = 0;
};

// Records a finished workflow run: one trace entry for the run itself (workflow_run_id = the run,
// no step index, target "workflow") next to its steps' entries, and its evidence in the run
// store. Failure: the trace error text.
[[nodiscard]] std::expected<void, std::string> record_workflow_run(
    Session& session, const RunRecording& recording, const WorkflowRun& run,
    const std::vector<ObservedEvent>& events);

// Exit code for a runtime error code: 2 when the request or its input is invalid (request_invalid,
// capability_not_found, capability_ambiguous, contract_violation, workflow_invalid), else 1.
[[nodiscard]] ExitCode exit_code_for_runtime_error(std::string_view code);

}  // namespace traverse::cli
