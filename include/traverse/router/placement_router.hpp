// traverse/router/placement_router.hpp — the one path every capability execution takes
// (docs/architecture.md with D1 and D2).
//
// execute(): place (PlacementConstraintEvaluator) → pick the executor for the artifact type →
// run it with a fresh ExecutionContext → check the output (optional validator) → write exactly
// one public trace entry (plus the private entry with SHA-256 of canonical input/output) → only
// then publish the emitted events (Subscribable capabilities, success only; see
// event_publication.hpp). Failures after placement was attempted are traced too, as outcome
// Failure with the error class and message (D1). A failed execution, or a failed trace write,
// publishes nothing. A publish failure never fails the execution: it is returned in the response
// (D2). dispatch() is the first half alone (place, executor, run) for the TraverseRuntime, which
// owns the output contract, the trace and the events itself.
//
// Differences from the reference: placement runs before the executor lookup, so a missing
// executor is traced; failures are traced; events follow the trace commit; publish errors are
// reported, not ignored; a trace id that already exists is refused by the store
// (TraceWriteFailed) instead of overwritten.
//
// Ownership: the router shares the trace store and broker (std::shared_ptr) and keeps a copy of
// the executor registry. Thread safety: execute is safe to call from many threads at once; the
// router has no mutable state and holds no lock while a capability runs.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "traverse/events/event_broker.hpp"
#include "traverse/placement/placement_constraint_evaluator.hpp"
#include "traverse/router/capability_executor_registry.hpp"
#include "traverse/router/router_dispatch.hpp"
#include "traverse/router/router_error.hpp"
#include "traverse/router/router_request.hpp"
#include "traverse/router/router_response.hpp"
#include "traverse/support/completion.hpp"
#include "traverse/trace/trace_store.hpp"

namespace traverse {

using RouterDispatchResult = std::expected<RouterDispatch, RouterError>;

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

  // Place, find the executor and run it — nothing else: no output check, no trace entry, no
  // event published (request.output_validator and trace_id_override are ignored; `trace_id` is
  // handed to the ExecutionContext). Failure: PlacementFailed, ExecutorNotFound or
  // ExecutionFailed, with no trace written (trace_id empty). Exceptions from the executor are
  // contained as in execute. Thread-safe.
  [[nodiscard]] std::expected<RouterDispatch, RouterError> dispatch(RouterRequest request,
                                                                    std::string trace_id) const;

  // dispatch, asynchronously: placement and the executor lookup happen on the caller (a failure
  // there gives a completion that is already fulfilled); the executor's submit starts the run,
  // and the completion is fulfilled on the thread that finishes it. The router keeps the
  // request's input, capability and context alive until then. Thread-safe.
  [[nodiscard]] Completion<RouterDispatchResult> submit(RouterRequest request,
                                                        std::string trace_id) const;

  [[nodiscard]] const std::shared_ptr<TraceStore>& trace_store() const { return trace_store_; }
  [[nodiscard]] const std::shared_ptr<EventBroker>& broker() const { return broker_; }
  [[nodiscard]] const CapabilityExecutorRegistry& executors() const { return executors_; }

 private:
  struct Placed;
  // Placement, then the executor for the artifact type (the part of dispatch before the run).
  [[nodiscard]] std::expected<Placed, RouterError> place(const RouterRequest& request) const;

  const PlacementConstraintEvaluator evaluator_;
  const CapabilityExecutorRegistry executors_;
  const std::shared_ptr<TraceStore> trace_store_;  // provides its own synchronization
  const std::shared_ptr<EventBroker> broker_;      // provides its own synchronization
};

}  // namespace traverse
