// Internal: the shared state behind a TraverseRuntime (not a public header).
//
// Core is owned by the TraverseRuntime alone (shared_ptr only so build() can hand it over);
// everything else that needs it (the step runner handed to workflow runners and embedders)
// reaches it through a CoreGate, never through an owning pointer. The TraverseRuntime destructor
// closes the gate and waits until every admitted execution has left, so the Core — and the
// thread pool inside it — is always destroyed on the destroying thread, never on one of its own
// workers, and never while an execution still uses it.
// Everything in Core is either immutable after build, or provides its own synchronisation
// (registries, stores, broker, catalog), or is guarded by a mutex below.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "traverse/contracts/schema_validator.hpp"
#include "traverse/router/placement_router.hpp"
#include "traverse/runtime/step_observer.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/trace/workflow_run_store.hpp"

namespace traverse {

// The compiled input/output validators of one registered contract.
struct CompiledSchemas {
  std::optional<SchemaValidator> input;
  std::optional<SchemaValidator> output;
  ValidationErrors input_errors;   // why `input` did not compile
  ValidationErrors output_errors;  // why `output` did not compile
};

// What one execution produced internally (the public forms are built from it).
struct CoreExecution {
  RuntimeResult result;
  std::shared_ptr<const RuntimeTrace> trace;
  std::optional<WorkflowRun> workflow_run;  // workflow-backed capabilities and run_workflow
};

// Admission to a Core: executions enter and leave; close() refuses new entries and waits for the
// admitted ones to leave. Thread-safe. Entering and leaving are one atomic add each (every
// execution passes here twice; a mutex would serialise concurrent callers); the mutex and
// condition variable serve only close()'s wait.
class CoreGate {
 public:
  explicit CoreGate(TraverseRuntime::Core* core) : core_(core) {}

  // The core, admitted (leave() must follow), or nullptr when the gate is closed.
  [[nodiscard]] TraverseRuntime::Core* enter();
  void leave();
  // Refuses new entries, then waits until every admitted execution has left.
  void close();

 private:
  static constexpr std::size_t kClosed = std::size_t{1} << (sizeof(std::size_t) * 8 - 1);

  TraverseRuntime::Core* const core_;
  // kClosed once close() began, plus the number of admitted executions (and of enter() calls
  // that saw kClosed and are about to undo their increment).
  std::atomic<std::size_t> state_{0};
  std::mutex mutex_;
  std::condition_variable left_;
  bool drained_ = false;  // protected by mutex_: the last admitted execution left a closing gate
};

// RAII admission through a gate.
class CoreAdmission {
 public:
  explicit CoreAdmission(CoreGate& gate) : gate_(gate), core_(gate.enter()) {}
  ~CoreAdmission() {
    if (core_ != nullptr) {
      gate_.leave();
    }
  }
  CoreAdmission(const CoreAdmission&) = delete;
  CoreAdmission& operator=(const CoreAdmission&) = delete;
  [[nodiscard]] TraverseRuntime::Core* core() const { return core_; }

 private:
  CoreGate& gate_;
  TraverseRuntime::Core* const core_;
};

struct TraverseRuntime::Core {
  // ---- Immutable after build (the pointees synchronise themselves) ----
  std::shared_ptr<CapabilityRegistry> capabilities;
  std::shared_ptr<WorkflowRegistry> workflows;
  std::shared_ptr<TraceStore> trace_store;
  std::shared_ptr<EventCatalog> catalog;
  std::shared_ptr<EventBroker> broker;
  std::optional<PlacementRouter> router;
  // Remote execution (remote_execution.hpp): set together, or all empty.
  std::shared_ptr<const RemoteExecution> remote;
  std::optional<PlacementRouter> remote_router;
  bool remote_only = false;
  // Capability ids served by the default native executor; nullopt when Native was replaced.
  std::optional<std::set<std::string, std::less<>>> native_handler_ids;
  std::shared_ptr<const WorkflowRunner> workflow_runner;
  // The native pool (or, when Native is served by an embedder's executor, a pool of the same
  // capacity) as the scheduler of workflow steps.
  std::shared_ptr<const TaskScheduler> scheduler;
  std::size_t native_pool_capacity = 1;
  std::shared_ptr<WorkflowRunStore> run_store;
  std::shared_ptr<StepObserver> step_observer;  // may be null
  Value runtime_config = Value::object();
  std::size_t runtime_trace_capacity = kDefaultRuntimeTraceCapacity;
  std::size_t validator_cache_capacity = kDefaultValidatorCacheCapacity;
  std::shared_ptr<CoreGate> gate;  // created with the core; shared with step runners
  SchemaProfile schema_profile = SchemaProfile::Strict;  // for capability inputs and outputs

  // Serialises registrations that touch both the catalog and the registries (load_bundle), so
  // the event conflict pre-check and the event registration are one step.
  std::mutex registration_mutex;

  // Compiled validators by contract fingerprint. Guarded by validators_mutex.
  mutable std::shared_mutex validators_mutex;
  std::unordered_map<std::string, std::shared_ptr<const CompiledSchemas>> validators;

  // Recent RuntimeTraces: a ring of at most runtime_trace_capacity slots (a new trace replaces
  // the oldest) and an index by trace id whose keys view the ids of the traces in the ring.
  // Guarded by traces_mutex.
  mutable std::mutex traces_mutex;
  std::vector<std::shared_ptr<const RuntimeTrace>> trace_ring;
  std::size_t trace_ring_next = 0;  // the slot the next trace replaces, once the ring is full
  std::unordered_map<std::string_view, const RuntimeTrace*> traces;

  // The pipeline: runs one request end to end (runtime_core.cpp). `step` is set for workflow
  // steps. Never throws (user code's exceptions are contained; thread cancellation unwinds).
  [[nodiscard]] CoreExecution run(const RuntimeRequest& request, const WorkflowStepContext* step);
  // Runs a registered workflow ("id" or "id@version") with the same records as a
  // workflow-backed capability. Never throws.
  [[nodiscard]] CoreExecution run_registered_workflow(const std::string& workflow,
                                                      const Value& input,
                                                      const std::string& request_id);

  // Records a runtime_request document that did not parse (execute_document) as a Rejected
  // attempt. Never throws.
  [[nodiscard]] CoreExecution reject_document(const Value& document,
                                              const ValidationErrors& violations);

  [[nodiscard]] std::shared_ptr<const CompiledSchemas> schemas_for(const CapabilityRecord& record);
  void remember(std::shared_ptr<const RuntimeTrace> trace);
};

// The pipeline, asynchronously (TraverseRuntime::submit): the phases before execution run on the
// caller (a refused attempt is then recorded on the core's scheduler); the executor's submit (or
// the workflow runner's start) starts the execution, and the phases after it — output check, trace
// record, publication — run on the thread that completes it. The execution holds an admission
// through `gate` until it concluded; nullopt when the gate is closed (nothing ran). Never throws.
[[nodiscard]] std::optional<Completion<RuntimeExecution>> submit_run(
    const std::shared_ptr<CoreGate>& gate, RuntimeRequest request);

// As submit_run for a request document that did not parse (`violations`): its Rejected record
// (Core::reject_document) is written on the core's scheduler, not on the caller.
[[nodiscard]] std::optional<Completion<RuntimeExecution>> submit_rejected_document(
    const std::shared_ptr<CoreGate>& gate, Value document, ValidationErrors violations);

// The StepRunner handed to workflow runners: each step is one Core::run, admitted through the
// gate (a step after the runtime began closing fails with "runtime is gone").
[[nodiscard]] std::shared_ptr<const StepRunner> make_runtime_step_runner(
    std::shared_ptr<CoreGate> gate);

}  // namespace traverse
