// traverse/router/placement_router.hpp — the one path every capability execution takes
// (docs/architecture.md with D1 and D2).
//
// execute(): place (PlacementConstraintEvaluator) → pick the executor for the artifact type →
// run it with a fresh ExecutionContext → check the output (optional validator) → publish the
// emitted events (Subscribable capabilities, success only) → write exactly one public trace entry
// (plus the private entry with SHA-256 of canonical input/output). Failures after placement was
// attempted are traced too, as outcome Failure with the error class and message (D1). A failed
// execution publishes nothing. A publish failure never fails the execution: it is returned in
// the response and recorded in the trace entry (D2).
//
// Differences from the reference: placement runs before the executor lookup, so a missing
// executor is traced; failures are traced; publish errors are reported, not ignored; a trace id
// that already exists is refused by the store (TraceWriteFailed) instead of overwritten.
//
// Ownership: the router shares the trace store and broker (std::shared_ptr) and keeps a copy of
// the executor registry. Thread safety: execute is safe to call from many threads at once; the
// router has no mutable state and holds no lock while a capability runs.
#pragma once

#include <expected>
#include <memory>

#include "traverse/events/event_broker.hpp"
#include "traverse/placement/placement_constraint_evaluator.hpp"
#include "traverse/router/capability_executor_registry.hpp"
#include "traverse/router/router_error.hpp"
#include "traverse/router/router_request.hpp"
#include "traverse/router/router_response.hpp"
#include "traverse/trace/trace_store.hpp"

namespace traverse {

class PlacementRouter {
 public:
  // `trace_store`: where entries go; a null store is replaced by a fresh InMemoryTraceStore
  // (reachable through trace_store()). `broker`: where events go; null means every emitted event
  // is reported as a publish error ("no event broker configured").
  PlacementRouter(PlacementConstraintEvaluator evaluator, CapabilityExecutorRegistry executors,
                  std::shared_ptr<TraceStore> trace_store, std::shared_ptr<EventBroker> broker);

  // Runs one execution (see the file comment). Success: output, events offered to the broker,
  // publish errors, the trace id and the placement decision. Failure: RouterError (its header
  // lists the kinds); a Failure trace entry exists unless trace_id is empty. An exception thrown
  // by an executor is contained and becomes ExecutionFailed("capability panicked: ...").
  // Thread-safe.
  [[nodiscard]] std::expected<RouterResponse, RouterError> execute(RouterRequest request) const;

  [[nodiscard]] const std::shared_ptr<TraceStore>& trace_store() const { return trace_store_; }
  [[nodiscard]] const std::shared_ptr<EventBroker>& broker() const { return broker_; }
  [[nodiscard]] const CapabilityExecutorRegistry& executors() const { return executors_; }

 private:
  const PlacementConstraintEvaluator evaluator_;
  const CapabilityExecutorRegistry executors_;
  const std::shared_ptr<TraceStore> trace_store_;  // provides its own synchronization
  const std::shared_ptr<EventBroker> broker_;      // provides its own synchronization
};

}  // namespace traverse
