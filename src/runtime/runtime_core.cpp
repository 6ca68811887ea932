#include "runtime_core.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "traverse/contracts/semver.hpp"
#include "traverse/support/ids.hpp"

namespace traverse {

namespace code = runtime_error_code;

namespace {

Value violations_json(const ValidationErrors& errors) {
  Value list = Value::array();
  for (const ValidationError& error : errors) {
    list.push_back(Value{{"code", error.code}, {"path", error.path}, {"message", error.message}});
  }
  return list;
}

RuntimeError make_error(std::string_view error_code, std::string message,
                        Value details = Value::object()) {
  return RuntimeError{std::string(error_code), std::move(message), std::move(details)};
}

// §8.3 rules on a request struct (parse_runtime_request enforces them on documents; a struct
// built in code gets the same checks here).
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
  switch (error.code) {
    case RegistryErrorCode::NotFound:
      return make_error(code::kCapabilityNotFound, error.message);
    case RegistryErrorCode::Ambiguous:
      return make_error(code::kCapabilityAmbiguous, error.message);
    case RegistryErrorCode::NotRunnable:
      return make_error(code::kCapabilityNotRunnable, error.message,
                        Value{{"reason", "lifecycle_not_runnable"}});
    case RegistryErrorCode::InvalidRange:
    case RegistryErrorCode::InvalidArgument:
      return make_error(code::kRequestInvalid, error.message);
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
  switch (error.kind) {
    case RouterErrorKind::PlacementFailed:
      return make_error(code::kPlacementUnsupported, error.message(), std::move(details));
    case RouterErrorKind::ExecutorNotFound:
      details["artifact_type"] = to_string(error.artifact_type);
      return make_error(code::kArtifactMissing, error.message(), std::move(details));
    case RouterErrorKind::ExecutionFailed:
      if (error.executor_error) {
        details["executor_message"] = error.executor_error->message();
      }
      return make_error(code::kExecutionFailed, error.message(), std::move(details));
    case RouterErrorKind::OutputValidationFailed:
      details["violations"] = violations_json(error.violations);
      return make_error(code::kOutputValidationFailed, error.message(), std::move(details));
    case RouterErrorKind::TraceWriteFailed:
      if (error.trace_error) {
        details["trace_error"] = error.trace_error->to_string();
      }
      return make_error(code::kExecutionFailed, error.message(), std::move(details));
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
  std::vector<std::shared_ptr<const RuntimeTrace>> evicted;  // destroyed after the lock is released
  std::lock_guard lock(traces_mutex);
  while (traces.size() >= runtime_trace_capacity && !trace_order.empty()) {
    if (auto it = traces.find(trace_order.front()); it != traces.end()) {
      evicted.push_back(std::move(it->second));
      traces.erase(it);
    }
    trace_order.pop_front();
  }
  trace_order.push_back(trace->trace_id);
  traces.emplace(trace->trace_id, std::move(trace));
}

CoreExecution TraverseRuntime::Core::run(const RuntimeRequest& request,
                                         const WorkflowStepContext* step) {
  const auto started = std::chrono::steady_clock::now();
  auto trace = std::make_shared<RuntimeTrace>();
  trace->trace_id = new_uuid_v4();
  trace->request_id = request.request_id;
  trace->execution_id = "exec_" + request.request_id;
  if (step != nullptr) {
    trace->execution_id += "_step_" + std::to_string(step->step_index);
    trace->workflow_run_id = step->workflow_run_id;
    trace->step_index = step->step_index;
  }
  trace->request = to_json(request);
  trace->requested_target = request.requested_target;
  trace->received_at = rfc3339_now();

  RuntimeResult result;
  result.execution_id = trace->execution_id;
  result.request_id = request.request_id;
  result.trace_ref = trace->trace_id;

  const auto finish = [&](std::optional<Value> output,
                          std::optional<RuntimeError> error) -> CoreExecution {
    if (error) {
      result.status = RuntimeStatus::Error;
      result.error = std::move(error);
    } else {
      result.status = RuntimeStatus::Completed;
      result.output = std::move(output);
    }
    trace->status = result.status;
    trace->error = result.error;
    trace->warnings = result.warnings;
    trace->finished_at = rfc3339_now();
    trace->total_duration_ms = elapsed_ms(started);
    remember(trace);
    return CoreExecution{std::move(result), std::move(trace)};
  };
  const auto fail = [&](RuntimeError error) { return finish(std::nullopt, std::move(error)); };

  // 1. The request itself.
  if (ValidationErrors problems = check_request(request); !problems.empty()) {
    std::string message = "runtime request is invalid: " + std::to_string(problems.size()) +
                          " violation(s); first: " + problems.front().path + ": " +
                          problems.front().message;
    return fail(make_error(code::kRequestInvalid, std::move(message),
                           Value{{"violations", violations_json(problems)}}));
  }
  const auto target = parse_execution_target(request.requested_target);
  if (!target) {
    return fail(make_error(code::kRequestInvalid,
                           "$.context.requested_target: \"" + request.requested_target +
                               "\" is not an execution target; expected local, browser, edge, "
                               "cloud, worker or device"));
  }
  if (*target != ExecutionTarget::Local) {
    return fail(make_error(code::kPlacementUnsupported,
                           "requested target '" + request.requested_target +
                               "' is not supported; this runtime executes locally (expected "
                               "\"local\")",
                           Value{{"requested_target", request.requested_target}}));
  }

  // 2. Resolution.
  std::expected<CapabilityRecordPtr, RuntimeError> resolved;
  if (request.capability_id && !request.capability_id->empty()) {
    CapabilityQuery query;
    query.capability_id = *request.capability_id;
    query.version = request.capability_version;
    query.version_range = request.version_range;
    query.scope = request.scope;
    query.require_runnable = true;
    auto found = capabilities->resolve(query);
    if (found) {
      resolved = std::move(*found);
    } else {
      resolved = std::unexpected(from_registry_error(found.error()));
    }
  } else {
    resolved = resolve_intent(*capabilities, *request.intent_key, request.scope);
  }
  if (!resolved) {
    return fail(std::move(resolved.error()));
  }
  const CapabilityRecordPtr record = std::move(*resolved);
  const CapabilityContract& contract = record->contract;
  trace->capability_id = contract.id;
  trace->capability_version = contract.version;
  trace->scope = record->scope;
  trace->artifact_ref = record->artifact.describe();

  // 3. Eligibility (§8.5).
  if (!record->runnable()) {
    return fail(make_error(code::kCapabilityNotRunnable,
                           contract.key() + " has lifecycle " +
                               std::string(to_string(contract.lifecycle)) +
                               "; expected active or deprecated",
                           Value{{"reason", "lifecycle_not_runnable"}}));
  }
  WorkflowRecordPtr workflow;
  if (record->artifact.kind == ArtifactKind::Workflow) {
    if (!record->artifact.workflow) {
      return fail(make_error(code::kArtifactMissing,
                             contract.key() + " is workflow-backed but names no workflow_ref"));
    }
    if (!workflow_runner) {
      return fail(make_error(code::kArtifactMissing,
                             contract.key() +
                                 " is workflow-backed but this runtime has no workflow runner "
                                 "(TraverseRuntime::Builder::with_workflow_runner)"));
    }
    const WorkflowRef& ref = *record->artifact.workflow;
    auto found = workflows->find_exact(ref.workflow_id, ref.workflow_version,
                                       lookup_scope_for(record->scope));
    if (!found) {
      return fail(make_error(code::kArtifactMissing,
                             contract.key() + " runs workflow " + ref.workflow_id + "@" +
                                 ref.workflow_version +
                                 ", which is not registered: " + found.error().message));
    }
    workflow = std::move(*found);
  } else {
    if (!contains_target(contract.preferred_targets, ExecutionTarget::Local) ||
        contract.constraints.host_api_access != "none" ||
        contract.constraints.network_access != "forbidden") {
      return fail(make_error(
          code::kCapabilityNotRunnable,
          contract.key() +
              " is not runnable locally; expected execution.preferred_targets to include "
              "local, host_api_access \"none\" and network_access \"forbidden\"",
          Value{{"reason", "not_runnable_locally"}}));
    }
    if (record->artifact.kind == ArtifactKind::Wasm && record->artifact.wasm_path.empty()) {
      return fail(make_error(code::kArtifactMissing,
                             contract.key() + " has no WebAssembly binary location"));
    }
    if (record->artifact.kind == ArtifactKind::Native && native_handler_ids) {
      const std::string& handler = record->artifact.native_handler_id;
      if (!handler.empty() && handler != contract.id) {
        return fail(make_error(code::kArtifactMissing,
                               contract.key() + " names native handler '" + handler +
                                   "'; the runtime looks native handlers up by capability id "
                                   "(expected '" +
                                   contract.id + "')"));
      }
      if (!native_handler_ids->contains(contract.id)) {
        return fail(make_error(code::kArtifactMissing,
                               "no native handler registered for capability '" + contract.id +
                                   "' (TraverseRuntime::Builder::with_native_handler)"));
      }
    }
  }

  // 4. Input contract.
  const std::shared_ptr<const CompiledSchemas> schemas = schemas_for(*record);
  if (!schemas->input || !schemas->output) {
    ValidationErrors problems = schemas->input_errors;
    problems.insert(problems.end(), schemas->output_errors.begin(), schemas->output_errors.end());
    return fail(make_error(code::kContractViolation,
                           contract.key() + " declares a schema that cannot be enforced: " +
                               std::to_string(problems.size()) + " problem(s)",
                           Value{{"violations", violations_json(problems)}}));
  }
  if (ValidationErrors violations = schemas->input->validate(request.input); !violations.empty()) {
    std::string message = "input does not match the input schema of " + contract.key() + ": " +
                          std::to_string(violations.size()) +
                          " violation(s); first: " + violations.front().path + ": " +
                          violations.front().message;
    return fail(make_error(code::kRequestInvalid, std::move(message),
                           Value{{"violations", violations_json(violations)}}));
  }

  // 5a. Workflow-backed: hand over to the runner (its steps come back through run()).
  if (workflow) {
    trace->started_at = rfc3339_now();
    WorkflowInvocation invocation{workflow, request.input, request.request_id,
                                  lookup_scope_for(record->scope)};
    WorkflowRun run;
    try {
      run = workflow_runner->run(invocation);
    } catch (const std::exception& error) {
      run.status = WorkflowRunStatus::Error;
      run.error = WorkflowRunError{WorkflowFailureReason::StepExecutionFailed,
                                   std::string(code::kExecutionFailed),
                                   "ExecutionFailed",
                                   std::string("workflow runner threw: ") + error.what(),
                                   std::nullopt,
                                   std::nullopt,
                                   Value::object()};
    }
    trace->completed_at = rfc3339_now();
    trace->workflow_evidence = run.evidence;
    if (!run.run_id.empty() && !trace->workflow_run_id) {
      trace->workflow_run_id = run.run_id;
    }
    for (const WorkflowWarning& warning : run.warnings) {
      result.warnings.push_back({warning.code, warning.message});
    }
    if (run.completed() && run.output) {
      trace->execution_status = RuntimeExecutionStatus::Succeeded;
      trace->output_digest = output_digest(*run.output);
      return finish(std::move(run.output), std::nullopt);
    }
    trace->execution_status = RuntimeExecutionStatus::Failed;
    RuntimeError error = make_error(code::kExecutionFailed, "workflow run failed");
    if (run.error) {
      error.code = run.error->code.empty() ? std::string(code::kExecutionFailed) : run.error->code;
      error.message = run.error->message;
      error.details = run.error->details.is_object() ? run.error->details : Value::object();
      error.details["error_class"] = run.error->error_class;
      error.details["failure_reason"] = to_string(run.error->reason);
      if (run.error->node_id) {
        error.details["node_id"] = *run.error->node_id;
      }
      trace->error_class = run.error->error_class;
      trace->failure_reason = std::string(to_string(run.error->reason));
    }
    return fail(std::move(error));
  }

  // 5b. Route: placement, executor, output contract, events, trace entry.
  RouterRequest routed;
  routed.capability = executor_capability_for(*record);
  routed.placement = PlacementConstraints::from_contract(contract);
  routed.input = request.input;
  routed.target_hint = ExecutionTarget::Local;
  routed.trace_id_override = trace->trace_id;
  routed.execution_id = trace->execution_id;
  if (step != nullptr) {
    routed.workflow_run_id = step->workflow_run_id;
    routed.step_index = step->step_index;
  }
  routed.runtime_config = runtime_config;
  routed.output_validator = &*schemas->output;

  trace->started_at = rfc3339_now();
  auto response = router->execute(std::move(routed));
  trace->completed_at = rfc3339_now();

  if (!response) {
    const RouterError& error = response.error();
    trace->execution_status = error.kind == RouterErrorKind::PlacementFailed ||
                                      error.kind == RouterErrorKind::ExecutorNotFound
                                  ? RuntimeExecutionStatus::NotStarted
                                  : RuntimeExecutionStatus::Failed;
    trace->placement = error.placement_decision;
    if (error.placement_error) {
      trace->placement_failure = error.placement_error->message();
    }
    trace->error_class = error.error_class();
    trace->failure_reason = error.message();
    trace->trace_store_entry = !error.trace_id.empty();
    if (error.kind != RouterErrorKind::TraceWriteFailed && error.trace_error) {
      result.warnings.push_back({"trace_write_failed", "the failure could not be traced: " +
                                                           error.trace_error->to_string()});
    }
    return fail(from_router_error(error));
  }

  trace->execution_status = RuntimeExecutionStatus::Succeeded;
  trace->placement = response->placement_decision;
  trace->execution_duration_ms = response->duration_ms;
  trace->output_digest = output_digest(response->output);
  trace->trace_store_entry = true;
  trace->emitted_events = response->emitted_events;
  trace->publish_errors = response->publish_errors;
  for (const TracePublishError& error : response->publish_errors) {
    result.warnings.push_back({"event_publish_failed", "event " + error.event_id + " (" +
                                                           error.event_type +
                                                           ") was not published: " + error.error});
  }
  return finish(std::move(response->output), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Step runner

namespace {

class RuntimeStepRunner final : public StepRunner {
 public:
  explicit RuntimeStepRunner(std::weak_ptr<TraverseRuntime::Core> core) : core_(std::move(core)) {}

  std::expected<StepOutcome, StepFailure> run_step(const StepRequest& step) const override {
    const std::shared_ptr<TraverseRuntime::Core> core = core_.lock();
    if (!core) {
      StepFailure failure;
      failure.code = std::string(code::kExecutionFailed);
      failure.error_class = "RuntimeUnavailable";
      failure.message = "runtime is gone: step " + step.node_id + " of workflow " +
                        step.workflow_id + " cannot run";
      return std::unexpected(std::move(failure));
    }
    RuntimeRequest request;
    request.request_id = step.request_id;
    request.capability_id = step.capability_id;
    request.capability_version = step.capability_version;
    request.input = step.input;
    request.scope = step.scope;
    const WorkflowStepContext context{step.workflow_run_id, step.step_index};
    CoreExecution execution = core->run(request, &context);
    const RuntimeTrace& trace = *execution.trace;
    if (execution.result.completed()) {
      StepOutcome outcome;
      outcome.output = execution.result.output.value_or(Value());
      outcome.emitted_events = trace.emitted_events;
      outcome.trace_id = trace.trace_store_entry ? trace.trace_id : std::string();
      return outcome;
    }
    StepFailure failure;
    const RuntimeError& error = *execution.result.error;
    failure.code = error.code;
    failure.error_class = trace.error_class ? *trace.error_class : pascal_case(error.code);
    failure.message = error.message;
    if (trace.trace_store_entry) {
      failure.trace_id = trace.trace_id;
    }
    failure.details = error.details;
    return std::unexpected(std::move(failure));
  }

 private:
  std::weak_ptr<TraverseRuntime::Core> core_;
};

}  // namespace

std::shared_ptr<const StepRunner> make_runtime_step_runner(
    std::weak_ptr<TraverseRuntime::Core> core) {
  return std::make_shared<RuntimeStepRunner>(std::move(core));
}

}  // namespace traverse
