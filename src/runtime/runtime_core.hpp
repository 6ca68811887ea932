// Internal: the shared state behind a TraverseRuntime (not a public header).
//
// Core is owned by the TraverseRuntime through shared_ptr and referred to weakly by the step
// runner it hands out. Everything in it is either immutable after build, or provides its own
// synchronisation (registries, trace store, broker, catalog), or is guarded by a mutex below.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "traverse/contracts/schema_validator.hpp"
#include "traverse/router/placement_router.hpp"
#include "traverse/runtime/traverse_runtime.hpp"

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
};

struct TraverseRuntime::Core {
  // ---- Immutable after build (the pointees synchronise themselves) ----
  std::shared_ptr<CapabilityRegistry> capabilities;
  std::shared_ptr<WorkflowRegistry> workflows;
  std::shared_ptr<TraceStore> trace_store;
  std::shared_ptr<EventCatalog> catalog;
  std::shared_ptr<EventBroker> broker;
  std::optional<PlacementRouter> router;
  // Capability ids served by the default native executor; nullopt when Native was replaced.
  std::optional<std::set<std::string, std::less<>>> native_handler_ids;
  std::shared_ptr<const WorkflowRunner> workflow_runner;
  Value runtime_config = Value::object();
  std::size_t runtime_trace_capacity = kDefaultRuntimeTraceCapacity;
  std::size_t validator_cache_capacity = kDefaultValidatorCacheCapacity;
  SchemaProfile schema_profile = SchemaProfile::Strict;  // for capability inputs and outputs
  std::weak_ptr<Core> self;                              // for the step runner

  // Serialises registrations that touch both the catalog and the registries (load_bundle), so
  // the event conflict pre-check and the event registration are one step.
  std::mutex registration_mutex;

  // Compiled validators by contract fingerprint. Guarded by validators_mutex.
  mutable std::shared_mutex validators_mutex;
  std::unordered_map<std::string, std::shared_ptr<const CompiledSchemas>> validators;

  // Recent RuntimeTraces (FIFO, runtime_trace_capacity). Guarded by traces_mutex.
  mutable std::mutex traces_mutex;
  std::deque<std::string> trace_order;
  std::unordered_map<std::string, std::shared_ptr<const RuntimeTrace>> traces;

  // Runs one request end to end. `step` is set for workflow steps.
  [[nodiscard]] CoreExecution run(const RuntimeRequest& request, const WorkflowStepContext* step);

  [[nodiscard]] std::shared_ptr<const CompiledSchemas> schemas_for(const CapabilityRecord& record);
  void remember(std::shared_ptr<const RuntimeTrace> trace);
};

// The StepRunner handed to workflow runners: each step is one Core::run.
[[nodiscard]] std::shared_ptr<const StepRunner> make_runtime_step_runner(
    std::weak_ptr<TraverseRuntime::Core> core);

}  // namespace traverse
