// traverse/workflow/step_runner.hpp — how the workflow engine runs one node (one "step").
//
// The engine decides *which* node runs with *what* input; a StepRunner runs it. The runtime's
// implementation (WorkflowStepRunner) sends the step through the full execution path of a single
// capability: resolve id@version, input schema, placement, executor, trace entry tagged with the
// workflow run id and step index, event publication, output schema. Tests use fakes.
// Ownership: the engine holds its runner through std::shared_ptr<const StepRunner>.
// Thread safety: implementations must be safe for concurrent calls from many threads (a 1.1.0
// workflow runs up to max_parallelism steps at once, from engine-owned helper threads).
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "traverse/contracts/runtime_request.hpp"
#include "traverse/events/traverse_event.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

// One node to run.
struct StepRequest {
  std::string workflow_run_id;   // UUID of the workflow run (recorded on the step's trace entry)
  std::string request_id;        // the run's request id (outer runtime request, or the run id)
  std::size_t step_index = 0;    // 1.0.0: visit order from 0; 1.1.0: the node's topological index
  std::string workflow_id;       // the workflow being run
  std::string workflow_version;  //
  std::string node_id;           // the node being run
  std::string capability_id;     // the node's capability, at exactly this version
  std::string capability_version;
  Value input;                                  // only the node's from_workflow_input keys
  LookupScope scope = LookupScope::PublicOnly;  // where the capability is resolved
};

// A step that ran and produced an output.
struct StepOutcome {
  Value output;
  // Events the capability emitted (and the runtime published), in emission order. The engine
  // matches the node's event edges against these first (docs/workflows.md, pass 1).
  std::vector<TraverseEvent> emitted_events;
  std::string trace_id;  // the step's TraceStore entry ("" if the runner keeps no trace)
};

// A step that did not produce an output. The engine stops the traversal at the first failure.
struct StepFailure {
  // snake_case runtime code: capability_not_found, request_invalid (input schema),
  // execution_failed, output_validation_failed, contract_violation, placement_unsupported, ...
  // `capability_not_found` makes the run fail with workflow_invalid and leaves the step
  // "entered" (reference rule); every other code is a step_execution_failed.
  std::string code;
  std::string error_class;              // PascalCase class, e.g. "ExecutionFailed", "Timeout"
  std::string message;                  // human text naming what failed
  std::optional<std::string> trace_id;  // the failure's trace entry, when one was written
  Value details = Value::object();      // e.g. {"violations": [...]} for schema failures
};

class StepRunner {
 public:
  virtual ~StepRunner() = default;

  // Runs one step. Success: the output, emitted events and trace id. Failure: a StepFailure;
  // nothing the step emitted may have been published. Must not throw (the engine converts an
  // escaping exception into an ExecutionFailed step failure). Thread-safe.
  [[nodiscard]] virtual std::expected<StepOutcome, StepFailure> run_step(
      const StepRequest& request) const = 0;

 protected:
  StepRunner() = default;
  StepRunner(const StepRunner&) = default;
  StepRunner& operator=(const StepRunner&) = default;
};

}  // namespace traverse
