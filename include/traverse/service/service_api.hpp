// traverse/service/service_api.hpp — the service's routes, independent of the transport.
//
// The HTTP transport (service.cpp) parses a request into an ApiRequest and calls dispatch; the
// API matches the route, checks the bearer token, and answers through `done` — at once for
// cheap routes (health, capabilities, metrics); for executions from the thread that finishes
// the capability (TraverseRuntime::submit_document + then: no I/O thread waits for a
// capability, and no thread of the service's own sits in between); for routes that block
// (registration, trace queries) from a WorkerPool thread. /v1/events is streamed by the
// transport (match + authorize only here).
//
// Routes (JSON bodies are the documents the CLI reads and writes):
//   GET  /healthz, /readyz, /metrics
//   GET  /v1/capabilities, /v1/capabilities/{id}; POST /v1/capabilities/register,
//        /v1/capabilities/execute; GET /v1/executions/{id}
//   POST /v1/workflows/register; GET /v1/workflows, /v1/workflows/{id}
//   GET  /v1/traces, /v1/traces/{id}; GET /v1/events (transport)
// Errors are {"error": {code, message, details}} with the status of http_status_table.hpp.
//
// Ownership: the API refers to the runtime, stores and pool given at construction; they must
// outlive it, and it must outlive every execution it submitted (wait_for_executions).
// Thread safety: dispatch may be called from many threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "traverse/json/value.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/service/async_executions.hpp"
#include "traverse/service/event_hub.hpp"
#include "traverse/service/service_config.hpp"
#include "traverse/service/service_metrics.hpp"
#include "traverse/service/token_store.hpp"
#include "traverse/service/worker_pool.hpp"
#include "traverse/trace/trace_store.hpp"
#include "traverse/trace/workflow_run_store.hpp"

namespace traverse {

// Completes the response document of one execution (e.g. records a workflow-backed run in the
// trace database and adds its evidence). Runs on the thread that finished the execution (an
// executor's worker; the caller of dispatch for a request refused before it ran); must be
// thread-safe.
// Failure: why the execution could not be traced (counted as a trace-store write failure and
// reported as a warning in the document).
using ExecutionHook =
    std::function<std::expected<void, std::string>(const RuntimeExecution&, Value& document)>;

// What the service serves. `runtime` must outlive the service.
struct ServiceDependencies {
  TraverseRuntime* runtime = nullptr;
  // Where /v1/traces reads; default: the runtime's trace store.
  std::shared_ptr<TraceStore> traces;
  // Recorded workflow runs for /v1/traces/{id}; may be null.
  std::shared_ptr<SqliteWorkflowRunStore> runs;
  TokenStore tokens;  // empty: no authentication
  ExecutionHook after_execute;
};

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as received
  std::string body;
  std::string authorization;  // Authorization header
  std::string prefer;         // Prefer header
  std::string timeout_ms;     // X-Traverse-Timeout-Ms header
};

struct ApiResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Retry-After, ...)
  std::string trace_id;                                      // for the access log; empty when none
};

// What a request is, before it runs.
struct RouteMatch {
  std::string_view route;  // the pattern, for metrics ("/v1/traces/{id}"; "unmatched"): static
  bool events = false;     // GET /v1/events: streamed by the transport
  std::optional<ApiResponse> rejection;  // set when the request must be refused (404, 401, ...)
};

class ServiceApi {
 public:
  ServiceApi(ServiceDependencies dependencies, const ServiceConfig& config, WorkerPool& pool,
             ServiceMetrics& metrics, EventHub& hub);

  // Matches and authorizes a request without running it.
  [[nodiscard]] RouteMatch match(const ApiRequest& request) const;

  // Runs the request; `done` is called exactly once: on this thread, a WorkerPool thread, or
  // the runtime's thread that finished the execution. Executions beyond
  // config.max_executions in flight are refused with 503 (overloaded, Retry-After).
  // `deadline`: when the request must be answered by (a queued call that cannot start before it
  // answers 504).
  void dispatch(ApiRequest request, std::chrono::steady_clock::time_point deadline,
                std::function<void(ApiResponse)> done);

  // The deadline of a request: now + X-Traverse-Timeout-Ms bounded by the server maximum
  // (nullopt when the header is malformed).
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> deadline_of(
      const ApiRequest& request) const;

  // Blocks until every execution dispatch submitted has answered (its `done` returned and was
  // released). The service calls it before it is destroyed.
  void wait_for_executions();
  [[nodiscard]] std::size_t executions_in_flight() const;

  // Readiness: false once shutdown began.
  void set_ready(bool ready) { ready_.store(ready); }

  // Gauges for /metrics supplied by the transport (open connections, streams).
  void set_gauge_source(std::function<std::vector<ServiceMetrics::Gauge>()> source);

  // {"error": {code, message, details}} with the table's status (and Retry-After).
  [[nodiscard]] static ApiResponse error_response(std::string_view code, std::string message,
                                                  Value details = Value::object(),
                                                  std::string_view error_class = {});

 private:
  ApiResponse handle(const ApiRequest& request, const std::string& route);
  // POST /v1/capabilities/execute (also with Prefer: respond-async) through the runtime's
  // submit_document; `done` as for dispatch.
  void submit_execution(const ApiRequest& request, std::function<void(ApiResponse)> done);
  // The admission bound of executions in flight.
  [[nodiscard]] bool admit_execution();
  void execution_finished();
  ApiResponse execution_status(const std::string& id) const;
  ApiResponse capabilities() const;
  ApiResponse capability(const std::string& id) const;
  ApiResponse register_capability(const ApiRequest& request);
  ApiResponse workflows() const;
  ApiResponse workflow(const std::string& id) const;
  ApiResponse register_workflow(const ApiRequest& request);
  ApiResponse traces(const ApiRequest& request) const;
  ApiResponse trace(const std::string& id) const;
  ApiResponse metrics() const;
  // The status and the response document of a finished execution (metrics, hook included).
  std::pair<unsigned, Value> finish_execution(const RuntimeExecution& execution,
                                              std::chrono::steady_clock::time_point started);

  ServiceDependencies deps_;
  const ServiceConfig& config_;
  WorkerPool& pool_;
  ServiceMetrics& metrics_;
  EventHub& hub_;
  AsyncExecutions async_;
  std::atomic<bool> ready_{true};
  mutable std::mutex executions_mutex_;
  std::condition_variable executions_idle_;
  std::size_t executions_in_flight_ = 0;  // guarded by executions_mutex_
  std::function<std::vector<ServiceMetrics::Gauge>()> gauges_;
};

}  // namespace traverse
