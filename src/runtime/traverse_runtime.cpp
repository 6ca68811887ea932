#include "traverse/runtime/traverse_runtime.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runtime_core.hpp"
#include "traverse/contracts/capability_package.hpp"
#include "traverse/contracts/registry_bundle.hpp"
#include "traverse/contracts/semver.hpp"
#include "traverse/events/in_process_broker.hpp"
#include "traverse/executor/thread_pool_executor.hpp"
#include "traverse/runtime/engine_workflow_runner.hpp"
#include "traverse/support/ids.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"
#include "traverse/trace/in_memory_workflow_run_store.hpp"
#include "traverse/wasm/wasm_executor.hpp"

namespace traverse {

namespace code = runtime_error_code;

// ---------------------------------------------------------------------------------------------
// Builder

struct TraverseRuntime::Builder::Options {
  std::shared_ptr<CapabilityRegistry> capabilities;
  std::shared_ptr<WorkflowRegistry> workflows;
  std::vector<std::pair<std::string, NativeHandler>> native_handlers;
  std::size_t native_capacity = default_native_capacity();
  // ThreadPoolExecutorConfig's defaults unless with_native_pool_spin says otherwise.
  std::chrono::nanoseconds native_worker_spin = ThreadPoolExecutorConfig{}.worker_spin;
  std::chrono::nanoseconds native_caller_spin = ThreadPoolExecutorConfig{}.caller_spin;
  std::map<ArtifactType, std::shared_ptr<const CapabilityExecutor>> executors;
  std::shared_ptr<TraceStore> trace_store;
  std::shared_ptr<WorkflowRunStore> run_store;
  std::shared_ptr<StepObserver> step_observer;
  std::shared_ptr<EventCatalog> catalog;
  std::shared_ptr<EventBroker> broker;
  std::optional<WasmExecutorConfig> wasm_config;
  WorkflowRunnerFactory workflow_runner;
  Value runtime_config = Value::object();
  std::size_t runtime_trace_capacity = kDefaultRuntimeTraceCapacity;
  std::size_t validator_cache_capacity = kDefaultValidatorCacheCapacity;
  SchemaProfile schema_profile = SchemaProfile::Strict;
  std::shared_ptr<const RemoteExecution> remote;
  bool remote_only = false;
};

std::size_t TraverseRuntime::default_native_capacity() {
  const unsigned hardware = std::thread::hardware_concurrency();
  return std::clamp<std::size_t>(hardware, 1, 256);
}

TraverseRuntime::Builder::Builder() : options_(std::make_unique<Options>()) {}
TraverseRuntime::Builder::~Builder() = default;
TraverseRuntime::Builder::Builder(Builder&&) noexcept = default;
TraverseRuntime::Builder& TraverseRuntime::Builder::operator=(Builder&&) noexcept = default;

TraverseRuntime::Builder& TraverseRuntime::Builder::with_capability_registry(
    std::shared_ptr<CapabilityRegistry> registry) {
  options_->capabilities = std::move(registry);
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_workflow_registry(
    std::shared_ptr<WorkflowRegistry> registry) {
  options_->workflows = std::move(registry);
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_native_handler(std::string capability_id,
                                                                        NativeHandler handler) {
  options_->native_handlers.emplace_back(std::move(capability_id), std::move(handler));
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_remote_execution(
    std::shared_ptr<const RemoteExecution> remote, bool remote_only) {
  options_->remote = std::move(remote);
  options_->remote_only = remote_only;
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_native_pool_capacity(
    std::size_t capacity) {
  options_->native_capacity = capacity;
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_native_pool_spin(
    std::chrono::nanoseconds worker_spin, std::chrono::nanoseconds caller_spin) {
  options_->native_worker_spin = worker_spin;
  options_->native_caller_spin = caller_spin;
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_wasm_config(WasmExecutorConfig config) {
  options_->wasm_config = std::move(config);
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_executor(
    ArtifactType type, std::shared_ptr<const CapabilityExecutor> executor) {
  options_->executors[type] = std::move(executor);
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_trace_store(
    std::shared_ptr<TraceStore> store) {
  options_->trace_store = std::move(store);
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_workflow_run_store(
    std::shared_ptr<WorkflowRunStore> store) {
  options_->run_store = std::move(store);
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_step_observer(
    std::shared_ptr<StepObserver> observer) {
  options_->step_observer = std::move(observer);
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_event_catalog(
    std::shared_ptr<EventCatalog> catalog) {
  options_->catalog = std::move(catalog);
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_broker(
    std::shared_ptr<EventBroker> broker) {
  options_->broker = std::move(broker);
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_workflow_runner(
    WorkflowRunnerFactory factory) {
  options_->workflow_runner = std::move(factory);
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_runtime_config(Value config) {
  options_->runtime_config = std::move(config);
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_runtime_trace_capacity(
    std::size_t capacity) {
  options_->runtime_trace_capacity = capacity;
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_schema_profile(SchemaProfile profile) {
  options_->schema_profile = profile;
  return *this;
}

TraverseRuntime::Builder& TraverseRuntime::Builder::with_validator_cache_capacity(
    std::size_t capacity) {
  options_->validator_cache_capacity = capacity;
  return *this;
}

namespace {

using BuilderOptions = TraverseRuntime::Builder::Options;
using BuildResult = std::expected<void, RuntimeBuildError>;

std::unexpected<RuntimeBuildError> invalid_option(std::string message) {
  return std::unexpected(
      RuntimeBuildError{RuntimeBuildErrorKind::InvalidOption, std::move(message)});
}

// Registries, stores, the catalog and the broker: the embedder's, or in-memory defaults. An
// InProcessBroker given without a catalog lends its own.
BuildResult wire_state(TraverseRuntime::Core& core, const BuilderOptions& options) {
  core.capabilities =
      options.capabilities ? options.capabilities : std::make_shared<CapabilityRegistry>();
  core.workflows = options.workflows ? options.workflows : std::make_shared<WorkflowRegistry>();
  core.trace_store =
      options.trace_store ? options.trace_store : std::make_shared<InMemoryTraceStore>();
  core.run_store =
      options.run_store ? options.run_store : std::make_shared<InMemoryWorkflowRunStore>();
  core.step_observer = options.step_observer;
  core.runtime_config = options.runtime_config;
  core.runtime_trace_capacity = options.runtime_trace_capacity;
  core.validator_cache_capacity = options.validator_cache_capacity;
  core.schema_profile = options.schema_profile;
  core.catalog = options.catalog;
  if (!core.catalog) {
    if (const auto* in_process = dynamic_cast<const InProcessBroker*>(options.broker.get())) {
      core.catalog = in_process->catalog();
    } else {
      core.catalog = std::make_shared<EventCatalog>();
    }
  }
  core.broker = options.broker;
  if (!core.broker) {
    auto broker = InProcessBroker::create({}, core.catalog);
    if (!broker) {
      return std::unexpected(
          RuntimeBuildError{RuntimeBuildErrorKind::BrokerSetupFailed, broker.error().message()});
    }
    core.broker = std::move(*broker);
  }
  return {};
}

std::expected<std::shared_ptr<ThreadPoolExecutor>, RuntimeBuildError> start_pool(
    const BuilderOptions& options, NativeExecutor::HandlerTable table) {
  ThreadPoolExecutorConfig config;
  config.capacity = options.native_capacity;
  config.worker_spin = options.native_worker_spin;
  config.caller_spin = options.native_caller_spin;
  auto created = ThreadPoolExecutor::create(std::move(config),
                                            std::make_unique<NativeExecutor>(std::move(table)));
  if (!created) {
    const auto kind = created.error().kind() == ConfigErrorClass::PoolBuildFailed
                          ? RuntimeBuildErrorKind::ExecutorSetupFailed
                          : RuntimeBuildErrorKind::InvalidOption;
    return std::unexpected(RuntimeBuildError{kind, created.error().message()});
  }
  return std::shared_ptr<ThreadPoolExecutor>(std::move(*created));
}

// The native executor and the pool. The pool that runs native capabilities also runs workflow
// steps as tasks (one thread budget for the process). When Native is served by an embedder's
// executor, a pool of the configured capacity runs the steps alone.
std::expected<std::shared_ptr<ThreadPoolExecutor>, RuntimeBuildError> set_native_executor(
    TraverseRuntime::Core& core, const BuilderOptions& options,
    CapabilityExecutorRegistry& executors) {
  if (const auto native = options.executors.find(ArtifactType::Native);
      native != options.executors.end()) {
    executors.set(ArtifactType::Native, native->second);
    return start_pool(options, {});
  }
  NativeExecutor::HandlerTable table;
  std::set<std::string, std::less<>> ids;
  for (const auto& [id, handler] : options.native_handlers) {
    if (id.empty()) {
      return invalid_option("a native handler was registered with an empty capability id");
    }
    if (!table.emplace(id, handler).second) {
      return invalid_option("native handler for capability '" + id + "' registered twice");
    }
    ids.insert(id);
  }
  auto pool = start_pool(options, std::move(table));
  if (pool) {
    executors.set(ArtifactType::Native, std::shared_ptr<const CapabilityExecutor>(*pool));
    core.native_handler_ids = std::move(ids);
  }
  return pool;
}

// The embedder's WASM executor; else a WasmExecutor when a worker exists (workers start lazily,
// so this is cheap); else one that fails every call saying which worker path was tried and why.
BuildResult set_wasm_executor(const BuilderOptions& options,
                              CapabilityExecutorRegistry& executors) {
  if (const auto wasm = options.executors.find(ArtifactType::Wasm);
      wasm != options.executors.end()) {
    executors.set(ArtifactType::Wasm, wasm->second);
    return {};
  }
  auto worker = find_wasm_worker();
  if (!options.wasm_config && !worker) {
    executors.set(ArtifactType::Wasm, make_unavailable_wasm_executor(std::move(worker.error())));
    return {};
  }
  auto wasm_executor = WasmExecutor::create(options.wasm_config.value_or(WasmExecutorConfig{}));
  if (!wasm_executor) {
    return std::unexpected(RuntimeBuildError{RuntimeBuildErrorKind::ExecutorSetupFailed,
                                             wasm_executor.error().message()});
  }
  executors.set(ArtifactType::Wasm,
                std::shared_ptr<const CapabilityExecutor>(std::move(*wasm_executor)));
  return {};
}

// Remote calls take the same router path with the remote executor for every artifact type.
void set_remote_router(TraverseRuntime::Core& core, const BuilderOptions& options) {
  if (!options.remote) {
    return;
  }
  CapabilityExecutorRegistry remote_executors;
  remote_executors.set(ArtifactType::Native, options.remote->executor());
  remote_executors.set(ArtifactType::Wasm, options.remote->executor());
  core.remote = options.remote;
  core.remote_only = options.remote_only;
  core.remote_router.emplace(PlacementConstraintEvaluator{}, std::move(remote_executors),
                             core.trace_store, core.broker);
}

// Workflow-backed capabilities run on the WorkflowEngine unless the embedder supplied another
// runner: a runtime that loads a bundle with a composite capability should just run it. A
// factory that throws or returns null fails the build.
BuildResult start_workflow_runner(TraverseRuntime::Core& core, const BuilderOptions& options,
                                  std::shared_ptr<ThreadPoolExecutor> pool) {
  const WorkflowRunnerFactory runner_factory =
      options.workflow_runner ? options.workflow_runner : workflow_engine_runner();
  WorkflowRunnerDependencies dependencies;
  dependencies.step_runner = make_runtime_step_runner(core.gate);
  dependencies.broker = core.broker;
  dependencies.max_parallelism = options.native_capacity;
  dependencies.scheduler = pool;
  core.scheduler = std::move(pool);
  core.native_pool_capacity = options.native_capacity;
  const auto failed = [](std::string message) {
    return std::unexpected(
        RuntimeBuildError{RuntimeBuildErrorKind::WorkflowRunnerFailed, std::move(message)});
  };
  WorkflowRunnerResult runner;
  try {
    runner = runner_factory(dependencies);
  } catch (const std::exception& error) {
    return failed(std::string("workflow runner factory threw: ") + error.what());
  } catch (...) {
    return failed("workflow runner factory threw a non-standard exception");
  }
  if (!runner) {
    return std::unexpected(std::move(runner.error()));
  }
  if (!*runner) {
    return failed("workflow runner factory returned null");
  }
  core.workflow_runner = std::move(*runner);
  return {};
}

}  // namespace

std::expected<std::unique_ptr<TraverseRuntime>, RuntimeBuildError>
TraverseRuntime::Builder::build() {
  const Options& options = *options_;
  if (options.runtime_trace_capacity == 0) {
    return invalid_option("runtime_trace_capacity must be > 0");
  }
  if (options.validator_cache_capacity == 0) {
    return invalid_option("validator_cache_capacity must be > 0");
  }
  auto core = std::make_shared<Core>();
  core->gate = std::make_shared<CoreGate>(core.get());
  if (auto wired = wire_state(*core, options); !wired) {
    return std::unexpected(std::move(wired.error()));
  }
  CapabilityExecutorRegistry executors;
  auto pool = set_native_executor(*core, options, executors);
  if (!pool) {
    return std::unexpected(std::move(pool.error()));
  }
  if (auto wasm = set_wasm_executor(options, executors); !wasm) {
    return std::unexpected(std::move(wasm.error()));
  }
  core->router.emplace(PlacementConstraintEvaluator{}, std::move(executors), core->trace_store,
                       core->broker);
  set_remote_router(*core, options);
  if (auto runner = start_workflow_runner(*core, options, std::move(*pool)); !runner) {
    return std::unexpected(std::move(runner.error()));
  }
  return std::unique_ptr<TraverseRuntime>(new TraverseRuntime(std::move(core)));
}

// ---------------------------------------------------------------------------------------------
// TraverseRuntime

TraverseRuntime::TraverseRuntime(std::shared_ptr<Core> core) : core_(std::move(core)) {}
TraverseRuntime::~TraverseRuntime() {
  // Refuse new executions and wait for those in flight: afterwards nothing but this object
  // refers to the core, so it (and its pool) is destroyed here, on this thread.
  core_->gate->close();
}

namespace {

ValidationError registry_error_as_validation(const RegistryError& error, const std::string& file) {
  return ValidationError{std::string(to_string(error.kind())), "$", error.message(), file};
}

}  // namespace

namespace {

// The packages named for a load_bundle call, one per id@version.
struct LoadedPackages {
  std::vector<CapabilityPackage> packages;
  std::map<std::string, std::size_t> by_key;  // id@version → index
};

std::expected<LoadedPackages, ValidationErrors> load_packages(
    std::span<const std::filesystem::path> paths) {
  LoadedPackages loaded;
  ValidationErrors errors;
  for (const std::filesystem::path& path : paths) {
    auto package = load_capability_package(path);
    if (!package) {
      errors.insert(errors.end(), package.error().begin(), package.error().end());
      continue;
    }
    const std::string key = package->contract.key();
    if (const auto it = loaded.by_key.find(key); it != loaded.by_key.end()) {
      const CapabilityPackage& first = loaded.packages[it->second];
      if (first.binary_digest != package->binary_digest ||
          canonical_dump(first.contract.document) != canonical_dump(package->contract.document)) {
        errors.push_back({"PackageContractConflict", "$.capability_ref",
                          "packages " + first.manifest_path.string() + " and " + path.string() +
                              " both provide " + key +
                              " with a different contract or binary; expected one package per "
                              "capability version",
                          path.string()});
      }
      continue;
    }
    loaded.by_key.emplace(key, loaded.packages.size());
    loaded.packages.push_back(std::move(*package));
  }
  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }
  return loaded;
}

// Which packages attach to a bundle capability (identical contract required).
std::expected<std::map<std::string, const CapabilityPackage*>, ValidationErrors> attach_packages(
    const RegistryBundle& bundle, const LoadedPackages& loaded) {
  std::map<std::string, const CapabilityPackage*> attached;
  ValidationErrors errors;
  for (std::size_t i = 0; i < bundle.capabilities.size(); ++i) {
    const CapabilityContract& contract = bundle.capabilities[i];
    const auto it = loaded.by_key.find(contract.key());
    if (it == loaded.by_key.end()) {
      continue;
    }
    const CapabilityPackage& package = loaded.packages[it->second];
    if (canonical_dump(package.contract.document) != canonical_dump(contract.document)) {
      const std::string bundle_file = i < bundle.capability_entries.size()
                                          ? bundle.capability_entries[i].path.string()
                                          : bundle.manifest_path.string();
      errors.push_back({"PackageContractConflict", "$.capability_ref",
                        "package " + package.package_id + "@" + package.version + " provides " +
                            contract.key() + " with contract " + package.contract_path.string() +
                            ", which differs from the bundle's contract " + bundle_file +
                            "; an identical contract is required to attach the package's .wasm",
                        package.manifest_path.string()});
      continue;
    }
    attached.emplace(contract.key(), &package);
  }
  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }
  return attached;
}

}  // namespace

std::expected<BundleRegistration, ValidationErrors> TraverseRuntime::load_bundle(
    const std::filesystem::path& manifest_path,
    std::span<const std::filesystem::path> package_paths) {
  // 1. Read everything (no registry or catalog is touched yet).
  auto bundle = load_registry_bundle(manifest_path);
  if (!bundle) {
    return std::unexpected(std::move(bundle.error()));
  }
  auto loaded = load_packages(package_paths);
  if (!loaded) {
    return std::unexpected(std::move(loaded.error()));
  }
  auto attached = attach_packages(*bundle, *loaded);
  if (!attached) {
    return std::unexpected(std::move(attached.error()));
  }

  // 2. One commit: capabilities (bundle, then the packages not attached), workflows and — as its
  // last fallible step, under the registries' locks — the events, all or nothing.
  BundleRegistrationOptions options;
  options.artifact_for = [&attached](const CapabilityContract& contract,
                                     const RegistryBundle& owner) {
    if (const auto it = attached->find(contract.key()); it != attached->end()) {
      return ArtifactReference::from_package(*it->second);
    }
    return default_artifact_for(
        contract, "bundle:" + owner.bundle_id + ":" + contract.id + ":" + contract.version);
  };
  std::map<std::string, std::string> package_files;  // artifact origin → manifest path
  for (const CapabilityPackage& package : loaded->packages) {
    if (attached->contains(package.contract.key())) {
      continue;
    }
    ArtifactReference artifact = ArtifactReference::from_package(package);
    package_files.emplace(artifact.origin, package.manifest_path.string());
    options.additional_capabilities.push_back(
        CapabilityRegistration{Scope::Public, package.contract, std::move(artifact)});
  }
  EventCatalog& catalog = *core_->catalog;
  const RegistryBundle& events_of = *bundle;
  options.before_commit = [&catalog, &events_of, &manifest_path]() {
    ValidationErrors refused;
    if (auto added = catalog.register_contracts(events_of.events); !added) {
      for (const EventError& error : added.error()) {
        std::string file = manifest_path.string();
        for (std::size_t i = 0; i < events_of.events.size(); ++i) {
          if (events_of.events[i].id == error.event_type() && i < events_of.event_entries.size()) {
            file = events_of.event_entries[i].path.string();
          }
        }
        refused.push_back({"EventTypeConflict", "$", error.message(), std::move(file)});
      }
    }
    return refused;
  };
  std::lock_guard registration(core_->registration_mutex);
  auto registered = register_bundle(*bundle, *core_->capabilities, *core_->workflows, options);
  if (!registered) {
    for (ValidationError& error : registered.error()) {
      if (const auto it = package_files.find(error.file()); it != package_files.end()) {
        error.set_file(it->second);
      }
    }
    return std::unexpected(std::move(registered.error()));
  }
  return registered;
}

std::expected<CapabilityRegistrationResult, ValidationErrors> TraverseRuntime::register_package(
    const std::filesystem::path& manifest_path) {
  auto package = load_capability_package(manifest_path);
  if (!package) {
    return std::unexpected(std::move(package.error()));
  }
  auto registered = traverse::register_package(*package, *core_->capabilities);
  if (!registered) {
    return std::unexpected(
        ValidationErrors{registry_error_as_validation(registered.error(), manifest_path.string())});
  }
  return std::move(*registered);
}

std::expected<CapabilityRegistrationResult, RegistryError> TraverseRuntime::register_capability(
    Scope scope, CapabilityContract contract, ArtifactReference artifact) {
  return core_->capabilities->register_capability(scope, std::move(contract), std::move(artifact));
}

std::expected<void, EventError> TraverseRuntime::register_event(const EventContract& contract) {
  return core_->catalog->register_contract(contract);
}

namespace {

// Every execution is admitted through the core's gate, so the destructor can wait for it. An
// execution that arrives once destruction began (a caller racing the destructor) runs nothing.
RuntimeExecution refused_execution(const std::string& request_id) {
  RuntimeExecution refused;
  refused.result.request_id = request_id;
  refused.result.execution_id = "exec_" + request_id;
  refused.result.error = RuntimeError{std::string(code::kExecutionFailed),
                                      "the runtime is being destroyed; nothing was run",
                                      Value{{"error_class", "RuntimeUnavailable"}}};
  auto trace = std::make_shared<RuntimeTrace>();
  trace->request_id = request_id;
  trace->execution_id = refused.result.execution_id;
  trace->error = refused.result.error;
  refused.trace = std::move(trace);
  return refused;
}

template <typename Run>
RuntimeExecution admitted(CoreGate& gate, const std::string& request_id, Run&& run) {
  const CoreAdmission admission(gate);
  if (admission.core() == nullptr) {
    return refused_execution(request_id);
  }
  CoreExecution execution = run(*admission.core());
  return {std::move(execution.result), std::move(execution.trace),
          std::move(execution.workflow_run)};
}

}  // namespace

RuntimeResult TraverseRuntime::execute_capability(const RuntimeRequest& request) {
  const CoreAdmission admission(*core_->gate);
  if (admission.core() == nullptr) {
    return execute(request).result;  // refused the same way
  }
  return admission.core()->run(request, nullptr).result;  // no RuntimeTrace copy
}

RuntimeExecution TraverseRuntime::execute(const RuntimeRequest& request) {
  return admitted(*core_->gate, request.request_id,
                  [&](Core& core) { return core.run(request, nullptr); });
}

RuntimeExecution TraverseRuntime::execute(const RuntimeRequest& request,
                                          const WorkflowStepContext& step) {
  return admitted(*core_->gate, request.request_id,
                  [&](Core& core) { return core.run(request, &step); });
}

RuntimeExecution TraverseRuntime::run_workflow(const std::string& workflow, const Value& input,
                                               const std::string& request_id) {
  return admitted(*core_->gate, request_id, [&](Core& core) {
    return core.run_registered_workflow(workflow, input, request_id);
  });
}

RuntimeExecution TraverseRuntime::execute_document(const Value& request_document) {
  auto request = parse_runtime_request(request_document);
  if (request) {
    return execute(*request);
  }
  return admitted(*core_->gate, std::string(), [&](Core& core) {
    return core.reject_document(request_document, request.error());
  });
}

Completion<RuntimeExecution> TraverseRuntime::submit(RuntimeRequest request) {
  std::string request_id = request.request_id;
  auto submitted = submit_run(core_->gate, std::move(request));
  if (!submitted) {
    return Completion<RuntimeExecution>::fulfilled(refused_execution(request_id));
  }
  return std::move(*submitted);
}

Completion<RuntimeExecution> TraverseRuntime::submit_document(const Value& request_document) {
  auto request = parse_runtime_request(request_document);
  if (request) {
    return submit(std::move(*request));
  }
  // Nothing runs for a document that does not parse; its Rejected record is written off the
  // caller's thread, like every record of submit.
  auto submitted =
      submit_rejected_document(core_->gate, request_document, std::move(request.error()));
  if (!submitted) {
    return Completion<RuntimeExecution>::fulfilled(refused_execution(std::string()));
  }
  return std::move(*submitted);
}

std::shared_ptr<const StepRunner> TraverseRuntime::step_runner() const {
  return make_runtime_step_runner(core_->gate);
}

std::optional<RuntimeTrace> TraverseRuntime::runtime_trace(std::string_view trace_id) const {
  std::lock_guard lock(core_->traces_mutex);
  const auto it = core_->traces.find(trace_id);
  if (it == core_->traces.end()) {
    return std::nullopt;
  }
  return *it->second;
}

const std::shared_ptr<CapabilityRegistry>& TraverseRuntime::capability_registry() const {
  return core_->capabilities;
}
const std::shared_ptr<WorkflowRegistry>& TraverseRuntime::workflow_registry() const {
  return core_->workflows;
}
const std::shared_ptr<TraceStore>& TraverseRuntime::trace_store() const {
  return core_->trace_store;
}
const std::shared_ptr<WorkflowRunStore>& TraverseRuntime::workflow_run_store() const {
  return core_->run_store;
}
const std::shared_ptr<EventBroker>& TraverseRuntime::broker() const {
  return core_->broker;
}
const std::shared_ptr<EventCatalog>& TraverseRuntime::event_catalog() const {
  return core_->catalog;
}
std::shared_ptr<const CapabilityExecutor> TraverseRuntime::executor(ArtifactType type) const {
  return core_->router->executors().find(type);
}

std::shared_ptr<const TaskScheduler> TraverseRuntime::scheduler() const {
  return core_->scheduler;
}

std::size_t TraverseRuntime::native_pool_capacity() const {
  return core_->native_pool_capacity;
}

}  // namespace traverse
