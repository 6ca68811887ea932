// traverse/router/event_publication.hpp — publishing a successful execution's events, in two
// halves around the trace write (docs/traces-and-events.md; D1, D2 in docs/compatibility.md).
//
// Order, for the router and the runtime alike: plan_publication (before the trace entry: which
// events will be offered to the broker, which are refused — the capability is not Subscribable,
// or there is no broker) → write the trace entry (its published_events are the offered ids, its
// publish_errors the refused ones) → publish_planned (only after the entry is committed). A
// failed trace write publishes nothing. A broker failure after the commit never fails the
// execution: it is reported to the caller (response, warnings, RuntimeTrace) — the committed
// entry lists the event as offered.
// Thread safety: the functions are thread-safe when the broker is.
#pragma once

#include <vector>

#include "traverse/events/event_broker.hpp"
#include "traverse/events/event_catalog.hpp"
#include "traverse/events/traverse_event.hpp"
#include "traverse/executor/executor_capability.hpp"
#include "traverse/trace/trace_entry.hpp"

namespace traverse {

struct PublicationPlan {
  std::vector<TraverseEvent> emitted;      // every event the capability emitted, in order
  std::vector<TraverseEvent> offered;      // to publish after the trace commit
  std::vector<TracePublishError> refused;  // never offered, with the reason
};

// Splits `events` (see the file comment). `has_broker`: a broker is configured. `catalog`
// (optional): the catalog the broker consults; an event whose type it does not know, or whose
// type is not active, is refused here — before the commit, so the trace entry records it —
// with the broker's own wording.
[[nodiscard]] PublicationPlan plan_publication(const ExecutorCapability& capability,
                                               std::vector<TraverseEvent> events, bool has_broker,
                                               const EventCatalog* catalog = nullptr);

// The ids of the offered events (PublicTraceEntry::published_events).
[[nodiscard]] std::vector<std::string> offered_ids(const PublicationPlan& plan);
// The offered events as JSON envelopes (to_json), for the private trace entry.
[[nodiscard]] std::vector<Value> offered_envelopes(const PublicationPlan& plan);

// Publishes the offered events in order; returns the broker's refusals (one per failed event).
[[nodiscard]] std::vector<TracePublishError> publish_planned(EventBroker& broker,
                                                             const PublicationPlan& plan);

}  // namespace traverse
