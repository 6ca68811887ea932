#include "traverse/router/event_publication.hpp"

#include <utility>

namespace traverse {

PublicationPlan plan_publication(const ExecutorCapability& capability,
                                 std::vector<TraverseEvent> events, bool has_broker) {
  PublicationPlan plan;
  const bool subscribable = capability.service_type == ServiceType::Subscribable;
  for (const TraverseEvent& event : events) {
    if (!subscribable) {
      plan.refused.push_back({event.id, event.event_type,
                              "capability is not Subscribable; its events are not published"});
    } else if (!has_broker) {
      plan.refused.push_back({event.id, event.event_type, "no event broker configured"});
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
