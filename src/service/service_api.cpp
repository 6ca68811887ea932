#include "traverse/service/service_api.hpp"

#include <charconv>
#include <map>
#include <utility>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/workflow_definition.hpp"
#include "traverse/executor/thread_pool_executor.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/registry/artifact_reference.hpp"
#include "traverse/service/console.hpp"
#include "traverse/service/http_status_table.hpp"
#include "traverse/service/trace_documents.hpp"
#include "traverse/wasm/wasm_executor.hpp"

namespace traverse {
namespace {

using Clock = std::chrono::steady_clock;

// Which token scope a route needs; None: open (health probes).
enum class Need { None, Read, Execute, Register, ExecuteOrRead };

struct RouteInfo {
  std::string_view pattern;  // a literal: no allocation per request
  std::string_view method;   // the one allowed method
  Need need = Need::Read;
  bool blocking = false;  // runs on a worker thread
  std::string id;         // the {id} path segment, decoded
};

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Percent-decoding ('+' is a space in query values).
std::string decode(std::string_view text, bool query) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (query && c == '+') ? ' ' : c;
  }
  return out;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) {
    return {target, {}};
  }
  return {target.substr(0, question), target.substr(question + 1)};
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> values;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (!pair.empty()) {
      values[decode(pair.substr(0, eq), true)] =
          eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return values;
}

std::optional<RouteInfo> find_route(std::string_view path) {
  const auto with_id = [&](std::string_view prefix, std::string_view pattern, Need need,
                           bool blocking) -> std::optional<RouteInfo> {
    if (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
        path.find('/', prefix.size()) == std::string_view::npos) {
      return RouteInfo{pattern, "GET", need, blocking, decode(path.substr(prefix.size()), false)};
    }
    return std::nullopt;
  };
  if (path == "/healthz")
    return RouteInfo{"/healthz", "GET", Need::None, false, {}};
  // The web console's static files: open, like the health checks (they hold no data; the API
  // calls the page makes carry the token).
  if (is_console_path(path))
    return RouteInfo{"/console", "GET", Need::None, false, {}};
  if (path == "/readyz")
    return RouteInfo{"/readyz", "GET", Need::None, false, {}};
  if (path == "/metrics")
    return RouteInfo{"/metrics", "GET", Need::Read, false, {}};
  if (path == "/v1/capabilities") {
    return RouteInfo{"/v1/capabilities", "GET", Need::Read, false, {}};
  }
  if (path == "/v1/capabilities/execute") {
    return RouteInfo{"/v1/capabilities/execute", "POST", Need::Execute, true, {}};
  }
  if (path == "/v1/capabilities/register") {
    return RouteInfo{"/v1/capabilities/register", "POST", Need::Register, true, {}};
  }
  if (path == "/v1/workflows")
    return RouteInfo{"/v1/workflows", "GET", Need::Read, false, {}};
  if (path == "/v1/workflows/register") {
    return RouteInfo{"/v1/workflows/register", "POST", Need::Register, true, {}};
  }
  if (path == "/v1/traces")
    return RouteInfo{"/v1/traces", "GET", Need::Read, true, {}};
  if (path == "/v1/events")
    return RouteInfo{"/v1/events", "GET", Need::Read, false, {}};
  if (auto r = with_id("/v1/capabilities/", "/v1/capabilities/{id}", Need::Read, false))
    return r;
  if (auto r = with_id("/v1/workflows/", "/v1/workflows/{id}", Need::Read, false))
    return r;
  if (auto r = with_id("/v1/traces/", "/v1/traces/{id}", Need::Read, true))
    return r;
  if (auto r = with_id("/v1/executions/", "/v1/executions/{id}", Need::ExecuteOrRead, false)) {
    return r;
  }
  return std::nullopt;
}

ApiResponse json_response(unsigned status, const Value& document) {
  ApiResponse response;
  response.status = status;
  response.body = canonical_dump(document);
  response.body += '\n';
  return response;
}

Value violations_of(const ValidationErrors& errors) {
  Value items = Value::array();
  for (const auto& error : errors) {
    items.push_back(
        Value{{"code", error.code()}, {"path", error.path()}, {"message", error.message()}});
  }
  return Value{{"violations", std::move(items)}};
}

bool is_conflict(const ValidationErrors& errors) {
  for (const auto& error : errors) {
    if (error.kind() == ValidationErrorKind::Conflict) {
      return true;
    }
  }
  return false;
}

Value capability_summary(const CapabilityRecord& record) {
  Value summary{{"id", record.contract.id},
                {"version", record.contract.version},
                {"scope", std::string(to_string(record.scope))},
                {"lifecycle", std::string(to_string(record.contract.lifecycle))},
                {"artifact", record.artifact.describe()},
                {"fingerprint", record.fingerprint}};
  if (record.contract.workflow_ref) {
    summary["workflow_backed"] = true;
  }
  return summary;
}

Value workflow_summary(const WorkflowRecord& record) {
  return Value{{"id", record.definition.id},
               {"version", record.definition.version},
               {"scope", std::string(to_string(record.scope))},
               {"participating_capabilities", record.participating_capabilities},
               {"events_used", record.events_used},
               {"fingerprint", record.fingerprint}};
}

}  // namespace

ServiceApi::ServiceApi(ServiceDependencies dependencies, const ServiceConfig& config,
                       WorkerPool& pool, ServiceMetrics& metrics, EventHub& hub)
    : deps_(std::move(dependencies)),
      config_(config),
      pool_(pool),
      metrics_(metrics),
      hub_(hub),
      async_(config.max_async_executions) {
  if (!deps_.traces && deps_.runtime != nullptr) {
    deps_.traces = deps_.runtime->trace_store();
  }
}

void ServiceApi::set_gauge_source(std::function<std::vector<ServiceMetrics::Gauge>()> source) {
  gauges_ = std::move(source);
}

ApiResponse ServiceApi::error_response(std::string_view code, std::string message, Value details,
                                       std::string_view error_class) {
  const HttpErrorStatus status = http_status_for(code, error_class);
  ApiResponse response =
      json_response(status.status, Value{{"error", Value{{"code", std::string(code)},
                                                         {"message", std::move(message)},
                                                         {"details", std::move(details)}}}});
  if (status.retry_after) {
    response.headers.emplace_back("Retry-After", "1");
  }
  if (status.status == 401) {
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return response;
}

RouteMatch ServiceApi::match(const ApiRequest& request) const {
  RouteMatch match;
  const auto [path, query] = split_target(request.target);
  const auto route = find_route(path);
  if (!route) {
    match.route = "unmatched";
    match.rejection = error_response(
        "not_found", "no route " + std::string(path) + " (see docs/service.md for the routes)");
    return match;
  }
  match.route = route->pattern;
  if (request.method != route->method) {
    match.rejection = error_response("method_not_allowed", std::string(route->pattern) + " takes " +
                                                               std::string(route->method) +
                                                               ", not " + request.method);
    match.rejection->headers.emplace_back("Allow", std::string(route->method));
    return match;
  }
  if (route->need == Need::Register && !deps_.tokens.any_with(TokenScope::Register)) {
    match.rejection =
        error_response("forbidden",
                       "registration is disabled: start the service with a token file that has a "
                       "token with the `register` scope");
    return match;
  }
  if (route->need != Need::None && !deps_.tokens.empty()) {
    AuthResult result = AuthResult::Allowed;
    switch (route->need) {
      case Need::Read:
        result = deps_.tokens.authorize(request.authorization, TokenScope::Read);
        break;
      case Need::Execute:
        result = deps_.tokens.authorize(request.authorization, TokenScope::Execute);
        break;
      case Need::Register:
        result = deps_.tokens.authorize(request.authorization, TokenScope::Register);
        break;
      case Need::ExecuteOrRead:
        result = deps_.tokens.authorize(request.authorization, TokenScope::Execute);
        if (result == AuthResult::Forbidden) {
          result = deps_.tokens.authorize(request.authorization, TokenScope::Read);
        }
        break;
      case Need::None:
        break;
    }
    if (result == AuthResult::Missing || result == AuthResult::Invalid) {
      match.rejection =
          error_response("unauthorized", result == AuthResult::Missing
                                             ? "this route needs `Authorization: Bearer <token>`"
                                             : "the bearer token is not known");
      return match;
    }
    if (result == AuthResult::Forbidden) {
      match.rejection = error_response(
          "forbidden", "the token lacks the scope " + std::string(route->pattern) + " needs");
      return match;
    }
  }
  match.events = route->pattern == "/v1/events";
  return match;
}

std::optional<Clock::time_point> ServiceApi::deadline_of(const ApiRequest& request) const {
  auto timeout = config_.max_request_timeout;
  if (!request.timeout_ms.empty()) {
    std::uint64_t ms = 0;
    const char* begin = request.timeout_ms.data();
    const char* end = begin + request.timeout_ms.size();
    const auto [ptr, ec] = std::from_chars(begin, end, ms);
    if (ec != std::errc() || ptr != end || ms == 0) {
      return std::nullopt;
    }
    if (ms < static_cast<std::uint64_t>(timeout.count())) {
      timeout = std::chrono::milliseconds(ms);
    }
  }
  return Clock::now() + timeout;
}

void ServiceApi::dispatch(ApiRequest request, Clock::time_point deadline,
                          std::function<void(ApiResponse)> done) {
  const auto [path, query] = split_target(request.target);
  const auto route = find_route(path);
  if (!route) {
    done(error_response("not_found", "no route " + std::string(path)));
    return;
  }
  if (route->pattern == "/v1/capabilities/execute") {
    submit_execution(request, std::move(done));
    return;
  }
  if (!route->blocking) {
    done(handle(request, std::string(route->pattern)));
    return;
  }
  // Registration and trace queries block (SQLite, registry locks): they run on the service's
  // worker pool. A queued call whose deadline passes before it starts answers 504 unrun.
  auto shared_done = std::make_shared<std::function<void(ApiResponse)>>(std::move(done));
  const std::string pattern(route->pattern);
  const bool posted = pool_.try_post(
      [this, request = std::move(request), pattern, deadline, shared_done]() mutable {
        if (Clock::now() >= deadline) {
          (*shared_done)(error_response("deadline_exceeded",
                                        "the request waited past its deadline before it could "
                                        "start; it was not run"));
          return;
        }
        (*shared_done)(handle(request, pattern));
      });
  if (!posted) {
    (*shared_done)(
        error_response("overloaded", "every worker is busy and the queue is full; retry later"));
  }
}

ApiResponse ServiceApi::handle(const ApiRequest& request, const std::string& route) {
  const auto [path, query] = split_target(request.target);
  const auto info = find_route(path);
  const std::string id = info ? info->id : std::string();
  if (route == "/healthz") {
    return json_response(200, Value{{"status", "ok"}});
  }
  if (route == "/readyz") {
    const bool ready = ready_.load() && deps_.runtime != nullptr;
    if (!ready) {
      return error_response("shutting_down", "the service is not ready (shutting down)");
    }
    return json_response(200, Value{{"status", "ready"},
                                    {"capabilities", deps_.runtime->capability_registry()->size()},
                                    {"workflows", deps_.runtime->workflow_registry()->size()}});
  }
  if (route == "/metrics")
    return metrics();
  if (route == "/console")
    return console_response(path);
  if (route == "/v1/capabilities")
    return capabilities();
  if (route == "/v1/capabilities/{id}")
    return capability(id);
  if (route == "/v1/capabilities/register")
    return register_capability(request);
  if (route == "/v1/executions/{id}")
    return execution_status(id);
  if (route == "/v1/workflows")
    return workflows();
  if (route == "/v1/workflows/{id}")
    return workflow(id);
  if (route == "/v1/workflows/register")
    return register_workflow(request);
  if (route == "/v1/traces")
    return traces(request);
  if (route == "/v1/traces/{id}")
    return trace(id);
  return error_response("not_found", "no route " + std::string(path));
}

bool ServiceApi::admit_execution() {
  std::lock_guard lock(executions_mutex_);
  if (executions_in_flight_ >= config_.max_executions) {
    return false;
  }
  ++executions_in_flight_;
  return true;
}

void ServiceApi::execution_finished() {
  // Under the lock to the end: wait_for_executions may destroy this object as soon as it sees
  // zero, which it can only do after this unlock.
  std::lock_guard lock(executions_mutex_);
  if (--executions_in_flight_ == 0) {
    executions_idle_.notify_all();
  }
}

void ServiceApi::wait_for_executions() {
  std::unique_lock lock(executions_mutex_);
  executions_idle_.wait(lock, [this] { return executions_in_flight_ == 0; });
}

std::size_t ServiceApi::executions_in_flight() const {
  std::lock_guard lock(executions_mutex_);
  return executions_in_flight_;
}

std::pair<unsigned, Value> ServiceApi::finish_execution(const RuntimeExecution& execution,
                                                        Clock::time_point started) {
  const RuntimeResult& result = execution.result;
  const RuntimeTrace& trace = *execution.trace;
  Value body = to_json(result);
  if (trace.capability_id) {
    body["capability_id"] = *trace.capability_id;
  }
  if (trace.capability_version) {
    body["capability_version"] = *trace.capability_version;
  }
  if (trace.workflow_evidence) {
    body["workflow_evidence"] = *trace.workflow_evidence;
  }
  Value events = Value::array();
  for (const auto& event : trace.emitted_events) {
    events.push_back(to_json(event));
  }
  body["events"] = std::move(events);
  for (const auto& warning : result.warnings) {
    if (warning.code == "trace_write_failed") {
      metrics_.record_trace_write_failure();
    }
  }
  if (deps_.after_execute) {
    if (auto recorded = deps_.after_execute(execution, body); !recorded) {
      metrics_.record_trace_write_failure();
      body["warnings"].push_back(
          Value{{"code", "trace_write_failed"}, {"message", recorded.error()}});
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const std::string_view capability =
      trace.capability_id ? std::string_view(*trace.capability_id) : "unresolved";
  const std::string_view outcome = result.completed() ? "completed"
                                   : result.error     ? std::string_view(result.error->code())
                                                      : "error";
  metrics_.record_execution(capability, outcome, seconds);
  unsigned status = 200;
  if (!result.completed()) {
    std::string error_class;
    if (result.error && result.error->details().is_object()) {
      error_class = result.error->details().value("error_class", "");
    }
    const HttpErrorStatus mapped =
        http_status_for(result.error ? result.error->code() : "execution_failed", error_class);
    status = mapped.status;
  }
  return {status, std::move(body)};
}

void ServiceApi::submit_execution(const ApiRequest& request,
                                  std::function<void(ApiResponse)> done) {
  auto document = parse_json(request.body);
  if (!document) {
    done(error_response("invalid_json", "the body is not JSON: " + document.error().message() +
                                            "; expected a runtime_request document"));
    return;
  }
  const bool async = request.prefer.find("respond-async") != std::string::npos;
  std::optional<std::string> id;
  if (async) {
    id = async_.start();
    if (!id) {
      done(error_response("overloaded", "too many asynchronous executions are running"));
      return;
    }
  }
  if (!admit_execution()) {
    if (id) {
      async_.finish(*id, 503, Value{{"error", Value{{"code", "overloaded"}}}});
    }
    done(error_response("overloaded", std::to_string(config_.max_executions) +
                                          " executions are running (the service's bound); "
                                          "retry later"));
    return;
  }
  const auto started = Clock::now();
  // The runtime checks the request here (on the I/O thread: no blocking), runs the capability
  // on its executor and calls the continuation on the thread that finishes it: no extra hop.
  Completion<RuntimeExecution> completion = deps_.runtime->submit_document(*document);
  if (id) {
    std::move(completion).then([this, id = *id, started](RuntimeExecution execution) {
      auto [status, body] = finish_execution(execution, started);
      async_.finish(id, status, std::move(body));
      execution_finished();
    });
    ApiResponse response = json_response(
        202,
        Value{{"execution_id", *id}, {"status", "running"}, {"location", "/v1/executions/" + *id}});
    response.headers.emplace_back("Location", "/v1/executions/" + *id);
    response.headers.emplace_back("Preference-Applied", "respond-async");
    done(std::move(response));
    return;
  }
  std::move(completion)
      .then([this, started, done = std::move(done)](RuntimeExecution execution) mutable {
        auto [status, body] = finish_execution(execution, started);
        ApiResponse response = json_response(status, body);
        response.trace_id = body.value("trace_ref", "");
        if (status == 503 || status == 429) {
          response.headers.emplace_back("Retry-After", "1");
        }
        {
          // The transport's callback (and what it holds) is released before the execution
          // counts as finished: the transport may be gone after that.
          std::function<void(ApiResponse)> callback;
          callback.swap(done);
          callback(std::move(response));
        }
        execution_finished();
      });
}

ApiResponse ServiceApi::execution_status(const std::string& id) const {
  const auto record = async_.get(id);
  if (!record) {
    return error_response("execution_not_found",
                          "no asynchronous execution '" + id +
                              "' (it never existed or was forgotten: the service keeps the " +
                              std::to_string(config_.max_async_executions) + " most recent)");
  }
  Value document{{"execution_id", record->id},
                 {"status", record->finished ? "finished" : "running"}};
  if (record->finished) {
    document["http_status"] = record->http_status;
    document["result"] = record->document;
  }
  return json_response(200, document);
}

ApiResponse ServiceApi::capabilities() const {
  Value items = Value::array();
  for (const auto& record : deps_.runtime->capability_registry()->list()) {
    items.push_back(capability_summary(*record));
  }
  const std::size_t count = items.size();
  return json_response(200, Value{{"capabilities", std::move(items)}, {"count", count}});
}

ApiResponse ServiceApi::capability(const std::string& id) const {
  const auto at = id.find('@');
  const std::string name = id.substr(0, at);
  const std::optional<std::string> version =
      at == std::string::npos ? std::nullopt : std::optional(id.substr(at + 1));
  Value versions = Value::array();
  for (const auto& record : deps_.runtime->capability_registry()->list()) {
    if (record->contract.id != name || (version && record->contract.version != *version)) {
      continue;
    }
    Value item = capability_summary(*record);
    item["contract"] = record->contract.document;
    versions.push_back(std::move(item));
  }
  if (versions.empty()) {
    return error_response("capability_not_found", "no capability '" + id + "' is registered");
  }
  return json_response(200, Value{{"id", name}, {"versions", std::move(versions)}});
}

ApiResponse ServiceApi::register_capability(const ApiRequest& request) {
  auto document = parse_json(request.body);
  if (!document) {
    return error_response("invalid_json", "the body is not JSON: " + document.error().message() +
                                              "; expected a capability contract document");
  }
  auto contract = parse_capability_contract(*document);
  if (!contract) {
    return error_response("contract_invalid", "the capability contract is invalid",
                          violations_of(contract.error()));
  }
  ArtifactReference artifact =
      default_artifact_for(*contract, "service:" + contract->id + ":" + contract->version);
  auto registered =
      deps_.runtime->register_capability(Scope::Public, std::move(*contract), std::move(artifact));
  if (!registered) {
    const bool conflict = registered.error().kind() == RegistryErrorCode::ImmutableVersionConflict;
    return error_response(conflict ? "registration_conflict" : "contract_invalid",
                          to_string(registered.error()));
  }
  const bool added = registered->status == RegistrationStatus::Registered;
  Value body{{"status", added ? "registered" : "already_registered"},
             {"capability", capability_summary(*registered->record)}};
  return json_response(added ? 201 : 200, body);
}

ApiResponse ServiceApi::workflows() const {
  Value items = Value::array();
  for (const auto& record : deps_.runtime->workflow_registry()->list()) {
    items.push_back(workflow_summary(*record));
  }
  const std::size_t count = items.size();
  return json_response(200, Value{{"workflows", std::move(items)}, {"count", count}});
}

ApiResponse ServiceApi::workflow(const std::string& id) const {
  const auto at = id.find('@');
  const std::string name = id.substr(0, at);
  const std::optional<std::string> version =
      at == std::string::npos ? std::nullopt : std::optional(id.substr(at + 1));
  Value versions = Value::array();
  for (const auto& record : deps_.runtime->workflow_registry()->list()) {
    if (record->definition.id != name || (version && record->definition.version != *version)) {
      continue;
    }
    Value item = workflow_summary(*record);
    item["definition"] = record->definition.document;
    versions.push_back(std::move(item));
  }
  if (versions.empty()) {
    return error_response("workflow_not_found", "no workflow '" + id + "' is registered");
  }
  return json_response(200, Value{{"id", name}, {"versions", std::move(versions)}});
}

ApiResponse ServiceApi::register_workflow(const ApiRequest& request) {
  auto document = parse_json(request.body);
  if (!document) {
    return error_response("invalid_json", "the body is not JSON: " + document.error().message() +
                                              "; expected a workflow definition document");
  }
  auto definition = parse_workflow_definition(*document);
  if (!definition) {
    return error_response("workflow_invalid", "the workflow definition is invalid",
                          violations_of(definition.error()));
  }
  auto registered = deps_.runtime->workflow_registry()->register_workflow(
      Scope::Public, std::move(*definition), *deps_.runtime->capability_registry(), "service");
  if (!registered) {
    return error_response(
        is_conflict(registered.error()) ? "registration_conflict" : "workflow_invalid",
        "the workflow cannot be registered", violations_of(registered.error()));
  }
  const bool added = registered->status == RegistrationStatus::Registered;
  return json_response(added ? 201 : 200,
                       Value{{"status", added ? "registered" : "already_registered"},
                             {"workflow", workflow_summary(*registered->record)}});
}

ApiResponse ServiceApi::traces(const ApiRequest& request) const {
  const auto query = parse_query(split_target(request.target).second);
  TraceListParams params;
  Value violations = Value::array();
  const auto number = [&](const char* key, std::size_t min,
                          std::size_t max) -> std::optional<std::size_t> {
    const auto it = query.find(key);
    if (it == query.end()) {
      return std::nullopt;
    }
    std::size_t value = 0;
    const char* begin = it->second.data();
    const char* end = begin + it->second.size();
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr != end || value < min || value > max) {
      violations.push_back(Value{{"code", "InvalidParameter"},
                                 {"path", std::string("query.") + key},
                                 {"message", "expected an integer in " + std::to_string(min) +
                                                 ".." + std::to_string(max)}});
      return std::nullopt;
    }
    return value;
  };
  if (const auto it = query.find("capability"); it != query.end() && !it->second.empty()) {
    params.capability_id = it->second;
  }
  if (const auto it = query.find("run"); it != query.end() && !it->second.empty()) {
    params.workflow_run_id = it->second;
  }
  if (const auto it = query.find("outcome"); it != query.end()) {
    if (it->second == "success") {
      params.outcome = TraceOutcome::Success;
    } else if (it->second == "failure") {
      params.outcome = TraceOutcome::Failure;
    } else {
      violations.push_back(Value{{"code", "InvalidParameter"},
                                 {"path", "query.outcome"},
                                 {"message", "expected success or failure"}});
    }
  }
  params.limit = number("limit", 1, 1000).value_or(50);
  params.cursor = number("cursor", 0, std::size_t{1} << 62);
  if (!violations.empty()) {
    return error_response("invalid_parameter", "invalid query parameters",
                          Value{{"violations", violations}});
  }
  auto listing = list_traces(*deps_.traces, params);
  if (!listing) {
    return error_response("trace_store_unavailable", listing.error().to_string());
  }
  return json_response(200, to_json(*listing));
}

ApiResponse ServiceApi::trace(const std::string& id) const {
  auto detail = show_trace(*deps_.traces, deps_.runs.get(), id);
  if (!detail) {
    if (detail.error().kind() == TraceErrorKind::NotFound) {
      return error_response("trace_not_found", detail.error().message());
    }
    return error_response("trace_store_unavailable", detail.error().to_string());
  }
  ApiResponse response = json_response(200, to_json(*detail));
  response.trace_id = id;
  return response;
}

ApiResponse ServiceApi::metrics() const {
  std::vector<ServiceMetrics::Gauge> gauges;
  if (deps_.runtime != nullptr) {
    const auto native = deps_.runtime->executor(ArtifactType::Native);
    if (const auto* pool = dynamic_cast<const ThreadPoolExecutor*>(native.get())) {
      const ThreadPoolStats stats = pool->stats();
      gauges.push_back({"traverse_pool_queue_depth", "Native pool calls waiting for a worker.",
                        static_cast<double>(stats.queued)});
      gauges.push_back({"traverse_pool_workers_busy", "Native pool workers running a call.",
                        static_cast<double>(stats.busy)});
      gauges.push_back({"traverse_pool_workers", "Native pool worker threads.",
                        static_cast<double>(stats.workers)});
      gauges.push_back({"traverse_pool_rejected", "Native pool calls refused (Overloaded).",
                        static_cast<double>(stats.rejected)});
    }
    const auto wasm = deps_.runtime->executor(ArtifactType::Wasm);
    if (const auto* sandbox = dynamic_cast<const WasmExecutor*>(wasm.get())) {
      const WasmExecutorStats stats = sandbox->stats();
      gauges.push_back({"traverse_wasm_workers_alive",
                        "WebAssembly sandbox worker processes alive.",
                        static_cast<double>(sandbox->worker_pids().size())});
      gauges.push_back({"traverse_wasm_workers_configured", "WebAssembly sandbox workers at most.",
                        static_cast<double>(sandbox->config().worker_count)});
      gauges.push_back({"traverse_wasm_workers_spawned", "WebAssembly workers started so far.",
                        static_cast<double>(stats.workers_spawned)});
      gauges.push_back({"traverse_wasm_workers_replaced",
                        "WebAssembly workers replaced after a timeout, crash or trap.",
                        static_cast<double>(stats.workers_replaced)});
      gauges.push_back({"traverse_wasm_executions", "Calls handed to a WebAssembly worker.",
                        static_cast<double>(stats.executions)});
      gauges.push_back({"traverse_wasm_timeouts", "WebAssembly calls past their deadline.",
                        static_cast<double>(stats.timeouts)});
      gauges.push_back({"traverse_wasm_overloaded", "WebAssembly calls refused (queue full).",
                        static_cast<double>(stats.overloaded)});
    }
  }
  const WorkerPoolStats service = pool_.stats();
  gauges.push_back({"traverse_service_queue_depth", "Service calls waiting for a worker.",
                    static_cast<double>(service.queued)});
  gauges.push_back({"traverse_service_workers_busy", "Service workers running a call.",
                    static_cast<double>(service.busy)});
  gauges.push_back({"traverse_service_rejected", "Service calls refused with 503 (queue full).",
                    static_cast<double>(service.rejected)});
  gauges.push_back({"traverse_service_executions_in_flight",
                    "Executions submitted to the runtime and not yet answered.",
                    static_cast<double>(executions_in_flight())});
  gauges.push_back({"traverse_events_last_sequence", "Sequence of the newest streamed event.",
                    static_cast<double>(hub_.last_sequence())});
  gauges.push_back({"traverse_events_broker_dropped",
                    "Events the broker dropped before the service could stream them.",
                    static_cast<double>(hub_.broker_dropped())});
  if (gauges_) {
    for (auto& gauge : gauges_()) {
      gauges.push_back(std::move(gauge));
    }
  }
  ApiResponse response;
  response.status = 200;
  response.content_type = "text/plain; version=0.0.4";
  response.body = metrics_.render(gauges);
  return response;
}

}  // namespace traverse
