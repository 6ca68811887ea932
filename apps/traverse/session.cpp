#include "session.hpp"

#include <algorithm>
#include <system_error>
#include <utility>

#include "traverse/contracts/event_contract.hpp"
#include "traverse/contracts/runtime_request.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/registry/artifact_reference.hpp"
#include "traverse/wasm/wasm_executor.hpp"

namespace traverse::cli {
namespace {

ExitCode registration_failure_code(const ValidationErrors& errors, const std::string& file) {
  for (const auto& error : errors) {
    if (error.kind() == ValidationErrorKind::Conflict) {
      return ExitCode::RegistrationConflict;
    }
  }
  return load_failure_code(errors, file);
}

// Every trace database problem is one exit code (4), whatever the command; a path that is not a
// file is a usage error.
CommandFailure trace_failure(const TraceError& error, const std::filesystem::path& path) {
  const ExitCode code =
      error.kind() == TraceErrorKind::InvalidArgument ? ExitCode::Usage : ExitCode::IoError;
  return failure(code, "TraceDatabase" + std::string(to_string(error.kind())), error.message(),
                 path.string());
}

}  // namespace

std::string trace_db_help(bool creates) {
  return std::string(creates ? "SQLite trace database (created with its folder if absent; traces "
                               "persist across invocations). Default: "
                             : "SQLite trace database written by earlier runs (never created "
                               "here). Default: ") +
         kDefaultTraceDb;
}

std::string check_trace_db(const std::string& value) {
  if (value.empty()) {
    return "an empty trace database path is refused; give a file name (or leave --trace-db out "
           "for the default " +
           std::string(kDefaultTraceDb) + ")";
  }
  if (value == ":memory:") {
    return "\":memory:\" is refused: an in-memory trace database loses every trace when the "
           "command ends; give a file name";
  }
  return {};
}

// ---- StepObserver ----

StepObserver::StepObserver(CliContext* context, bool keep_events, std::size_t max_events)
    : context_(context), keep_events_(keep_events), max_events_(max_events) {}

void StepObserver::started(const StepRequest& request) {
  std::lock_guard lock(mutex_);
  running_.insert(request.node_id);
  show_locked();
}

void StepObserver::finished(const StepRequest& request,
                            const std::expected<StepOutcome, StepFailure>& result) {
  std::lock_guard lock(mutex_);
  running_.erase(request.node_id);
  ++completed_;
  if (keep_events_ && result) {
    for (const auto& event : result->emitted_events) {
      if (events_.size() < max_events_) {
        events_.push_back(ObservedEvent{request.step_index, request.node_id, event});
      }
    }
  }
  show_locked();
}

void StepObserver::show_locked() {
  if (context_ == nullptr || !context_->progress_enabled()) {
    return;
  }
  std::string text = "workflow: " + std::to_string(completed_) + " step(s) done";
  if (!running_.empty()) {
    text += ", running";
    for (const auto& node : running_) {
      text += " " + node;
    }
  }
  context_->progress(text);
}

std::vector<ObservedEvent> StepObserver::events() const {
  std::lock_guard lock(mutex_);
  std::vector<ObservedEvent> events = events_;
  std::stable_sort(
      events.begin(), events.end(),
      [](const ObservedEvent& a, const ObservedEvent& b) { return a.step_index < b.step_index; });
  return events;
}

void StepObserver::done() {
  std::lock_guard lock(mutex_);
  if (context_ != nullptr) {
    context_->clear_progress();
  }
}

// ---- Opening ----

std::expected<Session, CommandFailure> open_session(const std::string& trace_db,
                                                    std::shared_ptr<StepObserver> observer,
                                                    const SessionOptions& options) {
  Session session;
  session.trace_db =
      std::filesystem::path(trace_db.empty() ? std::string(kDefaultTraceDb) : trace_db);
  session.observer = observer ? std::move(observer) : std::make_shared<StepObserver>(nullptr, true);
  if (const auto folder = session.trace_db.parent_path(); !folder.empty()) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) {
      return std::unexpected(failure(
          ExitCode::IoError, "IoError",
          "cannot create the trace database folder " + folder.string() + ": " + error.message(),
          session.trace_db.string()));
    }
  }
  if (const std::string refused = check_trace_db(trace_db); !trace_db.empty() && !refused.empty()) {
    return std::unexpected(
        failure(ExitCode::Usage, "InvalidTraceDatabase", refused, session.trace_db.string()));
  }
  // Opening for writing checks the file (schema, integrity, one committed write): a database that
  // cannot record traces fails here, before any capability runs.
  auto traces = SqliteTraceStore::open(session.trace_db);
  if (!traces) {
    return std::unexpected(trace_failure(traces.error(), session.trace_db));
  }
  session.traces = std::move(*traces);
  // The trace store has just checked the file's integrity.
  auto runs = SqliteWorkflowRunStore::open(session.trace_db, {.open_check_max_bytes = 0});
  if (!runs) {
    return std::unexpected(trace_failure(runs.error(), session.trace_db));
  }
  session.runs = std::move(*runs);

  TraverseRuntime::Builder builder;
  builder.with_trace_store(session.traces);
  builder.with_schema_profile(options.schema_profile);
  if (options.wasm_workers && find_wasm_worker()) {
    WasmExecutorConfig config;
    config.worker_count = std::clamp<std::size_t>(*options.wasm_workers, 1, 64);
    config.max_queued_calls = options.wasm_queue;
    builder.with_wasm_config(std::move(config));
  }
  builder.with_workflow_run_store(session.runs);
  builder.with_step_observer(session.observer);
  if (options.remote) {
    builder.with_remote_execution(options.remote, options.remote_only);
  }
  auto runtime = builder.build();
  if (!runtime) {
    return std::unexpected(failure(ExitCode::ExecutionFailed, "RuntimeBuildFailed",
                                   "cannot start the runtime: " + runtime.error().to_string()));
  }
  session.runtime = std::move(*runtime);
  return session;
}

std::expected<TraceDatabase, CommandFailure> open_trace_database(const std::string& trace_db) {
  TraceDatabase database;
  database.path = std::filesystem::path(trace_db.empty() ? std::string(kDefaultTraceDb) : trace_db);
  std::error_code error;
  if (!std::filesystem::is_regular_file(database.path, error)) {
    return std::unexpected(
        failure(ExitCode::IoError, "IoError",
                "no trace database at " + database.path.string() +
                    " (it is created by the first `traverse run`, `workflow run` or `package run`; "
                    "choose another with --trace-db)",
                database.path.string()));
  }
  if (const std::string refused = check_trace_db(trace_db); !trace_db.empty() && !refused.empty()) {
    return std::unexpected(
        failure(ExitCode::Usage, "InvalidTraceDatabase", refused, database.path.string()));
  }
  // Read-only: no schema, journal mode or WAL index writes, so a read-only file or folder works.
  SqliteTraceStoreOptions read_only;
  read_only.read_only = true;
  auto traces = SqliteTraceStore::open(database.path, read_only);
  if (!traces) {
    return std::unexpected(trace_failure(traces.error(), database.path));
  }
  database.traces = std::move(*traces);
  auto runs = SqliteWorkflowRunStore::open(database.path, {.read_only = true});
  if (!runs) {
    return std::unexpected(trace_failure(runs.error(), database.path));
  }
  database.runs = std::move(*runs);
  return database;
}

// ---- Artifacts ----

std::expected<void, CommandFailure> load_bundle_and_packages(
    CliContext& context, TraverseRuntime& runtime, const std::string& bundle_path,
    const std::vector<std::string>& package_paths) {
  const std::vector<std::filesystem::path> packages(package_paths.begin(), package_paths.end());
  auto loaded = runtime.load_bundle(bundle_path, packages);
  if (!loaded) {
    const std::string& file = loaded.error().empty() || loaded.error().front().file().empty()
                                  ? bundle_path
                                  : loaded.error().front().file();
    return std::unexpected(
        CommandFailure{registration_failure_code(loaded.error(), file), std::move(loaded.error())});
  }
  for (const CapabilityRegistrationResult& registered : loaded->capabilities) {
    const ArtifactReference& artifact = registered.record->artifact;
    if (artifact.kind == ArtifactKind::Wasm) {
      context.note("registered " + artifact.wasm_path.string() + " (" + artifact.wasm_digest +
                   ") as " + registered.record->key());
    }
  }
  return {};
}

std::expected<CapabilityRecordPtr, CommandFailure> register_package_file(
    TraverseRuntime& runtime, const std::string& manifest) {
  auto registered = runtime.register_package(manifest);
  if (!registered) {
    return std::unexpected(CommandFailure{registration_failure_code(registered.error(), manifest),
                                          std::move(registered.error())});
  }
  return registered->record;
}

std::expected<void, CommandFailure> register_event_files(TraverseRuntime& runtime,
                                                         const std::vector<std::string>& files) {
  std::vector<EventContract> contracts;
  for (const auto& file : files) {
    auto contract = load_event_contract(file);
    if (!contract) {
      auto errors = std::move(contract.error());
      attach_file(errors, file);
      return std::unexpected(CommandFailure{load_failure_code(errors, file), std::move(errors)});
    }
    contracts.push_back(std::move(*contract));
  }
  for (std::size_t i = 0; i < contracts.size(); ++i) {
    if (auto registered = runtime.register_event(contracts[i]); !registered) {
      return std::unexpected(failure(ExitCode::RegistrationConflict, "EventTypeConflict",
                                     registered.error().message(), files[i], "$.id"));
    }
  }
  return {};
}

std::expected<RuntimeRequest, CommandFailure> read_runtime_request(const std::string& file) {
  auto request = load_runtime_request(file);
  if (!request) {
    auto errors = std::move(request.error());
    attach_file(errors, file);
    return std::unexpected(CommandFailure{load_failure_code(errors, file), std::move(errors)});
  }
  return std::move(*request);
}

std::expected<Value, CommandFailure> read_json_input(const std::string& file) {
  auto value = parse_json_file(file);
  if (!value) {
    const JsonParseError::Kind kind = value.error().kind();
    const bool io = kind == JsonParseError::Kind::Io;
    const bool too_large =
        kind == JsonParseError::Kind::TooLarge || kind == JsonParseError::Kind::OverBudget;
    return std::unexpected(
        failure(io ? ExitCode::IoError : ExitCode::ValidationFailed,
                io ? "IoError" : (too_large ? "DocumentTooLarge" : "InvalidJson"),
                value.error().message(), file));
  }
  return std::move(*value);
}

// ---- Exit codes ----

ExitCode exit_code_for(RuntimeErrorKind kind) {
  switch (kind) {
    case RuntimeErrorKind::RequestInvalid:
    case RuntimeErrorKind::CapabilityNotFound:
    case RuntimeErrorKind::CapabilityAmbiguous:
    case RuntimeErrorKind::ContractViolation:
    case RuntimeErrorKind::WorkflowInvalid:
      return ExitCode::ValidationFailed;
    case RuntimeErrorKind::TraceWriteFailed:
      return ExitCode::IoError;
    case RuntimeErrorKind::CapabilityNotRunnable:
    case RuntimeErrorKind::PlacementUnsupported:
    case RuntimeErrorKind::ArtifactMissing:
    case RuntimeErrorKind::ExecutionFailed:
    case RuntimeErrorKind::OutputValidationFailed:
    case RuntimeErrorKind::WorkflowFailed:
      return ExitCode::ExecutionFailed;
  }
  return ExitCode::ExecutionFailed;
}

}  // namespace traverse::cli
