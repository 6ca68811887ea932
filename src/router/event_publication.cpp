#include "traverse/router/event_publication.hpp"

#include <optional>
#include <string>
#include <utility>

namespace traverse {

namespace {

// Why the broker would refuse this event's type, or nullopt (see InProcessBroker::publish).
std::optional<std::string> catalog_refusal(const EventCatalog& catalog,
                                           const TraverseEvent& event) {
  const auto entry = catalog.get(event.event_type);
  if (!entry) {
    return EventError::unregistered_event_type(event.event_type).message();
  }
  if (entry->lifecycle_status != Lifecycle::Active) {
    std::string state(to_string(entry->lifecycle_status));  // "Draft", as the broker says it
    if (!state.empty() && state[0] >= 'a' && state[0] <= 'z') {
      state[0] = static_cast<char>(state[0] - 'a' + 'A');
    }
    return EventError::lifecycle_violation(
               "event type '" + event.event_type + "' is " + state + " and cannot be published",
               event.event_type)
        .message();
  }
  return std::nullopt;
}

}  // namespace

PublicationPlan plan_publication(const ExecutorCapability& capability,
                                 std::vector<TraverseEvent> events, bool has_broker,
                                 const EventCatalog* catalog) {
  PublicationPlan plan;
  const bool subscribable = capability.service_type == ServiceType::Subscribable;
  for (const TraverseEvent& event : events) {
    if (!subscribable) {
      plan.refused.push_back({event.id, event.event_type,
                              "capability is not Subscribable; its events are not published"});
    } else if (!has_broker) {
      plan.refused.push_back({event.id, event.event_type, "no event broker configured"});
    } else if (auto refusal = catalog ? catalog_refusal(*catalog, event) : std::nullopt) {
      plan.refused.push_back({event.id, event.event_type, std::move(*refusal)});
    } else {
      plan.offered.push_back(event);
    }
  }
  if (subscribable) {
    plan.emitted = std::move(events);
  }
  return plan;
}

std::vector<std::string> offered_ids(const PublicationPlan& plan) {
  std::vector<std::string> ids;
  ids.reserve(plan.offered.size());
  for (const TraverseEvent& event : plan.offered) {
    ids.push_back(event.id);
  }
  return ids;
}

std::vector<Value> offered_envelopes(const PublicationPlan& plan) {
  std::vector<Value> envelopes;
  envelopes.reserve(plan.offered.size());
  for (const TraverseEvent& event : plan.offered) {
    envelopes.push_back(to_json(event));
  }
  return envelopes;
}

std::vector<TracePublishError> publish_planned(EventBroker& broker, const PublicationPlan& plan) {
  std::vector<TracePublishError> errors;
  for (const TraverseEvent& event : plan.offered) {
    if (auto receipt = broker.publish(event); !receipt) {
      errors.push_back({event.id, event.event_type, receipt.error().message()});
    }
  }
  return errors;
}

}  // namespace traverse
