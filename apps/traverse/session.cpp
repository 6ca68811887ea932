#include "session.hpp"

#include <algorithm>
#include <map>
#include <system_error>
#include <utility>

#include "traverse/contracts/capability_package.hpp"
#include "traverse/contracts/registry_bundle.hpp"
#include "traverse/contracts/runtime_request.hpp"
#include "traverse/executor/thread_pool_executor.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/registry/artifact_reference.hpp"
#include "traverse/registry/bundle_registration.hpp"
#include "traverse/runtime/engine_workflow_runner.hpp"
#include "traverse/support/ids.hpp"
#include "traverse/trace/trace_entry.hpp"
#include "traverse/wasm/wasm_executor.hpp"

namespace traverse::cli {
namespace {

class ObservedStepRunner final : public StepRunner {
 public:
  ObservedStepRunner(std::shared_ptr<const StepRunner> inner,
                     std::shared_ptr<StepObserver> observer)
      : inner_(std::move(inner)), observer_(std::move(observer)) {}

  [[nodiscard]] std::expected<StepOutcome, StepFailure> run_step(
      const StepRequest& request) const override {
    observer_->started(request);
    auto result = inner_->run_step(request);
    observer_->finished(request, result);
    return result;
  }

 private:
  std::shared_ptr<const StepRunner> inner_;
  std::shared_ptr<StepObserver> observer_;
};

// Hands every finished run of a workflow-backed capability to the observer.
class ObservedWorkflowRunner final : public WorkflowRunner {
 public:
  ObservedWorkflowRunner(std::shared_ptr<const WorkflowRunner> inner,
                         std::shared_ptr<StepObserver> observer)
      : inner_(std::move(inner)), observer_(std::move(observer)) {}

  [[nodiscard]] WorkflowRun run(const WorkflowInvocation& invocation) const override {
    WorkflowRun run = inner_->run(invocation);
    observer_->run_finished(run);
    return run;
  }

 private:
  std::shared_ptr<const WorkflowRunner> inner_;
  std::shared_ptr<StepObserver> observer_;
};

ExitCode registration_failure_code(const ValidationErrors& errors, const std::string& file) {
  for (const auto& error : errors) {
    if (error.code == "ImmutableVersionConflict" || error.code == "EventTypeConflict" ||
        error.code == "PackageContractConflict") {
      return ExitCode::RegistrationConflict;
    }
  }
  return load_failure_code(errors, file);
}

CommandFailure trace_failure(const TraceError& error, const std::filesystem::path& path) {
  return failure(ExitCode::IoError, "TraceDatabase" + std::string(to_string(error.kind)),
                 error.message, path.string());
}

}  // namespace

std::string trace_db_help(bool creates) {
  return std::string(creates ? "SQLite trace database (created with its folder if absent; traces "
                               "persist across invocations). Default: "
                             : "SQLite trace database written by earlier runs (never created "
                               "here). Default: ") +
         kDefaultTraceDb;
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

void StepObserver::run_finished(const WorkflowRun& run) {
  std::lock_guard lock(mutex_);
  if (!keep_events_) {
    return;
  }
  if (runs_.size() >= 64) {
    runs_.erase(runs_.begin());
  }
  runs_.push_back(run);
}

std::optional<WorkflowRun> StepObserver::run_for(std::string_view request_id) const {
  std::lock_guard lock(mutex_);
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    if (it->request_id == request_id) {
      return *it;
    }
  }
  return std::nullopt;
}

std::optional<WorkflowRun> StepObserver::run_by_id(std::string_view run_id) const {
  std::lock_guard lock(mutex_);
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    if (it->run_id == run_id) {
      return *it;
    }
  }
  return std::nullopt;
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

std::shared_ptr<const StepRunner> observed_step_runner(std::shared_ptr<const StepRunner> inner,
                                                       std::shared_ptr<StepObserver> observer) {
  return std::make_shared<ObservedStepRunner>(std::move(inner), std::move(observer));
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
  auto traces = SqliteTraceStore::open(session.trace_db);
  if (!traces) {
    return std::unexpected(trace_failure(traces.error(), session.trace_db));
  }
  session.traces = std::move(*traces);
  auto runs = SqliteWorkflowRunStore::open(session.trace_db);
  if (!runs) {
    return std::unexpected(trace_failure(runs.error(), session.trace_db));
  }
  session.runs = std::move(*runs);

  TraverseRuntime::Builder builder;
  builder.with_trace_store(session.traces);
  if (options.wasm_workers && find_wasm_worker()) {
    WasmExecutorConfig config;
    config.worker_count = std::clamp<std::size_t>(*options.wasm_workers, 1, 64);
    config.max_queued_calls = options.wasm_queue;
    builder.with_wasm_config(std::move(config));
  }
  builder.with_workflow_runner(
      [observer = session.observer](const WorkflowRunnerDependencies& dependencies)
          -> std::expected<std::shared_ptr<const WorkflowRunner>, std::string> {
        WorkflowRunnerDependencies observed = dependencies;
        observed.step_runner = observed_step_runner(dependencies.step_runner, observer);
        auto runner = EngineWorkflowRunner::create(observed);
        if (!runner) {
          return std::unexpected(runner.error());
        }
        return std::shared_ptr<const WorkflowRunner>(
            std::make_shared<ObservedWorkflowRunner>(std::move(*runner), observer));
      });
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
  auto traces = SqliteTraceStore::open(database.path);
  if (!traces) {
    return std::unexpected(trace_failure(traces.error(), database.path));
  }
  database.traces = std::move(*traces);
  auto runs = SqliteWorkflowRunStore::open(database.path);
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
  if (package_paths.empty()) {
    auto loaded = runtime.load_bundle(bundle_path);
    if (!loaded) {
      return std::unexpected(CommandFailure{registration_failure_code(loaded.error(), bundle_path),
                                            std::move(loaded.error())});
    }
    return {};
  }

  auto bundle = load_registry_bundle(bundle_path);
  if (!bundle) {
    return std::unexpected(
        CommandFailure{load_failure_code(bundle.error(), bundle_path), std::move(bundle.error())});
  }
  // Packages by id@version; two packages for one capability must be the same package.
  std::vector<CapabilityPackage> packages;
  std::map<std::string, std::size_t> by_key;
  for (const auto& path : package_paths) {
    auto package = load_capability_package(path);
    if (!package) {
      return std::unexpected(
          CommandFailure{load_failure_code(package.error(), path), std::move(package.error())});
    }
    const std::string key = package->contract.key();
    if (const auto it = by_key.find(key); it != by_key.end()) {
      const CapabilityPackage& first = packages[it->second];
      if (first.binary_digest != package->binary_digest ||
          canonical_dump(first.contract.document) != canonical_dump(package->contract.document)) {
        return std::unexpected(failure(
            ExitCode::RegistrationConflict, "PackageContractConflict",
            "packages " + first.manifest_path.string() + " and " + path + " both provide " + key +
                " with a different contract or binary; expected one package per capability "
                "version",
            path, "$.capability_ref"));
      }
      continue;
    }
    by_key.emplace(key, packages.size());
    packages.push_back(std::move(*package));
  }

  // Attach: a bundle capability with a package must have the package's exact contract.
  std::map<std::string, const CapabilityPackage*> attached;
  for (std::size_t i = 0; i < bundle->capabilities.size(); ++i) {
    const CapabilityContract& contract = bundle->capabilities[i];
    const auto it = by_key.find(contract.key());
    if (it == by_key.end()) {
      continue;
    }
    const CapabilityPackage& package = packages[it->second];
    if (canonical_dump(package.contract.document) != canonical_dump(contract.document)) {
      const std::string bundle_file = i < bundle->capability_entries.size()
                                          ? bundle->capability_entries[i].path.string()
                                          : bundle_path;
      return std::unexpected(
          failure(ExitCode::RegistrationConflict, "PackageContractConflict",
                  "package " + package.package_id + "@" + package.version + " provides " +
                      contract.key() + " with contract " + package.contract_path.string() +
                      ", which differs from the bundle's contract " + bundle_file +
                      "; an identical contract is required to attach the package's .wasm",
                  package.manifest_path.string(), "$.capability_ref"));
    }
    attached.emplace(contract.key(), &package);
  }

  // Events, then capabilities and workflows (all-or-nothing) with the attached artifacts.
  for (std::size_t i = 0; i < bundle->events.size(); ++i) {
    if (auto added = runtime.register_event(bundle->events[i]); !added) {
      const std::string file =
          i < bundle->event_entries.size() ? bundle->event_entries[i].path.string() : bundle_path;
      return std::unexpected(failure(ExitCode::RegistrationConflict, "EventTypeConflict",
                                     added.error().message(), file));
    }
  }
  BundleRegistrationOptions options;
  options.artifact_for = [&attached](const CapabilityContract& contract,
                                     const RegistryBundle& owner) {
    if (const auto it = attached.find(contract.key()); it != attached.end()) {
      const CapabilityPackage& package = *it->second;
      return ArtifactReference::from_package(package);
    }
    return default_artifact_for(
        contract, "bundle:" + owner.bundle_id + ":" + contract.id + ":" + contract.version);
  };
  auto registered = register_bundle(*bundle, *runtime.capability_registry(),
                                    *runtime.workflow_registry(), options);
  if (!registered) {
    return std::unexpected(CommandFailure{
        registration_failure_code(registered.error(), bundle_path), std::move(registered.error())});
  }
  for (const auto& [key, package] : attached) {
    context.note("attached " + package->binary_path.string() + " (" + package->binary_digest +
                 ") to " + key);
  }
  // Packages for capabilities the bundle does not have: new public capabilities.
  for (const auto& package : packages) {
    if (attached.contains(package.contract.key())) {
      continue;
    }
    auto added = register_package_file(runtime, package.manifest_path.string());
    if (!added) {
      return std::unexpected(std::move(added.error()));
    }
    context.note("registered package " + package.package_id + "@" + package.version + " as " +
                 package.contract.key());
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
    const bool io = value.error().kind == JsonParseError::Kind::Io;
    return std::unexpected(failure(io ? ExitCode::IoError : ExitCode::ValidationFailed,
                                   io ? "IoError" : "InvalidJson", value.error().message, file));
  }
  return std::move(*value);
}

// ---- Running ----

WorkflowRun run_registered_workflow(Session& session, const std::string& workflow,
                                    const Value& input, const std::string& request_id) {
  const auto at = workflow.find('@');
  const std::string id = workflow.substr(0, at);
  const std::optional<std::string> version =
      at == std::string::npos ? std::nullopt : std::optional(workflow.substr(at + 1));
  const TraverseRuntime& runtime = *session.runtime;
  auto found = version ? runtime.workflow_registry()->find_exact(id, *version)
                       : runtime.workflow_registry()->find_by_id(id);
  if (!found) {
    return rejected_workflow_run(
        request_id, id, version.value_or(""),
        WorkflowRunError{WorkflowFailureReason::WorkflowNotFound, "capability_not_found",
                         "WorkflowNotFound",
                         "workflow " + workflow + " cannot be run: " + found.error().message,
                         std::nullopt, std::nullopt, Value::object()});
  }
  WorkflowRunnerDependencies dependencies;
  dependencies.step_runner = observed_step_runner(runtime.step_runner(), session.observer);
  dependencies.broker = runtime.broker();
  const auto native = runtime.executor(ArtifactType::Native);
  const auto* pool = dynamic_cast<const ThreadPoolExecutor*>(native.get());
  dependencies.max_parallelism =
      pool != nullptr ? pool->capacity() : TraverseRuntime::default_native_capacity();
  auto runner = EngineWorkflowRunner::create(dependencies);
  if (!runner) {
    return rejected_workflow_run(
        request_id, id, version.value_or(""),
        WorkflowRunError{WorkflowFailureReason::WorkflowInvalid, "request_invalid",
                         "WorkflowInvalid", "workflow runner rejected: " + runner.error(),
                         std::nullopt, std::nullopt, Value::object()});
  }
  return (*runner)->run(WorkflowInvocation{*found, input, request_id, LookupScope::PreferPrivate});
}

std::expected<void, std::string> record_workflow_run(Session& session,
                                                     const RunRecording& recording,
                                                     const WorkflowRun& run,
                                                     const std::vector<ObservedEvent>& events) {
  PublicTraceEntry entry;
  entry.id = recording.trace_id;
  entry.execution_id = recording.execution_id;
  const std::string id = recording.capability_id.value_or(run.workflow_id);
  const std::string version = recording.capability_version.value_or(run.workflow_version);
  entry.source = "traverse-runtime/" + id;
  entry.time = rfc3339(recording.started);
  entry.capability_id = id;
  entry.capability_version = version;
  entry.placement_target = "workflow";
  entry.outcome = run.completed() ? TraceOutcome::Success : TraceOutcome::Failure;
  if (run.error) {
    entry.error_class = run.error->error_class;
    entry.error_message = run.error->message;
  }
  entry.duration_ms = recording.duration_ms;
  entry.workflow_run_id = run.run_id;
  for (const auto& event : events) {
    entry.published_events.push_back(event.event.id);
  }
  if (auto inserted = session.traces->insert(entry, std::nullopt); !inserted) {
    return std::unexpected(inserted.error().to_string());
  }

  WorkflowRunRecord record;
  record.run_id = run.run_id;
  record.trace_id = recording.trace_id;
  record.request_id = run.request_id;
  record.workflow_id = run.workflow_id;
  record.workflow_version = run.workflow_version;
  record.capability_id = recording.capability_id;
  record.capability_version = recording.capability_version;
  record.outcome = entry.outcome;
  record.time = entry.time;
  record.duration_ms = recording.duration_ms;
  record.summary = to_json(run);
  record.evidence = run.evidence;
  if (auto inserted = session.runs->insert(record); !inserted) {
    return std::unexpected(inserted.error().to_string());
  }
  return {};
}

ExitCode exit_code_for_runtime_error(std::string_view code) {
  if (code == "request_invalid" || code == "capability_not_found" ||
      code == "capability_ambiguous" || code == "contract_violation" ||
      code == "workflow_invalid") {
    return ExitCode::ValidationFailed;
  }
  return ExitCode::ExecutionFailed;
}

}  // namespace traverse::cli
