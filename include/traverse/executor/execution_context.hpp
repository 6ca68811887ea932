// traverse/executor/execution_context.hpp — what a running capability may see and do.
//
// One ExecutionContext exists per execution; the caller (router, workflow engine, test) owns it
// and it must outlive the `execute` call. A capability reads its identity (capability id and
// version, execution id, trace id) and emits events with `emit`, which checks each event at call
// time against the contract, exactly like the WASM host function `traverse_host.emit_event`
// (docs/wasm-capabilities-in-c.md), in its order: the capability must be Subscribable (else
// NotSubscribable), event id and version must be non-empty (else InvalidPayload), and the
// (event_id, version) must be in its `emits` (else UndeclaredEvent). Accepted events are kept here,
// in order, and travel back in ExecutorOutput; they are published only if the execution succeeds.
//
// An executor that runs the call elsewhere records each try with record_attempt (attempts());
// the router hands them to the trace.
//
// Thread safety: confine to the thread running the capability (the ThreadPoolExecutor hands it
// to one worker while the caller blocks, so there is never concurrent access); an asynchronous
// executor touches it only until it fulfils the call's completion, one thread at a time.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "traverse/events/traverse_event.hpp"
#include "traverse/executor/execution_attempt.hpp"
#include "traverse/executor/executor_capability.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

// Why `emit` refused an event. The numeric values are the host ABI return codes.
enum class EmitError {
  InvalidPayload = -1,   // malformed request (WASM: bad pointer/length/JSON)
  UndeclaredEvent = -2,  // (event_id, version) not in the contract's `emits`
  NotSubscribable = -3,  // the capability's service_type is not Subscribable
};

[[nodiscard]] std::string_view to_string(EmitError error);

class ExecutionContext {
 public:
  // REQUIRES: `capability` outlives this context.
  ExecutionContext(const ExecutorCapability& capability, std::string execution_id,
                   std::string trace_id, Value runtime_config = Value::object());

  [[nodiscard]] const std::string& capability_id() const { return capability_->capability_id; }
  [[nodiscard]] const std::string& capability_version() const {
    return capability_->capability_version;
  }
  [[nodiscard]] const std::string& execution_id() const { return execution_id_; }
  [[nodiscard]] const std::string& trace_id() const { return trace_id_; }
  [[nodiscard]] const ExecutorCapability& capability() const { return *capability_; }
  // Configuration the embedder passes to capabilities (traverse_host.runtime_config).
  [[nodiscard]] const Value& runtime_config() const { return runtime_config_; }

  // Checks and records an event (see the file comment). On success the returned event is the
  // one that will be published: id = UUIDv4, source = "traverse-runtime/<capability id>",
  // event_type = event_id, time = now, owner and ordering_scope = capability id,
  // deduplication_id = "<cap>:<event_id>:<version>", lifecycle active. On failure: the EmitError;
  // nothing is recorded.
  std::expected<TraverseEvent, EmitError> emit(std::string_view event_id, std::string_view version,
                                               Value payload);

  // The events accepted so far, in emit order.
  [[nodiscard]] const std::vector<TraverseEvent>& emitted_events() const { return emitted_; }

  // Records one try of a remote call (remote_executor.hpp), in order.
  void record_attempt(ExecutionAttempt attempt) { attempts_.push_back(std::move(attempt)); }
  [[nodiscard]] const std::vector<ExecutionAttempt>& attempts() const { return attempts_; }

 private:
  [[nodiscard]] std::expected<void, EmitError> check(std::string_view event_id,
                                                     std::string_view version) const;

  const ExecutorCapability* capability_;
  std::string execution_id_;
  std::string trace_id_;
  Value runtime_config_;
  std::vector<TraverseEvent> emitted_;
  std::vector<ExecutionAttempt> attempts_;
};

}  // namespace traverse
