#include "traverse/executor/execution_context.hpp"

#include <algorithm>
#include <utility>

#include "traverse/support/ids.hpp"

namespace traverse {

std::string_view to_string(EmitError error) {
  switch (error) {
    case EmitError::InvalidPayload:
      return "InvalidPayload";
    case EmitError::UndeclaredEvent:
      return "UndeclaredEvent";
    case EmitError::NotSubscribable:
      return "NotSubscribable";
  }
  return "Unknown";
}

ExecutionContext::ExecutionContext(const ExecutorCapability& capability, std::string execution_id,
                                   std::string trace_id, Value runtime_config)
    : capability_(&capability),
      execution_id_(std::move(execution_id)),
      trace_id_(std::move(trace_id)),
      runtime_config_(std::move(runtime_config)) {}

// Same order as traverse_host.emit_event (docs/wasm-capabilities-in-c.md): the service type first
// (nothing else is looked at for a non-Subscribable capability), then the request itself, then
// `emits`.
std::expected<void, EmitError> ExecutionContext::check(std::string_view event_id,
                                                       std::string_view version) const {
  if (capability_->service_type != ServiceType::Subscribable) {
    return std::unexpected(EmitError::NotSubscribable);
  }
  if (event_id.empty() || version.empty()) {
    return std::unexpected(EmitError::InvalidPayload);
  }
  const auto& emits = capability_->emits;
  const bool declared = std::any_of(emits.begin(), emits.end(), [&](const EventReference& ref) {
    return ref.event_id == event_id && ref.version == version;
  });
  if (!declared) {
    return std::unexpected(EmitError::UndeclaredEvent);
  }
  return {};
}

std::expected<TraverseEvent, EmitError> ExecutionContext::emit(std::string_view event_id,
                                                               std::string_view version,
                                                               Value payload) {
  if (auto checked = check(event_id, version); !checked) {
    return std::unexpected(checked.error());
  }
  if (payload.is_discarded()) {  // a failed parse's marker, not a JSON value
    return std::unexpected(EmitError::InvalidPayload);
  }
  const std::string& cap = capability_->capability_id;
  TraverseEvent event;
  event.id = new_uuid_v4();
  event.source = "traverse-runtime/" + cap;
  event.event_type = std::string(event_id);
  event.time = rfc3339_now();
  event.data = std::move(payload);
  event.owner = cap;
  event.version = std::string(version);
  event.lifecycle_status = Lifecycle::Active;
  event.deduplication_id = cap + ":" + event.event_type + ":" + event.version;
  event.ordering_scope = cap;
  emitted_.push_back(event);
  return event;
}

}  // namespace traverse
