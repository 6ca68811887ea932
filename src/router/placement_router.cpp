#include "traverse/router/placement_router.hpp"

#include <cxxabi.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "traverse/executor/execution_context.hpp"
#include "traverse/router/event_publication.hpp"
#include "traverse/support/ids.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"

namespace traverse {

namespace {

std::uint64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  const auto elapsed = std::chrono::steady_clock::now() - since;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
}

// Runs the executor, containing anything it throws (user code must not take the router down,
// and the attempt must still be traced). Thread cancellation (abi::__forced_unwind) is not an
// error of the capability: it must keep unwinding, or the process aborts.
// UBSan's null check is off here: catching abi::__forced_unwind binds a reference to an
// exception that has no C++ object (the documented idiom, not undefined behaviour in practice).
[[gnu::no_sanitize("null")]] std::expected<ExecutorOutput, ExecutorError> run_contained(
    const CapabilityExecutor& executor, const ExecutorCapability& capability, const Value& input,
    ExecutionContext& context) {
  try {
    return executor.execute(capability, input, context);
  } catch (const std::exception& error) {
    return std::unexpected(
        ExecutorError::execution_failed(std::string("capability panicked: ") + error.what()));
  } catch (abi::__forced_unwind&) {
    throw;  // thread cancellation: caught without a rethrow it aborts the process
  } catch (...) {
    return std::unexpected(ExecutorError::execution_failed("capability panicked"));
  }
}

// As run_contained, for submit: an executor that runs the call on the caller's thread may throw
// from submit itself.
[[gnu::no_sanitize("null")]] ExecutorCompletion submit_contained(
    const CapabilityExecutor& executor, const ExecutorCapability& capability, const Value& input,
    ExecutionContext& context) {
  const auto failed = [](std::string message) {
    return ExecutorCompletion::fulfilled(
        std::unexpected(ExecutorError::execution_failed(std::move(message))));
  };
  try {
    return executor.submit(capability, input, context);
  } catch (const std::exception& error) {
    return failed(std::string("capability panicked: ") + error.what());
  } catch (abi::__forced_unwind&) {
    throw;  // thread cancellation must keep unwinding
  } catch (...) {
    return failed("capability panicked");
  }
}

}  // namespace

PlacementRouter::PlacementRouter(PlacementConstraintEvaluator evaluator,
                                 CapabilityExecutorRegistry executors,
                                 std::shared_ptr<TraceStore> trace_store,
                                 std::shared_ptr<EventBroker> broker)
    : evaluator_(evaluator),
      executors_(std::move(executors)),
      trace_store_(trace_store ? std::move(trace_store) : std::make_shared<InMemoryTraceStore>()),
      broker_(std::move(broker)) {}

struct PlacementRouter::Placed {
  PlacementDecision decision;
  std::shared_ptr<const CapabilityExecutor> executor;
};

std::expected<PlacementRouter::Placed, RouterError> PlacementRouter::place(
    const RouterRequest& request) const {
  // 1. Placement.
  const PlacementRequest placement_request{request.capability.capability_id, request.target_hint,
                                           request.snapshot};
  auto decision = evaluator_.evaluate(placement_request, request.placement);
  if (!decision) {
    return std::unexpected(RouterError::placement_failed(std::move(decision.error())));
  }

  // 2. Executor for the artifact type.
  const std::shared_ptr<const CapabilityExecutor>& executor =
      executors_.find(request.capability.artifact_type);
  if (!executor) {
    return std::unexpected(
        RouterError::executor_not_found(request.capability.artifact_type, *decision));
  }
  return Placed{*decision, executor};
}

namespace {

// The executor's result as dispatch returns it.
RouterDispatchResult to_dispatch(ExecutorResult result, const PlacementDecision& decision,
                                 std::uint64_t duration_ms, const ExecutionContext& context) {
  if (!result) {
    return std::unexpected(RouterError::execution_failed(std::move(result.error()), decision,
                                                         duration_ms, context.attempts()));
  }
  return RouterDispatch{decision, std::move(*result), duration_ms, context.attempts()};
}

// One asynchronous run: what the executor reads until it completes.
struct PendingRun {
  PendingRun(RouterRequest&& request, std::string trace_id, PlacementDecision placement_decision)
      : capability(std::move(request.capability)),
        input(std::move(request.input)),
        context(capability, std::move(request.execution_id), std::move(trace_id),
                std::move(request.runtime_config)),
        decision(std::move(placement_decision)) {}

  ExecutorCapability capability;
  Value input;
  ExecutionContext context;  // refers to `capability`: PendingRun never moves
  PlacementDecision decision;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

}  // namespace

std::expected<RouterDispatch, RouterError> PlacementRouter::dispatch(RouterRequest request,
                                                                     std::string trace_id) const {
  auto placed = place(request);
  if (!placed) {
    return std::unexpected(std::move(placed.error()));
  }
  // 3. Run. No lock is held here: the router has no mutable state.
  ExecutionContext context(request.capability, request.execution_id, std::move(trace_id),
                           std::move(request.runtime_config));
  const auto started = std::chrono::steady_clock::now();
  auto result = run_contained(*placed->executor, request.capability, request.input, context);
  return to_dispatch(std::move(result), placed->decision, elapsed_ms(started), context);
}

Completion<RouterDispatchResult> PlacementRouter::submit(RouterRequest request,
                                                         std::string trace_id) const {
  auto placed = place(request);
  if (!placed) {
    return Completion<RouterDispatchResult>::fulfilled(std::unexpected(std::move(placed.error())));
  }
  auto run = std::make_unique<PendingRun>(std::move(request), std::move(trace_id),
                                          std::move(placed->decision));
  ExecutorCompletion started =
      submit_contained(*placed->executor, run->capability, run->input, run->context);
  CompletionPromise<RouterDispatchResult> promise;
  Completion<RouterDispatchResult> completion = promise.completion();
  std::move(started).then(
      [run = std::move(run), promise = std::move(promise)](ExecutorResult result) mutable {
        RouterDispatchResult dispatched =
            to_dispatch(std::move(result), run->decision, elapsed_ms(run->started), run->context);
        run.reset();  // the executor is done with the call's input and context
        promise.fulfil(std::move(dispatched));
      });
  return completion;
}

std::expected<RouterResponse, RouterError> PlacementRouter::execute(RouterRequest request) const {
  const std::string trace_id =
      request.trace_id_override ? *request.trace_id_override : new_uuid_v7();
  const bool keep_payloads = trace_store_->keeps_payloads();

  PublicTraceEntry entry;
  entry.id = trace_id;
  entry.execution_id = request.execution_id;
  entry.source = "traverse-runtime/" + request.capability.capability_id;
  entry.time = rfc3339_now();
  entry.capability_id = request.capability.capability_id;
  entry.capability_version = request.capability.capability_version;
  entry.workflow_run_id = request.workflow_run_id;
  entry.step_index = request.step_index;

  // Writes the one Failure entry of this attempt and returns the error to hand back.
  const auto fail = [&](RouterError error,
                        std::uint64_t duration_ms) -> std::unexpected<RouterError> {
    entry.outcome = TraceOutcome::Failure;
    if (error.placement_decision()) {
      entry.placement_target = std::string(debug_name(error.placement_decision()->target));
    }
    entry.error_class = error.error_class();
    entry.error_message = error.message();
    entry.duration_ms = duration_ms;
    for (const ExecutionAttempt& attempt : error.attempts()) {
      entry.attempts.push_back({attempt.number, attempt.node, attempt.outcome,
                                attempt.remote_duration_us, attempt.round_trip_us});
    }
    auto written = trace_store_->insert(
        entry,
        make_private_trace_entry(trace_id, request.input, nullptr, duration_ms, keep_payloads));
    if (written) {
      error.set_trace_id(trace_id);
    } else {
      error.set_trace_error(std::move(written.error()));
    }
    return std::unexpected(std::move(error));
  };

  // 1-3. Place, executor, run.
  const SchemaValidator* output_validator = request.output_validator;
  const Value input = request.input;
  const ExecutorCapability capability = request.capability;
  auto dispatched = dispatch(std::move(request), trace_id);
  if (!dispatched) {
    const std::uint64_t duration = dispatched.error().duration_ms();
    return fail(std::move(dispatched.error()), duration);
  }
  entry.placement_target = std::string(debug_name(dispatched->placement_decision.target));
  const std::uint64_t duration_ms = dispatched->duration_ms;
  for (const ExecutionAttempt& attempt : dispatched->attempts) {
    entry.attempts.push_back({attempt.number, attempt.node, attempt.outcome,
                              attempt.remote_duration_us, attempt.round_trip_us});
  }

  // 4. Output contract.
  if (output_validator != nullptr) {
    ValidationErrors violations = output_validator->validate(dispatched->output.value);
    if (!violations.empty()) {
      return fail(RouterError::output_validation_failed(std::move(violations),
                                                        dispatched->placement_decision),
                  duration_ms);
    }
  }

  // 5. Trace, before anything is published: nothing happens without a record.
  PublicationPlan plan = plan_publication(capability, std::move(dispatched->output.emitted_events),
                                          broker_ != nullptr);
  entry.outcome = TraceOutcome::Success;
  entry.duration_ms = duration_ms;
  entry.published_events = offered_ids(plan);
  entry.publish_errors = plan.refused;
  PrivateTraceEntry private_entry = make_private_trace_entry(
      trace_id, input, &dispatched->output.value, duration_ms, keep_payloads);
  private_entry.published_events = offered_envelopes(plan);
  auto written = trace_store_->insert(std::move(entry), std::move(private_entry));
  if (!written) {
    return std::unexpected(RouterError::trace_write_failed(std::move(written.error()),
                                                           dispatched->placement_decision));
  }

  // 6. Publish (success only, after the commit). Nothing is dropped silently: every event is
  // either published or reported.
  RouterResponse response;
  response.publish_errors = std::move(plan.refused);
  if (broker_) {
    std::vector<TracePublishError> failed = publish_planned(*broker_, plan);
    response.publish_errors.insert(response.publish_errors.end(),
                                   std::make_move_iterator(failed.begin()),
                                   std::make_move_iterator(failed.end()));
  }
  response.emitted_events = std::move(plan.emitted);
  response.output = std::move(dispatched->output.value);
  response.trace_id = trace_id;
  response.placement_decision = dispatched->placement_decision;
  response.duration_ms = duration_ms;
  return response;
}

}  // namespace traverse
