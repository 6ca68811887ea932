#include "runtime_core.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "traverse/contracts/semver.hpp"
#include "traverse/router/event_publication.hpp"
#include "traverse/support/ids.hpp"
#include "traverse/trace/trace_entry.hpp"

namespace traverse {

namespace code = runtime_error_code;

namespace {

Value violations_json(const ValidationErrors& errors) {
  Value list = Value::array();
  for (const ValidationError& error : errors) {
    list.push_back(
        Value{{"code", error.code()}, {"path", error.path()}, {"message", error.message()}});
  }
  return list;
}

RuntimeError make_error(std::string_view error_code, std::string message,
                        Value details = Value::object()) {
  return RuntimeError{std::string(error_code), std::move(message), std::move(details)};
}

// The runtime request rules (docs/formats.md, "Runtime request") on a request struct
// (parse_runtime_request enforces them on documents; a struct built in code gets the same checks
// here).
ValidationErrors check_request(const RuntimeRequest& request) {
  ValidationErrors errors;
  const auto add = [&errors](std::string path, std::string message) {
    errors.push_back({"InvalidRequest", std::move(path), std::move(message), ""});
  };
  if (request.request_id.empty()) {
    add("$.request_id", "request_id must be non-empty");
  }
  const bool has_id = request.capability_id && !request.capability_id->empty();
  const bool has_key = request.intent_key && !request.intent_key->empty();
  if (!has_id && !has_key) {
    add("$.intent", "the intent needs a non-empty capability_id or intent_key");
  }
  if (request.capability_version) {
    if (!is_semver(*request.capability_version)) {
      add("$.intent.capability_version",
          "\"" + *request.capability_version + "\" is not a semantic version");
    }
    if (!has_id) {
      add("$.intent.capability_version", "capability_version requires capability_id");
    }
  }
  if (request.version_range) {
    if (!SemVerRange::parse(*request.version_range)) {
      add("$.intent.version_range",
          "\"" + *request.version_range + "\" is not a semantic version range");
    }
    if (!has_id) {
      add("$.intent.version_range", "version_range requires capability_id");
    }
    if (request.capability_version) {
      add("$.intent.version_range", "version_range and capability_version are mutually exclusive");
    }
  }
  return errors;
}

RuntimeError from_registry_error(const RegistryError& error) {
  switch (error.kind()) {
    case RegistryErrorCode::NotFound:
      return make_error(code::kCapabilityNotFound, error.message());
    case RegistryErrorCode::Ambiguous:
      return make_error(code::kCapabilityAmbiguous, error.message());
    case RegistryErrorCode::NotRunnable:
      return make_error(code::kCapabilityNotRunnable, error.message(),
                        Value{{"reason", "lifecycle_not_runnable"}});
    case RegistryErrorCode::InvalidRange:
    case RegistryErrorCode::InvalidArgument:
      return make_error(code::kRequestInvalid, error.message());
    case RegistryErrorCode::ImmutableVersionConflict:
    case RegistryErrorCode::CapacityExceeded:
      break;
  }
  return make_error(code::kCapabilityNotFound, to_string(error));
}

bool visible(Scope scope, LookupScope lookup) {
  return lookup == LookupScope::PreferPrivate || scope == Scope::Public;
}

bool matches_intent(const CapabilityRecord& record, const std::string& key) {
  if (record.contract.id == key) {
    return true;
  }
  const Value& document = record.contract.document;
  if (document.is_object()) {
    const auto it = document.find("intent_key");
    return it != document.end() && it->is_string() && it->get<std::string>() == key;
  }
  return false;
}

// Discovery by intent_key: runnable, visible records matching the key; a private id@version
// hides the public one (PreferPrivate). None → not found; several → ambiguous.
std::expected<CapabilityRecordPtr, RuntimeError> resolve_intent(const CapabilityRegistry& registry,
                                                                const std::string& key,
                                                                LookupScope lookup) {
  std::vector<CapabilityRecordPtr> candidates;
  for (CapabilityRecordPtr& record : registry.list()) {
    if (!visible(record->scope, lookup) || !record->runnable() || !matches_intent(*record, key)) {
      continue;
    }
    const auto same_key = std::find_if(
        candidates.begin(), candidates.end(),
        [&](const CapabilityRecordPtr& other) { return other->key() == record->key(); });
    if (same_key == candidates.end()) {
      candidates.push_back(std::move(record));
    } else if (record->scope == Scope::Private) {
      *same_key = std::move(record);
    }
  }
  if (candidates.empty()) {
    return std::unexpected(make_error(
        code::kCapabilityNotFound,
        "no runnable capability matches intent_key '" + key + "' (" +
            (lookup == LookupScope::PublicOnly ? "public_only" : "prefer_private") + ")"));
  }
  if (candidates.size() > 1) {
    Value list = Value::array();
    std::string names;
    for (const CapabilityRecordPtr& candidate : candidates) {
      list.push_back(candidate->key());
      names += (names.empty() ? "" : ", ") + candidate->key();
    }
    return std::unexpected(make_error(code::kCapabilityAmbiguous,
                                      "intent_key '" + key + "' matches several capabilities: " +
                                          names + "; name a capability id and version",
                                      Value{{"candidates", std::move(list)}}));
  }
  return std::move(candidates.front());
}

bool contains_target(const std::vector<ExecutionTarget>& targets, ExecutionTarget target) {
  return std::find(targets.begin(), targets.end(), target) != targets.end();
}

bool is_sha256_digest(std::string_view digest) {
  if (digest.starts_with("sha256:")) {
    return true;
  }
  return digest.size() == 64 && std::all_of(digest.begin(), digest.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

ExecutorCapability executor_capability_for(const CapabilityRecord& record) {
  ExecutorCapability capability;
  capability.capability_id = record.contract.id;
  capability.capability_version = record.contract.version;
  capability.emits = record.contract.emits;
  capability.service_type = record.contract.service_type;
  if (record.artifact.kind == ArtifactKind::Wasm) {
    capability.artifact_type = ArtifactType::Wasm;
    capability.wasm_binary_path = record.artifact.wasm_path.string();
    // D10: fnv1a64 package digests were verified at load; the module's SHA-256 (registered
    // directly, or taken from a package's bytes at load) is checked before every execution.
    if (is_sha256_digest(record.artifact.wasm_digest)) {
      capability.wasm_checksum = record.artifact.wasm_digest;
    } else if (!record.artifact.wasm_sha256.empty()) {
      capability.wasm_checksum = record.artifact.wasm_sha256;
    }
  } else {
    capability.artifact_type = ArtifactType::Native;
  }
  return capability;
}

std::uint64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - since)
                      .count();
  return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
}

RuntimeError from_router_error(const RouterError& error) {
  Value details{{"error_class", error.error_class()}};
  switch (error.kind()) {
    case RouterErrorKind::PlacementFailed:
      return make_error(code::kPlacementUnsupported, error.message(), std::move(details));
    case RouterErrorKind::ExecutorNotFound:
      details["artifact_type"] = to_string(error.artifact_type());
      return make_error(code::kArtifactMissing, error.message(), std::move(details));
    case RouterErrorKind::ExecutionFailed:
      if (error.executor_error()) {
        details["executor_message"] = error.executor_error()->message();
      }
      return make_error(code::kExecutionFailed, error.message(), std::move(details));
    case RouterErrorKind::OutputValidationFailed:
      details["violations"] = violations_json(error.violations());
      return make_error(code::kOutputValidationFailed, error.message(), std::move(details));
    case RouterErrorKind::TraceWriteFailed:
      if (error.trace_error()) {
        details["trace_error"] = error.trace_error()->to_string();
      }
      return make_error(code::kTraceWriteFailed, error.message(), std::move(details));
  }
  return make_error(code::kExecutionFailed, error.message(), std::move(details));
}

std::string pascal_case(std::string_view snake) {
  std::string text;
  bool upper = true;
  for (const char c : snake) {
    if (c == '_') {
      upper = true;
      continue;
    }
    text += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return text;
}

}  // namespace

std::shared_ptr<const CompiledSchemas> TraverseRuntime::Core::schemas_for(
    const CapabilityRecord& record) {
  {
    std::shared_lock lock(validators_mutex);
    if (const auto it = validators.find(record.fingerprint); it != validators.end()) {
      return it->second;
    }
  }
  // Compile outside the lock; a concurrent first use may compile twice, the first insert wins.
  auto schemas = std::make_shared<CompiledSchemas>();
  if (auto input = SchemaValidator::compile(record.contract.input_schema, schema_profile)) {
    schemas->input.emplace(std::move(*input));
  } else {
    schemas->input_errors = std::move(input.error());
  }
  if (auto output = SchemaValidator::compile(record.contract.output_schema, schema_profile)) {
    schemas->output.emplace(std::move(*output));
  } else {
    schemas->output_errors = std::move(output.error());
  }
  std::unique_lock lock(validators_mutex);
  if (const auto it = validators.find(record.fingerprint); it != validators.end()) {
    return it->second;
  }
  if (validators.size() < validator_cache_capacity) {
    validators.emplace(record.fingerprint, schemas);
  }
  return schemas;
}

void TraverseRuntime::Core::remember(std::shared_ptr<const RuntimeTrace> trace) {
  std::shared_ptr<const RuntimeTrace> evicted;  // destroyed after the lock is released
  std::lock_guard lock(traces_mutex);
  const RuntimeTrace* kept = trace.get();
  if (trace_ring.size() < runtime_trace_capacity) {
    if (trace_ring.empty()) {
      // Sized once: no rehash while the ring fills (bounded, the index stays small).
      traces.reserve(std::min<std::size_t>(runtime_trace_capacity, 4096));
    }
    trace_ring.push_back(std::move(trace));
  } else {
    std::shared_ptr<const RuntimeTrace>& slot = trace_ring[trace_ring_next];
    trace_ring_next = (trace_ring_next + 1) % trace_ring.size();
    if (const auto it = traces.find(slot->trace_id);
        it != traces.end() && it->second == slot.get()) {
      traces.erase(it);
    }
    evicted = std::exchange(slot, std::move(trace));
  }
  traces.insert_or_assign(std::string_view(kept->trace_id), kept);
}

// ---------------------------------------------------------------------------------------------
// The pipeline. One attempt moves through small named phases, in this order:
//   check the request → resolve → check eligibility → validate input → place and execute (the
//   router's dispatch, or the workflow runner) → validate output → record the trace → publish
//   events → return.
// A phase that stops the attempt returns its RuntimeError; conclude_failure then records the
// attempt (Rejected when nothing ran, else Failure). Every attempt leaves exactly one TraceStore
// entry whose id is the result's trace_ref — or, when that write fails, a trace_write_failed
// error with an empty trace_ref (a caller never sees a reference that does not resolve). Events
// are published only after the entry is committed.

namespace {

using Core = TraverseRuntime::Core;
using Phase = std::expected<void, RuntimeError>;

// The state of one attempt as it moves through the phases.
struct Attempt {
  const RuntimeRequest* request = nullptr;
  const WorkflowStepContext* step = nullptr;
  std::chrono::steady_clock::time_point started;
  std::shared_ptr<RuntimeTrace> trace;
  RuntimeResult result;
  CapabilityRecordPtr record;
  WorkflowRecordPtr workflow;
  std::shared_ptr<const CompiledSchemas> schemas;
  std::optional<WorkflowRun> run;
  std::chrono::steady_clock::time_point workflow_started;
  bool remote = false;  // placed on a node (remote_execution.hpp)
};

Attempt begin_attempt(const RuntimeRequest& request, const WorkflowStepContext* step) {
  Attempt attempt;
  attempt.request = &request;
  attempt.step = step;
  attempt.started = std::chrono::steady_clock::now();
  auto trace = std::make_shared<RuntimeTrace>();
  trace->trace_id = new_uuid_v7();
  trace->request_id = request.request_id;
  trace->execution_id = "exec_" + request.request_id;
  if (step != nullptr) {
    trace->execution_id += "_step_" + std::to_string(step->step_index);
    trace->workflow_run_id = step->workflow_run_id;
    trace->step_index = step->step_index;
  }
  trace->request = request;
  trace->requested_target = request.requested_target;
  trace->received_at = std::chrono::system_clock::now();
  attempt.result.execution_id = trace->execution_id;
  attempt.result.request_id = request.request_id;
  attempt.result.trace_ref = trace->trace_id;
  attempt.trace = std::move(trace);
  return attempt;
}

// ---- Phase: the request itself ----

Phase check_request_phase(const Attempt& attempt) {
  const RuntimeRequest& request = *attempt.request;
  if (ValidationErrors problems = check_request(request); !problems.empty()) {
    std::string message = "runtime request is invalid: " + std::to_string(problems.size()) +
                          " violation(s); first: " + problems.front().path() + ": " +
                          problems.front().message();
    return std::unexpected(make_error(code::kRequestInvalid, std::move(message),
                                      Value{{"violations", violations_json(problems)}}));
  }
  const auto target = parse_execution_target(request.requested_target);
  if (!target) {
    return std::unexpected(make_error(
        code::kRequestInvalid, "$.context.requested_target: \"" + request.requested_target +
                                   "\" is not an execution target; expected local, browser, edge, "
                                   "cloud, worker or device"));
  }
  if (*target != ExecutionTarget::Local) {
    return std::unexpected(make_error(code::kPlacementUnsupported,
                                      "requested target '" + request.requested_target +
                                          "' is not supported; this runtime executes locally "
                                          "(expected \"local\")",
                                      Value{{"requested_target", request.requested_target}}));
  }
  return {};
}

// ---- Phase: resolve ----

Phase resolve(const Core& core, Attempt& attempt) {
  const RuntimeRequest& request = *attempt.request;
  std::expected<CapabilityRecordPtr, RuntimeError> resolved;
  if (request.capability_id && !request.capability_id->empty()) {
    CapabilityQuery query;
    query.capability_id = *request.capability_id;
    query.version = request.capability_version;
    query.version_range = request.version_range;
    query.scope = request.scope;
    query.require_runnable = true;
    auto found = core.capabilities->resolve(query);
    if (found) {
      resolved = std::move(*found);
    } else {
      resolved = std::unexpected(from_registry_error(found.error()));
    }
  } else {
    resolved = resolve_intent(*core.capabilities, *request.intent_key, request.scope);
  }
  if (!resolved) {
    return std::unexpected(std::move(resolved.error()));
  }
  attempt.record = std::move(*resolved);
  const CapabilityRecord& record = *attempt.record;
  attempt.trace->capability_id = record.contract.id;
  attempt.trace->capability_version = record.contract.version;
  attempt.trace->scope = record.scope;
  attempt.trace->artifact_ref = record.artifact.describe();
  return {};
}

// ---- Phase: eligibility ----

Phase check_workflow_eligibility(const Core& core, Attempt& attempt) {
  const CapabilityRecord& record = *attempt.record;
  const CapabilityContract& contract = record.contract;
  if (!record.artifact.workflow) {
    return std::unexpected(make_error(
        code::kArtifactMissing, contract.key() + " is workflow-backed but names no workflow_ref"));
  }
  if (!core.workflow_runner) {
    return std::unexpected(make_error(
        code::kArtifactMissing, contract.key() +
                                    " is workflow-backed but this runtime has no workflow runner "
                                    "(TraverseRuntime::Builder::with_workflow_runner)"));
  }
  const WorkflowRef& ref = *record.artifact.workflow;
  auto found = core.workflows->find_exact(ref.workflow_id, ref.workflow_version,
                                          lookup_scope_for(record.scope));
  if (!found) {
    return std::unexpected(make_error(code::kArtifactMissing,
                                      contract.key() + " runs workflow " + ref.workflow_id + "@" +
                                          ref.workflow_version +
                                          ", which is not registered: " + found.error().message()));
  }
  attempt.workflow = std::move(*found);
  return {};
}

Phase check_local_eligibility(const Core& core, const CapabilityRecord& record) {
  const CapabilityContract& contract = record.contract;
  if (!contains_target(contract.preferred_targets, ExecutionTarget::Local) ||
      contract.constraints.host_api_access != "none" ||
      contract.constraints.network_access != "forbidden") {
    return std::unexpected(
        make_error(code::kCapabilityNotRunnable,
                   contract.key() +
                       " is not runnable locally; expected execution.preferred_targets to include "
                       "local, host_api_access \"none\" and network_access \"forbidden\"",
                   Value{{"reason", "not_runnable_locally"}}));
  }
  if (record.artifact.kind == ArtifactKind::Wasm && record.artifact.wasm_path.empty()) {
    return std::unexpected(
        make_error(code::kArtifactMissing, contract.key() + " has no WebAssembly binary location"));
  }
  if (record.artifact.kind == ArtifactKind::Native && core.native_handler_ids) {
    const std::string& handler = record.artifact.native_handler_id;
    if (!handler.empty() && handler != contract.id) {
      return std::unexpected(make_error(
          code::kArtifactMissing, contract.key() + " names native handler '" + handler +
                                      "'; the runtime looks native handlers up by capability id "
                                      "(expected '" +
                                      contract.id + "')"));
    }
    if (!core.native_handler_ids->contains(contract.id)) {
      return std::unexpected(make_error(
          code::kArtifactMissing, "no native handler registered for capability '" + contract.id +
                                      "' and no WebAssembly package attached to " +
                                      contract.key()));
    }
  }
  return {};
}

// With remote execution configured (remote_execution.hpp): runs locally when it can and
// should, else on a node that serves it, else placement_unsupported (reason no_node_serves).
Phase check_remote_eligibility(const Core& core, Attempt& attempt) {
  const CapabilityContract& contract = attempt.record->contract;
  const bool prefers_remote =
      core.remote_only || (!contract.preferred_targets.empty() &&
                           contract.preferred_targets.front() != ExecutionTarget::Local);
  std::string why = core.remote_only ? "this runtime runs every capability remotely"
                                     : "its contract prefers a remote target";
  if (!prefers_remote) {
    Phase local = check_local_eligibility(core, *attempt.record);
    if (local || local.error().kind() != RuntimeErrorKind::ArtifactMissing) {
      return local;
    }
    why = "it has no local implementation (" + local.error().message() + ")";
  }
  if (!core.remote->serves(contract.id, contract.version)) {
    return std::unexpected(make_error(
        code::kPlacementUnsupported,
        contract.key() + " must run on a node because " + why + ", and no node serves it",
        Value{{"reason", "no_node_serves"}}));
  }
  attempt.remote = true;
  return {};
}

Phase check_eligibility(const Core& core, Attempt& attempt) {
  const CapabilityRecord& record = *attempt.record;
  if (!record.runnable()) {
    return std::unexpected(make_error(code::kCapabilityNotRunnable,
                                      record.contract.key() + " has lifecycle " +
                                          std::string(to_string(record.contract.lifecycle)) +
                                          "; expected active or deprecated",
                                      Value{{"reason", "lifecycle_not_runnable"}}));
  }
  if (record.artifact.kind == ArtifactKind::Workflow) {
    return check_workflow_eligibility(core, attempt);
  }
  if (core.remote) {
    return check_remote_eligibility(core, attempt);
  }
  return check_local_eligibility(core, record);
}

// ---- Phase: input contract (both schema checks live in this file) ----

Phase validate_input(Core& core, Attempt& attempt) {
  const CapabilityContract& contract = attempt.record->contract;
  attempt.schemas = core.schemas_for(*attempt.record);
  if (!attempt.schemas->input || !attempt.schemas->output) {
    ValidationErrors problems = attempt.schemas->input_errors;
    problems.insert(problems.end(), attempt.schemas->output_errors.begin(),
                    attempt.schemas->output_errors.end());
    return std::unexpected(make_error(code::kContractViolation,
                                      contract.key() +
                                          " declares a schema that cannot be enforced: " +
                                          std::to_string(problems.size()) + " problem(s)",
                                      Value{{"violations", violations_json(problems)}}));
  }
  if (ValidationErrors violations = attempt.schemas->input->validate(attempt.request->input);
      !violations.empty()) {
    std::string message = "input does not match the input schema of " + contract.key() + ": " +
                          std::to_string(violations.size()) +
                          " violation(s); first: " + violations.front().path() + ": " +
                          violations.front().message();
    return std::unexpected(make_error(code::kRequestInvalid, std::move(message),
                                      Value{{"violations", violations_json(violations)}}));
  }
  return {};
}

// ---- Phase: output contract ----

Phase validate_output(const Attempt& attempt, const Value& output) {
  ValidationErrors violations = attempt.schemas->output->validate(output);
  if (violations.empty()) {
    return {};
  }
  // The same wording as the router's own output check.
  const RouterError error =
      RouterError::output_validation_failed(std::move(violations), std::nullopt);
  attempt.trace->error_class = error.error_class();
  attempt.trace->failure_reason = error.message();
  return std::unexpected(from_router_error(error));
}

// ---- Phase: place and execute (the router's dispatch) ----

// The router's half of the attempt: what to place and run.
RouterRequest routed_request(const Core& core, const Attempt& attempt) {
  RouterRequest routed;
  routed.capability = executor_capability_for(*attempt.record);
  routed.placement = PlacementConstraints::from_contract(attempt.record->contract);
  routed.input = attempt.request->input;
  routed.target_hint = ExecutionTarget::Local;
  if (attempt.remote) {
    // Traced as the first non-local target the contract prefers (Worker when none): a node.
    const auto& preferred = attempt.record->contract.preferred_targets;
    const auto remote = std::find_if(preferred.begin(), preferred.end(),
                                     [](ExecutionTarget t) { return t != ExecutionTarget::Local; });
    routed.target_hint = remote == preferred.end() ? ExecutionTarget::Worker : *remote;
    if (!contains_target(routed.placement.permitted_targets, *routed.target_hint)) {
      routed.placement.permitted_targets.push_back(*routed.target_hint);
    }
  }
  routed.execution_id = attempt.trace->execution_id;
  if (attempt.step != nullptr) {
    routed.workflow_run_id = attempt.step->workflow_run_id;
    routed.step_index = attempt.step->step_index;
  }
  routed.runtime_config = core.runtime_config;
  return routed;
}

// The executor's remote tries as the trace records them.
std::vector<TraceAttempt> trace_attempts(const std::vector<ExecutionAttempt>& attempts) {
  std::vector<TraceAttempt> traced;
  traced.reserve(attempts.size());
  for (const ExecutionAttempt& attempt : attempts) {
    traced.push_back({attempt.number, attempt.node, attempt.outcome, attempt.remote_duration_us,
                      attempt.round_trip_us});
  }
  return traced;
}

// Notes what the router's dispatch gave in the RuntimeTrace (started_at was set before it).
std::expected<RouterDispatch, RuntimeError> note_dispatch(Attempt& attempt,
                                                          RouterDispatchResult dispatched) {
  RuntimeTrace& trace = *attempt.trace;
  trace.completed_at = std::chrono::system_clock::now();
  if (!dispatched) {
    const RouterError& error = dispatched.error();
    trace.attempts = trace_attempts(error.attempts());
    const bool started = error.kind() == RouterErrorKind::ExecutionFailed;
    trace.execution_status =
        started ? RuntimeExecutionStatus::Failed : RuntimeExecutionStatus::NotStarted;
    trace.placement = error.placement_decision();
    if (error.placement_error()) {
      trace.placement_failure = error.placement_error()->message();
    }
    trace.execution_duration_ms = error.duration_ms();
    trace.error_class = error.error_class();
    trace.failure_reason = error.message();
    return std::unexpected(from_router_error(error));
  }
  trace.placement = dispatched->placement_decision;
  trace.execution_duration_ms = dispatched->duration_ms;
  trace.execution_status = RuntimeExecutionStatus::Succeeded;
  trace.attempts = trace_attempts(dispatched->attempts);
  return std::move(*dispatched);
}

// ---- Phase: workflow-backed execution (the configured WorkflowRunner) ----

// The run a workflow runner that threw stands for.
WorkflowRun workflow_runner_failed(const WorkflowInvocation& invocation, std::string message) {
  WorkflowRun run;
  run.status = WorkflowRunStatus::Error;
  run.request_id = invocation.request_id;
  run.workflow_id = invocation.workflow->definition.id;
  run.workflow_version = invocation.workflow->definition.version;
  run.error = WorkflowRunError{WorkflowFailureReason::StepExecutionFailed,
                               std::string(code::kExecutionFailed),
                               "ExecutionFailed",
                               std::move(message),
                               std::nullopt,
                               std::nullopt,
                               Value::object()};
  return run;
}

// [[gnu::no_sanitize("null")]]: catching abi::__forced_unwind binds a reference to an exception
// without a C++ object (see placement_router.cpp).
[[gnu::no_sanitize("null")]] WorkflowRun run_contained(const WorkflowRunner& runner,
                                                       const WorkflowInvocation& invocation) {
  try {
    return runner.run(invocation);
  } catch (const std::exception& error) {
    return workflow_runner_failed(invocation,
                                  std::string("workflow runner threw: ") + error.what());
  } catch (abi::__forced_unwind&) {
    throw;  // thread cancellation must keep unwinding
  } catch (...) {
    return workflow_runner_failed(
        invocation, "workflow runner threw an exception that is not a std::exception");
  }
}

RuntimeError error_of(const WorkflowRun& run) {
  if (!run.error) {
    return make_error(code::kExecutionFailed, "workflow run failed");
  }
  const WorkflowRunError& failed = *run.error;
  Value details = failed.details().is_object() ? failed.details() : Value::object();
  details["error_class"] = failed.error_class();
  details["failure_reason"] = to_string(failed.kind());
  if (failed.node_id()) {
    details["node_id"] = *failed.node_id();
  }
  return make_error(
      failed.code().empty() ? code::kExecutionFailed : std::string_view(failed.code()),
      failed.message(), std::move(details));
}

// Containment for WorkflowRunner::start, as run_contained for run.
[[gnu::no_sanitize("null")]] Completion<WorkflowRun> start_contained(
    const WorkflowRunner& runner, const WorkflowInvocation& invocation) {
  try {
    return runner.start(invocation);
  } catch (const std::exception& error) {
    return Completion<WorkflowRun>::fulfilled(
        workflow_runner_failed(invocation, std::string("workflow runner threw: ") + error.what()));
  } catch (abi::__forced_unwind&) {
    throw;  // thread cancellation must keep unwinding
  } catch (...) {
    return Completion<WorkflowRun>::fulfilled(workflow_runner_failed(
        invocation, "workflow runner threw an exception that is not a std::exception"));
  }
}

// What the workflow runner is asked (execution starts now, for the RuntimeTrace).
WorkflowInvocation begin_workflow(Attempt& attempt, LookupScope scope) {
  attempt.trace->started_at = std::chrono::system_clock::now();
  attempt.workflow_started = std::chrono::steady_clock::now();
  return WorkflowInvocation{attempt.workflow, attempt.request->input, attempt.request->request_id,
                            scope};
}

// Notes the finished run in the RuntimeTrace and keeps it in the attempt.
void note_workflow_run(Attempt& attempt, WorkflowRun run) {
  RuntimeTrace& trace = *attempt.trace;
  trace.execution_duration_ms = elapsed_ms(attempt.workflow_started);
  trace.completed_at = std::chrono::system_clock::now();
  trace.workflow_evidence = run.evidence;
  if (!run.run_id.empty() && !trace.workflow_run_id) {
    trace.workflow_run_id = run.run_id;
  }
  for (const WorkflowWarning& warning : run.warnings) {
    attempt.result.warnings.push_back({warning.code, warning.message});
  }
  trace.execution_status = run.completed() ? RuntimeExecutionStatus::Succeeded
                                           : (run.steps.empty() ? RuntimeExecutionStatus::NotStarted
                                                                : RuntimeExecutionStatus::Failed);
  if (run.completed() && run.output) {
    trace.output_digest = output_digest(*run.output);
  } else if (run.error) {
    trace.error_class = run.error->error_class();
    trace.failure_reason = std::string(to_string(run.error->kind()));
  }
  attempt.run = std::move(run);
}

// ---- Phase: record the trace ----

std::string source_of(const std::string& capability_id) {
  return "traverse-runtime/" + capability_id;
}

// The public entry of this attempt, without outcome specifics.
PublicTraceEntry entry_for(const Attempt& attempt) {
  const RuntimeTrace& trace = *attempt.trace;
  const RuntimeRequest& request = *attempt.request;
  PublicTraceEntry entry;
  entry.id = trace.trace_id;
  entry.execution_id = trace.execution_id;
  entry.capability_id = trace.capability_id
                            ? *trace.capability_id
                            : request.capability_id.value_or(request.intent_key.value_or(""));
  entry.capability_version = trace.capability_version ? *trace.capability_version
                                                      : request.capability_version.value_or("");
  entry.source = source_of(entry.capability_id);
  entry.time = rfc3339(trace.received_at);
  entry.duration_ms = trace.execution_duration_ms;
  if (trace.placement) {
    entry.placement_target = std::string(debug_name(trace.placement->target));
  }
  entry.attempts = trace.attempts;
  if (attempt.step != nullptr) {
    entry.workflow_run_id = attempt.step->workflow_run_id;
    entry.step_index = attempt.step->step_index;
  }
  return entry;
}

// `published`: the envelopes of the events the entry lists as published (private entry).
// `canonical_output`, when given, is canonical_dump(*output), already computed by the caller.
std::expected<void, TraceError> record_entry(Core& core, const Attempt& attempt,
                                             PublicTraceEntry entry, const Value* output,
                                             std::vector<Value> published = {},
                                             const std::string* canonical_output = nullptr) {
  const std::uint64_t duration = entry.duration_ms;
  const bool keep = core.trace_store->keeps_payloads();
  PrivateTraceEntry private_entry =
      output != nullptr && canonical_output != nullptr
          ? make_private_trace_entry(entry.id, attempt.request->input, output, *canonical_output,
                                     duration, keep)
          : make_private_trace_entry(entry.id, attempt.request->input, output, duration, keep);
  private_entry.published_events = std::move(published);
  return core.trace_store->insert(std::move(entry), std::move(private_entry));
}

// A workflow run's own entry (placement target "workflow") and its evidence record.
std::expected<void, TraceError> record_workflow_run(Core& core, const Attempt& attempt,
                                                    PublicTraceEntry entry,
                                                    const WorkflowRun& run) {
  entry.placement_target = "workflow";
  if (attempt.step == nullptr && !run.run_id.empty()) {
    entry.workflow_run_id = run.run_id;
  }
  const TraceOutcome outcome = entry.outcome;
  const std::string time = entry.time;
  const std::uint64_t duration = entry.duration_ms;
  const Value* output = run.completed() && run.output ? &*run.output : nullptr;
  if (auto written = record_entry(core, attempt, std::move(entry), output); !written) {
    return written;
  }
  if (run.run_id.empty()) {
    return {};  // the runner threw before a run existed: nothing to keep but the entry
  }
  WorkflowRunRecord record;
  record.run_id = run.run_id;
  record.trace_id = attempt.trace->trace_id;
  record.request_id = run.request_id;
  record.workflow_id = run.workflow_id;
  record.workflow_version = run.workflow_version;
  if (attempt.record) {
    record.capability_id = attempt.record->contract.id;
    record.capability_version = attempt.record->contract.version;
  }
  record.outcome = outcome;
  record.time = time;
  record.duration_ms = duration;
  record.summary = to_json(run);
  record.evidence = run.evidence;
  return core.run_store->insert(record);
}

RuntimeError trace_write_failed(const TraceError& trace_error,
                                const RuntimeError* original = nullptr) {
  Value details{{"error_class", "TraceWriteFailed"}, {"trace_error", trace_error.to_string()}};
  std::string message = "trace write failed: " + trace_error.to_string();
  if (original != nullptr) {
    details["error"] = to_json(*original);
    message += "; the attempt itself failed with " + original->code() + ": " + original->message();
  } else {
    message += "; the result is withheld and no event was published";
  }
  return make_error(code::kTraceWriteFailed, std::move(message), std::move(details));
}

// ---- Return ----

CoreExecution finish(Core& core, Attempt& attempt, std::optional<Value> output,
                     std::optional<RuntimeError> error) {
  RuntimeResult& result = attempt.result;
  RuntimeTrace& trace = *attempt.trace;
  if (error) {
    result.status = RuntimeStatus::Error;
    result.error = std::move(error);
  } else {
    result.status = RuntimeStatus::Completed;
    result.output = std::move(output);
  }
  trace.status = result.status;
  trace.error = result.error;
  trace.warnings = result.warnings;
  trace.finished_at = std::chrono::system_clock::now();
  trace.total_duration_ms = elapsed_ms(attempt.started);
  core.remember(attempt.trace);
  return CoreExecution{std::move(result), std::move(attempt.trace), std::move(attempt.run)};
}

// Rejected when nothing ran, else Failure.
TraceOutcome outcome_for(const RuntimeError& error, bool anything_ran) {
  return !anything_ran && is_rejection(error.kind()) ? TraceOutcome::Rejected
                                                     : TraceOutcome::Failure;
}

// Records a failed or rejected attempt and returns it.
CoreExecution conclude_failure(Core& core, Attempt& attempt, RuntimeError error) {
  RuntimeTrace& trace = *attempt.trace;
  if (!trace.error_class) {
    trace.error_class = std::string(to_string(error.kind()));
  }
  PublicTraceEntry entry = entry_for(attempt);
  const bool ran = trace.execution_status != RuntimeExecutionStatus::NotStarted;
  entry.outcome = outcome_for(error, ran);
  entry.error_class = trace.error_class;
  entry.error_message = error.message();
  auto written = attempt.run ? record_workflow_run(core, attempt, std::move(entry), *attempt.run)
                             : record_entry(core, attempt, std::move(entry), nullptr);
  if (!written) {
    error = trace_write_failed(written.error(), &error);
    attempt.result.trace_ref.clear();
  } else {
    trace.trace_store_entry = true;
  }
  return finish(core, attempt, std::nullopt, std::move(error));
}

// Records a successful workflow-backed attempt and returns it (its steps published their own
// events after their own entries).
CoreExecution conclude_workflow_success(Core& core, Attempt& attempt) {
  PublicTraceEntry entry = entry_for(attempt);
  entry.outcome = TraceOutcome::Success;
  if (auto written = record_workflow_run(core, attempt, std::move(entry), *attempt.run); !written) {
    attempt.result.trace_ref.clear();
    return finish(core, attempt, std::nullopt, trace_write_failed(written.error()));
  }
  attempt.trace->trace_store_entry = true;
  std::optional<Value> output = attempt.run->output;
  return finish(core, attempt, std::move(output), std::nullopt);
}

// Record, then publish, then return: the order that makes "nothing happens without a record".
CoreExecution conclude_success(Core& core, Attempt& attempt, RouterDispatch dispatched) {
  RuntimeTrace& trace = *attempt.trace;
  PublicationPlan plan;  // no events (the common case): nothing to plan
  if (!dispatched.output.emitted_events.empty()) {
    const ExecutorCapability capability = executor_capability_for(*attempt.record);
    plan = plan_publication(capability, std::move(dispatched.output.emitted_events),
                            core.broker != nullptr, core.catalog.get());
  }
  // Dumped once: for the RuntimeTrace's digest and the trace entry's output hash.
  const std::string canonical_output = canonical_dump(dispatched.output.value);
  trace.output_digest = output_digest_of_canonical(canonical_output);

  PublicTraceEntry entry = entry_for(attempt);
  entry.outcome = TraceOutcome::Success;
  entry.published_events = offered_ids(plan);
  entry.publish_errors = plan.refused;
  if (auto written = record_entry(core, attempt, std::move(entry), &dispatched.output.value,
                                  offered_envelopes(plan), &canonical_output);
      !written) {
    trace.error_class = "TraceWriteFailed";
    attempt.result.trace_ref.clear();
    return finish(core, attempt, std::nullopt, trace_write_failed(written.error()));
  }
  trace.trace_store_entry = true;

  std::vector<TracePublishError> errors = std::move(plan.refused);
  if (core.broker) {
    std::vector<TracePublishError> failed = publish_planned(*core.broker, plan);
    errors.insert(errors.end(), std::make_move_iterator(failed.begin()),
                  std::make_move_iterator(failed.end()));
  }
  for (const TracePublishError& error : errors) {
    attempt.result.warnings.push_back(
        {"event_publish_failed", "event " + error.event_id + " (" + error.event_type +
                                     ") was not published: " + error.error});
  }
  trace.emitted_events = std::move(plan.emitted);
  trace.publish_errors = std::move(errors);
  return finish(core, attempt, std::move(dispatched.output.value), std::nullopt);
}

}  // namespace

namespace {

// The phases before anything runs.
Phase admit(Core& core, Attempt& attempt) {
  Phase admitted = check_request_phase(attempt);
  if (admitted) {
    admitted = resolve(core, attempt);
  }
  if (admitted) {
    admitted = check_eligibility(core, attempt);
  }
  if (admitted) {
    admitted = validate_input(core, attempt);
  }
  return admitted;
}

// The phases after a workflow-backed execution (attempt.run is set).
CoreExecution conclude_workflow(Core& core, Attempt& attempt) {
  if (attempt.run->completed() && attempt.run->output) {
    if (Phase checked = validate_output(attempt, *attempt.run->output); !checked) {
      return conclude_failure(core, attempt, std::move(checked.error()));
    }
    return conclude_workflow_success(core, attempt);
  }
  return conclude_failure(core, attempt, error_of(*attempt.run));
}

// The phases after the router's dispatch.
CoreExecution conclude_dispatch(Core& core, Attempt& attempt,
                                std::expected<RouterDispatch, RuntimeError> dispatched) {
  if (!dispatched) {
    return conclude_failure(core, attempt, std::move(dispatched.error()));
  }
  if (Phase checked = validate_output(attempt, dispatched->output.value); !checked) {
    attempt.trace->execution_status = RuntimeExecutionStatus::Failed;
    return conclude_failure(core, attempt, std::move(checked.error()));
  }
  return conclude_success(core, attempt, std::move(*dispatched));
}

}  // namespace

CoreExecution TraverseRuntime::Core::run(const RuntimeRequest& request,
                                         const WorkflowStepContext* step) {
  Attempt attempt = begin_attempt(request, step);
  if (Phase admitted = admit(*this, attempt); !admitted) {
    return conclude_failure(*this, attempt, std::move(admitted.error()));
  }
  if (attempt.workflow) {
    const WorkflowInvocation invocation =
        begin_workflow(attempt, lookup_scope_for(attempt.record->scope));
    note_workflow_run(attempt, run_contained(*workflow_runner, invocation));
    return conclude_workflow(*this, attempt);
  }
  attempt.trace->started_at = std::chrono::system_clock::now();
  const PlacementRouter& chosen = attempt.remote ? *remote_router : *router;
  auto dispatched = chosen.dispatch(routed_request(*this, attempt), attempt.trace->trace_id);
  return conclude_dispatch(*this, attempt, note_dispatch(attempt, std::move(dispatched)));
}

namespace {

// One attempt of submit_run between its submission and its conclusion. It holds the gate's
// admission until it concludes; it never moves (the attempt points at `request`).
struct PendingAttempt {
  PendingAttempt(std::shared_ptr<CoreGate> admitted_by, Core& admitted_core,
                 RuntimeRequest runtime_request)
      : gate(std::move(admitted_by)), core(admitted_core), request(std::move(runtime_request)) {}

  std::shared_ptr<CoreGate> gate;
  Core& core;
  RuntimeRequest request;
  Attempt attempt;
  std::optional<WorkflowInvocation> invocation;  // workflow-backed: what the runner was given
  CompletionPromise<RuntimeExecution> promise;
};

// Hands the concluded attempt to its caller: the admission is left first, so a caller whose
// continuation destroys the runtime does not wait for itself.
void deliver(std::unique_ptr<PendingAttempt> pending, CoreExecution execution) {
  RuntimeExecution delivered{std::move(execution.result), std::move(execution.trace),
                             std::move(execution.workflow_run)};
  std::shared_ptr<CoreGate> gate = std::move(pending->gate);
  CompletionPromise<RuntimeExecution> promise = std::move(pending->promise);
  pending.reset();
  gate->leave();
  promise.fulfil(std::move(delivered));
}

// Runs `conclude` — the record and delivery of an attempt that was refused before it ran — on
// the core's scheduler rather than on the submitting thread: the record may block (an SQLite
// write), and a submitter may be an event loop. Runs it here when there is no scheduler or it
// takes no more work (shutting down), so the attempt is concluded either way.
void conclude_off_caller(Core& core, std::move_only_function<void()> conclude) {
  auto shared = std::make_shared<std::move_only_function<void()>>(std::move(conclude));
  if (core.scheduler && core.scheduler->post([shared] { (*shared)(); })) {
    return;
  }
  (*shared)();
}

}  // namespace

std::optional<Completion<RuntimeExecution>> submit_rejected_document(
    const std::shared_ptr<CoreGate>& gate, Value document, ValidationErrors violations) {
  Core* core = gate->enter();
  if (core == nullptr) {
    return std::nullopt;
  }
  CompletionPromise<RuntimeExecution> promise;
  Completion<RuntimeExecution> completion = promise.completion();
  conclude_off_caller(
      *core, [gate, core, document = std::move(document), violations = std::move(violations),
              promise = std::move(promise)]() mutable {
        CoreExecution concluded = core->reject_document(document, violations);
        RuntimeExecution delivered{std::move(concluded.result), std::move(concluded.trace),
                                   std::move(concluded.workflow_run)};
        gate->leave();  // before the caller hears of it: see deliver
        promise.fulfil(std::move(delivered));
      });
  return completion;
}

std::optional<Completion<RuntimeExecution>> submit_run(const std::shared_ptr<CoreGate>& gate,
                                                       RuntimeRequest request) {
  Core* core = gate->enter();
  if (core == nullptr) {
    return std::nullopt;
  }
  auto pending = std::make_unique<PendingAttempt>(gate, *core, std::move(request));
  Completion<RuntimeExecution> completion = pending->promise.completion();
  Attempt& attempt = pending->attempt;
  attempt = begin_attempt(pending->request, nullptr);
  if (Phase admitted = admit(*core, attempt); !admitted) {
    conclude_off_caller(*core, [pending = std::move(pending),
                                error = std::move(admitted.error())]() mutable {
      CoreExecution concluded = conclude_failure(pending->core, pending->attempt, std::move(error));
      deliver(std::move(pending), std::move(concluded));
    });
    return completion;
  }
  if (attempt.workflow) {
    pending->invocation = begin_workflow(attempt, lookup_scope_for(attempt.record->scope));
    Completion<WorkflowRun> started = start_contained(*core->workflow_runner, *pending->invocation);
    std::move(started).then([pending = std::move(pending)](WorkflowRun run) mutable {
      note_workflow_run(pending->attempt, std::move(run));
      CoreExecution concluded = conclude_workflow(pending->core, pending->attempt);
      deliver(std::move(pending), std::move(concluded));
    });
    return completion;
  }
  attempt.trace->started_at = std::chrono::system_clock::now();
  const PlacementRouter& chosen = attempt.remote ? *core->remote_router : *core->router;
  Completion<RouterDispatchResult> started =
      chosen.submit(routed_request(*core, attempt), attempt.trace->trace_id);
  std::move(started).then([pending = std::move(pending)](RouterDispatchResult dispatched) mutable {
    CoreExecution concluded = conclude_dispatch(
        pending->core, pending->attempt, note_dispatch(pending->attempt, std::move(dispatched)));
    deliver(std::move(pending), std::move(concluded));
  });
  return completion;
}

CoreExecution TraverseRuntime::Core::run_registered_workflow(const std::string& workflow,
                                                             const Value& input,
                                                             const std::string& request_id) {
  const auto at = workflow.find('@');
  RuntimeRequest request;  // what was asked, as the RuntimeTrace records it
  request.request_id = request_id;
  request.capability_id = workflow.substr(0, at);
  if (at != std::string::npos) {
    request.capability_version = workflow.substr(at + 1);
  }
  request.input = input;
  request.scope = LookupScope::PreferPrivate;
  Attempt attempt = begin_attempt(request, nullptr);
  if (request_id.empty()) {
    attempt.trace->execution_id = "exec_" + attempt.trace->trace_id;
    attempt.result.execution_id = attempt.trace->execution_id;
  }

  auto found = request.capability_version
                   ? workflows->find_exact(*request.capability_id, *request.capability_version,
                                           LookupScope::PreferPrivate)
                   : workflows->find_by_id(*request.capability_id, LookupScope::PreferPrivate);
  if (!found) {
    return conclude_failure(
        *this, attempt,
        make_error(code::kCapabilityNotFound,
                   "workflow " + workflow + " cannot be run: " + found.error().message(),
                   Value{{"error_class", "WorkflowNotFound"}}));
  }
  if (!workflow_runner) {
    return conclude_failure(*this, attempt,
                            make_error(code::kArtifactMissing,
                                       "this runtime has no workflow runner "
                                       "(TraverseRuntime::Builder::with_workflow_runner)"));
  }
  attempt.workflow = std::move(*found);
  attempt.trace->capability_id = attempt.workflow->definition.id;
  attempt.trace->capability_version = attempt.workflow->definition.version;
  attempt.trace->scope = attempt.workflow->scope;
  const WorkflowInvocation invocation = begin_workflow(attempt, LookupScope::PreferPrivate);
  note_workflow_run(attempt, run_contained(*workflow_runner, invocation));
  if (attempt.run->completed() && attempt.run->output) {
    return conclude_workflow_success(*this, attempt);
  }
  return conclude_failure(*this, attempt, error_of(*attempt.run));
}

CoreExecution TraverseRuntime::Core::reject_document(const Value& document,
                                                     const ValidationErrors& violations) {
  // What can be read of the request, for the entry; nothing is required.
  RuntimeRequest request;
  const auto text_at = [&](std::initializer_list<const char*> path) -> std::optional<std::string> {
    const Value* node = &document;
    for (const char* key : path) {
      if (!node->is_object() || !node->contains(key)) {
        return std::nullopt;
      }
      node = &(*node)[key];
    }
    return node->is_string() ? std::optional(node->get<std::string>()) : std::nullopt;
  };
  request.request_id = text_at({"request_id"}).value_or("");
  request.capability_id = text_at({"intent", "capability_id"});
  request.capability_version = text_at({"intent", "capability_version"});
  request.intent_key = text_at({"intent", "intent_key"});
  if (document.is_object() && document.contains("input")) {
    request.input = document["input"];
  }
  Attempt attempt = begin_attempt(request, nullptr);
  attempt.trace->request_document = document;
  if (request.request_id.empty()) {
    attempt.trace->execution_id = "exec_" + attempt.trace->trace_id;
    attempt.result.execution_id = attempt.trace->execution_id;
  }
  std::string message =
      "runtime request is invalid: " + std::to_string(violations.size()) +
      " violation(s); first: " +
      (violations.empty() ? std::string("unknown") : to_string(violations.front()));
  return conclude_failure(*this, attempt,
                          make_error(code::kRequestInvalid, std::move(message),
                                     Value{{"violations", violations_json(violations)}}));
}

// ---------------------------------------------------------------------------------------------
// Gate

TraverseRuntime::Core* CoreGate::enter() {
  if ((state_.fetch_add(1, std::memory_order_acq_rel) & kClosed) != 0) {
    leave();  // closing: undo the increment (close() may be waiting for it)
    return nullptr;
  }
  return core_;
}

void CoreGate::leave() {
  if (state_.fetch_sub(1, std::memory_order_acq_rel) - 1 == kClosed) {
    // The last one out of a closing gate. close() returns only once it sees `drained_`, set and
    // notified under the mutex: this thread is done with the gate before close() can return
    // (after which the gate may be destroyed).
    std::lock_guard lock(mutex_);
    drained_ = true;
    left_.notify_all();
  }
}

void CoreGate::close() {
  if ((state_.fetch_or(kClosed, std::memory_order_acq_rel) & ~kClosed) == 0) {
    return;  // nobody admitted: nobody to wait for (later entries see kClosed)
  }
  std::unique_lock lock(mutex_);
  left_.wait(lock, [this] { return drained_; });
}

// ---------------------------------------------------------------------------------------------
// Step runner

namespace {

// Observers never change an execution: whatever they throw is contained.
template <typename Call>
[[gnu::no_sanitize("null")]] void notify(const std::shared_ptr<StepObserver>& observer,
                                         Call&& call) {
  if (!observer) {
    return;
  }
  try {
    call(*observer);
  } catch (abi::__forced_unwind&) {
    throw;         // thread cancellation must keep unwinding
  } catch (...) {  // see step_observer.hpp
  }
}

std::expected<StepOutcome, StepFailure> step_result(const CoreExecution& execution) {
  const RuntimeTrace& trace = *execution.trace;
  if (execution.result.completed()) {
    StepOutcome outcome;
    outcome.output = execution.result.output.value_or(Value());
    outcome.emitted_events = trace.emitted_events;
    outcome.trace_id = trace.trace_store_entry ? trace.trace_id : std::string();
    return outcome;
  }
  const RuntimeError& error = *execution.result.error;
  return std::unexpected(StepFailure(
      error.code(), trace.error_class ? *trace.error_class : pascal_case(error.code()),
      error.message(), trace.trace_store_entry ? std::optional(trace.trace_id) : std::nullopt,
      error.details()));
}

class RuntimeStepRunner final : public StepRunner {
 public:
  explicit RuntimeStepRunner(std::shared_ptr<CoreGate> gate) : gate_(std::move(gate)) {}

  std::expected<StepOutcome, StepFailure> run_step(const StepRequest& step) const override {
    const CoreAdmission admission(*gate_);
    TraverseRuntime::Core* core = admission.core();
    if (core == nullptr) {
      return std::unexpected(StepFailure(std::string(code::kExecutionFailed), "RuntimeUnavailable",
                                         "runtime is gone: step " + step.node_id + " of workflow " +
                                             step.workflow_id + " cannot run"));
    }
    notify(core->step_observer, [&](StepObserver& observer) { observer.started(step); });
    RuntimeRequest request;
    request.request_id = step.request_id;
    request.capability_id = step.capability_id;
    request.capability_version = step.capability_version;
    request.input = step.input;
    request.scope = step.scope;
    const WorkflowStepContext context{step.workflow_run_id, step.step_index};
    auto result = step_result(core->run(request, &context));
    notify(core->step_observer, [&](StepObserver& observer) { observer.finished(step, result); });
    return result;
  }

 private:
  std::shared_ptr<CoreGate> gate_;
};

}  // namespace

std::shared_ptr<const StepRunner> make_runtime_step_runner(std::shared_ptr<CoreGate> gate) {
  return std::make_shared<RuntimeStepRunner>(std::move(gate));
}

}  // namespace traverse
