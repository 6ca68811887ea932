// traverse/runtime/traverse_runtime.hpp — the facade that owns the whole execution path
// (docs/architecture.md; docs/formats.md with D1, D2, D6, D9).
//
// execute_capability(request) runs one pipeline, whose phases run in this order:
//   1. check the request (docs/formats.md, "Runtime request"; a non-`local` requested_target is
//   placement_unsupported);
//   2. resolve it in the CapabilityRegistry: id@version, id + semver range, id alone, or
//      intent_key (matched against capability ids and a contract's top-level "intent_key"),
//      with the request's scope rules; none → capability_not_found, several →
//      capability_ambiguous;
//   3. eligibility: lifecycle active/deprecated; Native/Wasm capabilities need `local` in
//      preferred_targets, host_api_access none and network_access forbidden
//      (capability_not_runnable); the implementation must exist — a native handler, a wasm path,
//      a workflow runner and workflow (artifact_missing);
//   4. validate the input against inputs.schema, reporting every violation (request_invalid);
//   5. place and execute: the PlacementRouter's dispatch (placement hint `local`, idle
//      snapshot, the executor for the artifact type), or the WorkflowRunner for a
//      workflow-backed capability (its steps come back through this pipeline);
//   6. validate the output against outputs.schema (output_validation_failed);
//   7. record: exactly one TraceStore entry per attempt, whose id is the result's trace_ref —
//      Success, Failure (it ran and failed) or Rejected (refused before anything ran: steps
//      1–4, or placement / executor missing), with the error class and message. A workflow run
//      also gets its WorkflowRunRecord (evidence) in the WorkflowRunStore; its entry has
//      placement target "workflow" and workflow_run_id = the run id;
//   8. publish the emitted events — only after the entry is committed (event_publication.hpp);
//   9. return the RuntimeResult; a RuntimeTrace is kept for every call.
// If the trace write fails, nothing is published and the result is the error
// trace_write_failed with an empty trace_ref: a trace_ref a caller sees always resolves in the
// TraceStore. Compiled schema validators are cached per registered contract (bounded).
//
// Identifiers: execution_id = "exec_<request_id>"; trace_ref = a fresh UUIDv7 per call
// (time-ordered, D11), so a repeated request_id never collides with or overwrites an earlier trace.
// Timestamps are real UTC RFC 3339 (D9).
//
// Ownership: a runtime is built by TraverseRuntime::Builder and owned through unique_ptr; it
// shares its registries, stores, broker and catalog (std::shared_ptr), so they may outlive it.
// Destruction refuses new executions (steps reaching the runtime through step_runner() then fail
// with "runtime is gone"), waits for the executions in flight, then joins the native thread
// pool — on the destroying thread. Precondition: the runtime is not destroyed from inside one
// of its own capabilities or observers (that would wait for itself).
// Thread safety: safe for concurrent access from many threads without external synchronization
// (execute_capability, run_workflow, load_bundle, register_*, runtime_trace may all run at once).
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/contracts/event_contract.hpp"
#include "traverse/contracts/runtime_request.hpp"
#include "traverse/contracts/schema_profile.hpp"
#include "traverse/contracts/validation_error.hpp"
#include "traverse/events/event_broker.hpp"
#include "traverse/events/event_catalog.hpp"
#include "traverse/executor/artifact_type.hpp"
#include "traverse/executor/capability_executor.hpp"
#include "traverse/executor/native_executor.hpp"
#include "traverse/registry/bundle_registration.hpp"
#include "traverse/registry/capability_registry.hpp"
#include "traverse/registry/workflow_registry.hpp"
#include "traverse/runtime/remote_execution.hpp"
#include "traverse/runtime/runtime_build_error.hpp"
#include "traverse/runtime/runtime_result.hpp"
#include "traverse/runtime/runtime_trace.hpp"
#include "traverse/runtime/step_observer.hpp"
#include "traverse/runtime/workflow_runner.hpp"
#include "traverse/support/completion.hpp"
#include "traverse/support/task_scheduler.hpp"
#include "traverse/trace/trace_store.hpp"
#include "traverse/trace/workflow_run_store.hpp"
#include "traverse/wasm/wasm_executor_config.hpp"
#include "traverse/workflow/step_runner.hpp"

namespace traverse {

// The result of one execution together with its trace, and the workflow run when the
// execution ran a workflow (a workflow-backed capability, or run_workflow) — completed or not.
// The trace is shared, never copied: it is the same immutable record runtime_trace(id) returns
// while it is among the recent ones (never null).
struct RuntimeExecution {
  RuntimeResult result;
  std::shared_ptr<const RuntimeTrace> trace;
  std::optional<WorkflowRun> workflow_run;
};

// Where a workflow step comes from, for executions made on behalf of a workflow run.
struct WorkflowStepContext {
  std::string workflow_run_id;
  std::uint64_t step_index = 0;
};

class TraverseRuntime {
 public:
  // Default number of native pool workers: the hardware thread count, clamped to 1..=256.
  [[nodiscard]] static std::size_t default_native_capacity();
  // Default bound on retained RuntimeTraces (the oldest is forgotten first; the TraceStore entry
  // stays). Small on purpose: the TraceStore is the record, this ring only serves runtime_trace()
  // for recent executions, and each retained trace holds its request and output (4096 of them
  // cost tens of MB and a growing heap under load).
  static constexpr std::size_t kDefaultRuntimeTraceCapacity = 256;
  // Default bound on cached compiled validators (beyond it, schemas are compiled per call).
  static constexpr std::size_t kDefaultValidatorCacheCapacity = 4096;

  class Builder {
   public:
    Builder();
    ~Builder();
    Builder(Builder&&) noexcept;
    Builder& operator=(Builder&&) noexcept;

    // Registries to use (shared). Default: fresh, empty registries.
    Builder& with_capability_registry(std::shared_ptr<CapabilityRegistry> registry);
    Builder& with_workflow_registry(std::shared_ptr<WorkflowRegistry> registry);

    // A native implementation for the capability with this id (every version). Used by the
    // default Native executor; registering the same id twice fails build() (InvalidOption).
    Builder& with_native_handler(std::string capability_id, NativeHandler handler);
    // Worker threads of the default Native executor (1..=256; default default_native_capacity()).
    Builder& with_native_pool_capacity(std::size_t capacity);
    // How long idle workers and waiting callers of that pool poll (yielding the CPU) before they
    // sleep (ThreadPoolExecutorConfig::worker_spin and caller_spin; default: that config's).
    // Polling makes a call's round trip sub-microsecond on an idle machine; on a machine whose
    // CPUs other programs keep busy, each yield can cost a scheduler time slice, so there pass 0
    // and 0 (threads sleep at once). Negative durations fail build() (InvalidOption).
    Builder& with_native_pool_spin(std::chrono::nanoseconds worker_spin,
                                   std::chrono::nanoseconds caller_spin);

    // Configures the default Wasm executor. Without this call the runtime looks for the
    // `traverse-wasm-worker` executable (find_wasm_worker) and, when it is found, creates a
    // WasmExecutor with the default configuration; when it is not found Wasm capabilities fail
    // with an error naming the paths tried and why each could not be used (runtime setup
    // failed). With this call a WasmExecutor
    // is required: failing to create it fails build() (ExecutorSetupFailed).
    Builder& with_wasm_config(WasmExecutorConfig config);

    // Replaces the executor for an artifact type (e.g. a WasmExecutor, or a test double). For
    // Native this disables the default pool and its handler table; a null executor leaves the
    // type without executor (executions fail with artifact_missing).
    Builder& with_executor(ArtifactType type, std::shared_ptr<const CapabilityExecutor> executor);

    // Runs capabilities on other machines (remote_execution.hpp says which ones). `remote_only`:
    // every capability that is not workflow-backed runs remotely. Default: none (local only).
    Builder& with_remote_execution(std::shared_ptr<const RemoteExecution> remote,
                                   bool remote_only = false);

    // Where traces go. Default: an InMemoryTraceStore.
    Builder& with_trace_store(std::shared_ptr<TraceStore> store);
    // Where workflow run records (the evidence of each run) go. Default: an
    // InMemoryWorkflowRunStore (the most recent runs, bounded).
    Builder& with_workflow_run_store(std::shared_ptr<WorkflowRunStore> store);
    // Told about every workflow step this runtime runs (see step_observer.hpp). Default: none.
    Builder& with_step_observer(std::shared_ptr<StepObserver> observer);
    // The catalog bundles register their events into. Default: a fresh EventCatalog.
    Builder& with_event_catalog(std::shared_ptr<EventCatalog> catalog);
    // The broker events are published to. Default: an InProcessBroker over the runtime's
    // catalog. A custom broker must consult the same catalog for bundle events to be accepted.
    Builder& with_broker(std::shared_ptr<EventBroker> broker);

    // How workflow-backed capabilities run (see workflow_runner.hpp). Default: the
    // WorkflowEngine (`workflow_engine_runner()` from engine_workflow_runner.hpp).
    Builder& with_workflow_runner(WorkflowRunnerFactory factory);

    // Passed to every capability as ExecutionContext::runtime_config. Default: {}.
    Builder& with_runtime_config(Value config);
    // Bounds (each must be > 0).
    Builder& with_runtime_trace_capacity(std::size_t capacity);
    Builder& with_validator_cache_capacity(std::size_t capacity);
    // How much JSON Schema capability inputs and outputs are checked against
    // (schema_profile.hpp). Default: SchemaProfile::Strict.
    Builder& with_schema_profile(SchemaProfile profile);

    // Builds the runtime. Failure: see runtime_build_error.hpp. The builder is left unchanged
    // and may be used again.
    [[nodiscard]] std::expected<std::unique_ptr<TraverseRuntime>, RuntimeBuildError> build();

    struct Options;  // what the with_ calls collected; defined (and used) in src/runtime only

   private:
    std::unique_ptr<Options> options_;
  };

  ~TraverseRuntime();
  TraverseRuntime(const TraverseRuntime&) = delete;
  TraverseRuntime& operator=(const TraverseRuntime&) = delete;

  // ---- Registration ----

  // Loads a registry bundle manifest and, optionally, capability package manifests, and
  // registers everything ALL OR NOTHING: the bundle's capabilities (under the bundle's scope;
  // Native handler = capability id, or the workflow for workflow-backed contracts), its workflows
  // and its event contracts (into the catalog). A package whose contract id@version is in the
  // bundle is attached to it — its .wasm becomes that capability's artifact; the contracts must
  // be identical, else PackageContractConflict. The other packages are registered as new public
  // capabilities. Two packages for one id@version must be the same package
  // (PackageContractConflict). Success: what was registered (bundle capabilities, then the
  // packages registered as new ones). Failure: every error, each with its file and JSON path
  // (codes: the loaders', ImmutableVersionConflict, EventTypeConflict, PackageContractConflict,
  // the workflow checks', CapacityExceeded); the registries and the event catalog are left
  // exactly as before. Thread-safe.
  [[nodiscard]] std::expected<BundleRegistration, ValidationErrors> load_bundle(
      const std::filesystem::path& manifest_path,
      std::span<const std::filesystem::path> package_paths = {});

  // Loads a capability package manifest (its .wasm digest verified) and registers its contract
  // publicly with the Wasm artifact. Failure: every load error, or the registry error as one
  // ValidationError (code = the RegistryError code). Thread-safe.
  [[nodiscard]] std::expected<CapabilityRegistrationResult, ValidationErrors> register_package(
      const std::filesystem::path& manifest_path);

  // Registers one capability (CapabilityRegistry::register_capability). Thread-safe.
  [[nodiscard]] std::expected<CapabilityRegistrationResult, RegistryError> register_capability(
      Scope scope, CapabilityContract contract, ArtifactReference artifact);

  // Registers one event contract in the catalog (EventCatalog::register_contract). Thread-safe.
  [[nodiscard]] std::expected<void, EventError> register_event(const EventContract& contract);

  // ---- Execution ----

  // Runs one request (see the file comment). Never throws for bad input; every outcome is a
  // RuntimeResult. Thread-safe.
  [[nodiscard]] RuntimeResult execute_capability(const RuntimeRequest& request);
  // As execute_capability, also returning the RuntimeTrace. Thread-safe.
  [[nodiscard]] RuntimeExecution execute(const RuntimeRequest& request);
  // As execute, on behalf of a workflow run: the TraceStore entry carries the run id and step
  // index, and execution_id is "exec_<request_id>_step_<index>". Thread-safe.
  [[nodiscard]] RuntimeExecution execute(const RuntimeRequest& request,
                                         const WorkflowStepContext& step);
  // Parses a runtime_request document first; a malformed one gives request_invalid with every
  // violation in details.violations, recorded as a Rejected TraceStore entry like any other
  // rejection — also when nothing in the document is parseable: the entry then has an empty
  // capability id, the request_id is "" and execution_id is "exec_<trace_ref>". Thread-safe.
  [[nodiscard]] RuntimeExecution execute_document(const Value& request_document);

  // As execute, without blocking the caller: the checks before execution (request, resolve,
  // eligibility, input schema) run on the calling thread — they do no I/O; the capability runs
  // on its executor (or the workflow on the runtime's pool), and the output check, the
  // TraceStore entry and the event publication run on the thread that finishes it — where a
  // `then` continuation runs too. A request refused by the checks is recorded on the runtime's
  // pool, never on the caller (the trace write may block). The records are exactly those of
  // execute. The runtime waits in its destructor for
  // every submitted execution to conclude. Never throws. Thread-safe.
  [[nodiscard]] Completion<RuntimeExecution> submit(RuntimeRequest request);
  // As execute_document, without blocking the caller (see submit). Thread-safe.
  [[nodiscard]] Completion<RuntimeExecution> submit_document(const Value& request_document);

  // Runs a registered workflow — `workflow` is "id" or "id@version", resolved with
  // PreferPrivate; without a version the only visible version — on the configured
  // WorkflowRunner, with the same records as a workflow-backed capability: one TraceStore entry
  // for the run (placement target "workflow", workflow_run_id = the run id; the capability id
  // and version are the workflow's), one per step, and the WorkflowRunRecord. `request_id`
  // names the run (empty: the run id). A workflow that is not registered is
  // capability_not_found (Rejected). The workflow_run is set whenever the workflow ran.
  // Never throws. Thread-safe.
  [[nodiscard]] RuntimeExecution run_workflow(const std::string& workflow, const Value& input,
                                              const std::string& request_id = {});

  // A StepRunner that runs workflow steps through this runtime (what a WorkflowEngine needs),
  // reporting them to the step observer. It never keeps the runtime alive: once the runtime is
  // being destroyed its steps fail with execution_failed ("runtime is gone"). Thread-safe.
  [[nodiscard]] std::shared_ptr<const StepRunner> step_runner() const;

  // ---- Observation ----

  // The RuntimeTrace of a recent execution (the last runtime_trace_capacity ones), or nullopt.
  // Thread-safe.
  [[nodiscard]] std::optional<RuntimeTrace> runtime_trace(std::string_view trace_id) const;

  [[nodiscard]] const std::shared_ptr<CapabilityRegistry>& capability_registry() const;
  [[nodiscard]] const std::shared_ptr<WorkflowRegistry>& workflow_registry() const;
  [[nodiscard]] const std::shared_ptr<TraceStore>& trace_store() const;
  [[nodiscard]] const std::shared_ptr<WorkflowRunStore>& workflow_run_store() const;
  [[nodiscard]] const std::shared_ptr<EventBroker>& broker() const;
  [[nodiscard]] const std::shared_ptr<EventCatalog>& event_catalog() const;
  // The executor serving `type`, or nullptr.
  [[nodiscard]] std::shared_ptr<const CapabilityExecutor> executor(ArtifactType type) const;
  // The runtime's thread pool as a TaskScheduler: where workflow steps run as tasks (give it to
  // a WorkflowEngine of your own to share the runtime's threads). Never null.
  [[nodiscard]] std::shared_ptr<const TaskScheduler> scheduler() const;
  // Worker threads of that pool (Builder::with_native_pool_capacity): the default parallelism
  // of a workflow run.
  [[nodiscard]] std::size_t native_pool_capacity() const;

  struct Core;  // implementation detail (src/runtime); incomplete here

 private:
  explicit TraverseRuntime(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};

}  // namespace traverse
