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

// What kind of step failure it is: how the engine ends the run (docs/workflows.md).
enum class StepFailureKind {
  // The step's capability did not resolve: the run fails with workflow_invalid and the step stays
  // "entered" (the reference's rule).
  CapabilityNotFound,
  // Anything else (invalid input or output, execution failure, timeout, placement, ...): the step
  // is marked failed and the run fails with step_execution_failed.
  StepFailed,
};

// A step that did not produce an output. The engine stops the traversal at the first failure.
class StepFailure {
 public:
  // An execution_failed failure with no message (a placeholder until a runner answers).
  StepFailure() = default;
  // `code`: the snake_case runtime code (capability_not_found, request_invalid for the input
  // schema, execution_failed, output_validation_failed, contract_violation, ...); empty means
  // execution_failed. `error_class`: its PascalCase class ("ExecutionFailed", "Timeout", ...);
  // empty means ExecutionFailed. `trace_id`: the failure's trace entry, when one was written.
  // `details`: e.g. {"violations": [...]} for schema failures.
  StepFailure(std::string code, std::string error_class, std::string message,
              std::optional<std::string> trace_id = std::nullopt, Value details = Value::object())
      : code_(code.empty() ? "execution_failed" : std::move(code)),
        error_class_(error_class.empty() ? "ExecutionFailed" : std::move(error_class)),
        message_(std::move(message)),
        trace_id_(std::move(trace_id)),
        details_(details.is_object() ? std::move(details) : Value::object()) {}

  [[nodiscard]] StepFailureKind kind() const {
    return code_ == "capability_not_found" ? StepFailureKind::CapabilityNotFound
                                           : StepFailureKind::StepFailed;
  }
  [[nodiscard]] const std::string& code() const { return code_; }
  [[nodiscard]] const std::string& error_class() const { return error_class_; }
  // Names what failed (without the step: the engine adds the node).
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] const std::optional<std::string>& trace_id() const { return trace_id_; }
  [[nodiscard]] const Value& details() const { return details_; }
  // "code: message".
  [[nodiscard]] std::string to_string() const { return code_ + ": " + message_; }

 private:
  std::string code_ = "execution_failed";
  std::string error_class_ = "ExecutionFailed";
  std::string message_;
  std::optional<std::string> trace_id_;
  Value details_ = Value::object();
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
