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
  std::map<ArtifactType, std::shared_ptr<const CapabilityExecutor>> executors;
  std::shared_ptr<TraceStore> trace_store;
  std::shared_ptr<EventCatalog> catalog;
  std::shared_ptr<EventBroker> broker;
  std::optional<WasmExecutorConfig> wasm_config;
  WorkflowRunnerFactory workflow_runner;
  Value runtime_config = Value::object();
  std::size_t runtime_trace_capacity = kDefaultRuntimeTraceCapacity;
  std::size_t validator_cache_capacity = kDefaultValidatorCacheCapacity;
  SchemaProfile schema_profile = SchemaProfile::Strict;
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

TraverseRuntime::Builder& TraverseRuntime::Builder::with_native_pool_capacity(
    std::size_t capacity) {
  options_->native_capacity = capacity;
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

std::expected<std::unique_ptr<TraverseRuntime>, RuntimeBuildError>
TraverseRuntime::Builder::build() {
  const Options& options = *options_;
  const auto invalid = [](std::string message) {
    return std::unexpected(
        RuntimeBuildError{RuntimeBuildErrorKind::InvalidOption, std::move(message)});
  };
  if (options.runtime_trace_capacity == 0) {
    return invalid("runtime_trace_capacity must be > 0");
  }
  if (options.validator_cache_capacity == 0) {
    return invalid("validator_cache_capacity must be > 0");
  }

  auto core = std::make_shared<Core>();
  core->self = core;
  core->capabilities =
      options.capabilities ? options.capabilities : std::make_shared<CapabilityRegistry>();
  core->workflows = options.workflows ? options.workflows : std::make_shared<WorkflowRegistry>();
  core->trace_store =
      options.trace_store ? options.trace_store : std::make_shared<InMemoryTraceStore>();
  core->runtime_config = options.runtime_config;
  core->runtime_trace_capacity = options.runtime_trace_capacity;
  core->validator_cache_capacity = options.validator_cache_capacity;
  core->schema_profile = options.schema_profile;

  // Catalog and broker: an InProcessBroker given without a catalog lends its own.
  core->catalog = options.catalog;
  if (!core->catalog) {
    if (const auto* in_process = dynamic_cast<const InProcessBroker*>(options.broker.get())) {
      core->catalog = in_process->catalog();
    } else {
      core->catalog = std::make_shared<EventCatalog>();
    }
  }
  core->broker = options.broker;
  if (!core->broker) {
    auto broker = InProcessBroker::create({}, core->catalog);
    if (!broker) {
      return std::unexpected(
          RuntimeBuildError{RuntimeBuildErrorKind::BrokerSetupFailed, broker.error().message()});
    }
    core->broker = std::move(*broker);
  }

  // Executors.
  CapabilityExecutorRegistry executors;
  const auto native_override = options.executors.find(ArtifactType::Native);
  if (native_override != options.executors.end()) {
    executors.set(ArtifactType::Native, native_override->second);
  } else {
    NativeExecutor::HandlerTable table;
    std::set<std::string, std::less<>> ids;
    for (const auto& [id, handler] : options.native_handlers) {
      if (id.empty()) {
        return invalid("a native handler was registered with an empty capability id");
      }
      if (!table.emplace(id, handler).second) {
        return invalid("native handler for capability '" + id + "' registered twice");
      }
      ids.insert(id);
    }
    ThreadPoolExecutorConfig config;
    config.capacity = options.native_capacity;
    auto pool = ThreadPoolExecutor::create(std::move(config),
                                           std::make_unique<NativeExecutor>(std::move(table)));
    if (!pool) {
      const auto kind = pool.error().error_class() == ConfigErrorClass::PoolBuildFailed
                            ? RuntimeBuildErrorKind::ExecutorSetupFailed
                            : RuntimeBuildErrorKind::InvalidOption;
      return std::unexpected(RuntimeBuildError{kind, pool.error().message()});
    }
    executors.set(ArtifactType::Native,
                  std::shared_ptr<const CapabilityExecutor>(std::move(*pool)));
    core->native_handler_ids = std::move(ids);
  }
  if (const auto wasm = options.executors.find(ArtifactType::Wasm);
      wasm != options.executors.end()) {
    executors.set(ArtifactType::Wasm, wasm->second);
  } else if (options.wasm_config || find_wasm_worker().has_value()) {
    // Workers start lazily (unless the config says otherwise), so this is cheap.
    auto wasm_executor = WasmExecutor::create(options.wasm_config.value_or(WasmExecutorConfig{}));
    if (!wasm_executor) {
      return std::unexpected(RuntimeBuildError{RuntimeBuildErrorKind::ExecutorSetupFailed,
                                               wasm_executor.error().message()});
    }
    executors.set(ArtifactType::Wasm,
                  std::shared_ptr<const CapabilityExecutor>(std::move(*wasm_executor)));
  }
  core->router.emplace(PlacementConstraintEvaluator{}, std::move(executors), core->trace_store,
                       core->broker);

  // Workflow-backed capabilities run on the WorkflowEngine unless the embedder supplied another
  // runner: a runtime that loads a bundle with a composite capability should just run it.
  const WorkflowRunnerFactory runner_factory =
      options.workflow_runner ? options.workflow_runner : workflow_engine_runner();
  {
    WorkflowRunnerDependencies dependencies;
    dependencies.step_runner = make_runtime_step_runner(core);
    dependencies.broker = core->broker;
    dependencies.max_parallelism = native_override != options.executors.end()
                                       ? default_native_capacity()
                                       : options.native_capacity;
    std::expected<std::shared_ptr<const WorkflowRunner>, std::string> runner;
    try {
      runner = runner_factory(dependencies);
    } catch (const std::exception& error) {
      runner = std::unexpected(std::string("workflow runner factory threw: ") + error.what());
    }
    if (!runner) {
      return std::unexpected(
          RuntimeBuildError{RuntimeBuildErrorKind::WorkflowRunnerFailed, runner.error()});
    }
    if (!*runner) {
      return std::unexpected(RuntimeBuildError{RuntimeBuildErrorKind::WorkflowRunnerFailed,
                                               "workflow runner factory returned null"});
    }
    core->workflow_runner = std::move(*runner);
  }

  return std::unique_ptr<TraverseRuntime>(new TraverseRuntime(std::move(core)));
}

// ---------------------------------------------------------------------------------------------
// TraverseRuntime

TraverseRuntime::TraverseRuntime(std::shared_ptr<Core> core) : core_(std::move(core)) {}
TraverseRuntime::~TraverseRuntime() = default;

namespace {

ValidationError registry_error_as_validation(const RegistryError& error, const std::string& file) {
  return ValidationError{std::string(to_string(error.code)), "$", error.message, file};
}

bool same_entry(const EventCatalogEntry& existing, const EventContract& contract) {
  return existing.owner == contract.owner.team && existing.version == contract.version &&
         existing.lifecycle_status == contract.lifecycle;
}

}  // namespace

std::expected<BundleRegistration, ValidationErrors> TraverseRuntime::load_bundle(
    const std::filesystem::path& manifest_path) {
  auto bundle = load_registry_bundle(manifest_path);
  if (!bundle) {
    return std::unexpected(std::move(bundle.error()));
  }
  std::lock_guard registration(core_->registration_mutex);

  // Event contracts first (checked only): a conflict must stop the whole bundle.
  ValidationErrors errors;
  for (std::size_t i = 0; i < bundle->events.size(); ++i) {
    const EventContract& event = bundle->events[i];
    const std::string file = i < bundle->event_entries.size()
                                 ? bundle->event_entries[i].path.string()
                                 : manifest_path.string();
    if (const auto existing = core_->catalog->get(event.id);
        existing && !same_entry(*existing, event)) {
      errors.push_back({"EventTypeConflict", "$",
                        "event type '" + event.id + "' is already registered as version " +
                            existing->version + " owned by '" + existing->owner +
                            "'; expected the same owner, version and lifecycle",
                        file});
    }
  }
  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }

  auto registered = register_bundle(*bundle, *core_->capabilities, *core_->workflows);
  if (!registered) {
    return std::unexpected(std::move(registered.error()));
  }
  for (std::size_t i = 0; i < registered->events.size(); ++i) {
    const EventContract& event = registered->events[i];
    if (auto added = core_->catalog->register_contract(event); !added) {
      // Only reachable when someone registered a conflicting entry directly in the catalog
      // between the check above and now; reported, never ignored.
      errors.push_back({std::string(to_string(added.error().kind)), "$", added.error().message(),
                        manifest_path.string()});
    }
  }
  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
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

RuntimeResult TraverseRuntime::execute_capability(const RuntimeRequest& request) {
  return core_->run(request, nullptr).result;
}

RuntimeExecution TraverseRuntime::execute(const RuntimeRequest& request) {
  CoreExecution execution = core_->run(request, nullptr);
  return {std::move(execution.result), *execution.trace};
}

RuntimeExecution TraverseRuntime::execute(const RuntimeRequest& request,
                                          const WorkflowStepContext& step) {
  CoreExecution execution = core_->run(request, &step);
  return {std::move(execution.result), *execution.trace};
}

RuntimeExecution TraverseRuntime::execute_document(const Value& request_document) {
  auto request = parse_runtime_request(request_document);
  if (request) {
    return execute(*request);
  }
  // Record the rejection like any other execution, so trace_ref points at a RuntimeTrace.
  auto trace = std::make_shared<RuntimeTrace>();
  trace->trace_id = new_uuid_v4();
  const Value* request_id = request_document.is_object() && request_document.contains("request_id")
                                ? &request_document["request_id"]
                                : nullptr;
  trace->request_id = request_id != nullptr && request_id->is_string()
                          ? request_id->get<std::string>()
                          : std::string();
  trace->execution_id = "exec_" + trace->request_id;
  trace->request = request_document;
  trace->received_at = rfc3339_now();
  trace->finished_at = trace->received_at;
  Value violations = Value::array();
  for (const ValidationError& error : request.error()) {
    violations.push_back(
        Value{{"code", error.code}, {"path", error.path}, {"message", error.message}});
  }
  RuntimeError error{
      std::string(code::kRequestInvalid),
      "runtime request is invalid: " + std::to_string(request.error().size()) +
          " violation(s); first: " +
          (request.error().empty() ? std::string("unknown") : to_string(request.error().front())),
      Value{{"violations", std::move(violations)}}};
  trace->status = RuntimeStatus::Error;
  trace->error = error;
  RuntimeResult result;
  result.execution_id = trace->execution_id;
  result.request_id = trace->request_id;
  result.status = RuntimeStatus::Error;
  result.trace_ref = trace->trace_id;
  result.error = std::move(error);
  RuntimeTrace copy = *trace;
  core_->remember(std::move(trace));
  return {std::move(result), std::move(copy)};
}

std::shared_ptr<const StepRunner> TraverseRuntime::step_runner() const {
  return make_runtime_step_runner(core_);
}

std::optional<RuntimeTrace> TraverseRuntime::runtime_trace(std::string_view trace_id) const {
  std::lock_guard lock(core_->traces_mutex);
  const auto it = core_->traces.find(std::string(trace_id));
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
const std::shared_ptr<EventBroker>& TraverseRuntime::broker() const {
  return core_->broker;
}
const std::shared_ptr<EventCatalog>& TraverseRuntime::event_catalog() const {
  return core_->catalog;
}
std::shared_ptr<const CapabilityExecutor> TraverseRuntime::executor(ArtifactType type) const {
  return core_->router->executors().find(type);
}

}  // namespace traverse
