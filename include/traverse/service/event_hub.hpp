// traverse/service/event_hub.hpp — every event published to a broker, in one bounded, numbered
// stream that many clients read at their own pace.
//
// The hub subscribes to every event type in the catalog (types registered later are picked up
// by the next pump) and copies what it polls into a ring of at most `capacity` events, each
// numbered with a hub-wide sequence (first 1). A reader asks for the events after a sequence
// number; when the ring has moved past it, the read says how many events were missed
// (`dropped`), never silently. Sequence numbers restart with the process.
// Thread safety: every member is safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "traverse/events/event_broker.hpp"
#include "traverse/events/event_catalog.hpp"

namespace traverse {

struct HubEvent {
  std::uint64_t sequence = 0;
  std::string event_type;
  std::string broker_cursor;  // the broker's per-type cursor
  std::string json;           // canonical JSON of the TraverseEvent
};

struct HubRead {
  std::vector<HubEvent> events;  // in sequence order
  std::uint64_t dropped = 0;     // events after `after` no longer retained
  std::uint64_t last = 0;        // the sequence to read after next time
};

class EventHub {
 public:
  EventHub(std::shared_ptr<EventBroker> broker, std::shared_ptr<EventCatalog> catalog,
           std::size_t capacity);
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Subscribes to new event types and moves polled events into the ring. Returns how many
  // events were added.
  std::size_t pump();

  // Up to `max` events with sequence > `after`, only those whose type is in `types` (empty: all).
  [[nodiscard]] HubRead read(std::uint64_t after, std::size_t max,
                             const std::vector<std::string>& types) const;

  // The newest sequence number (0 before the first event).
  [[nodiscard]] std::uint64_t last_sequence() const;
  // Events the broker dropped from the hub's own subscriptions (it fell behind the broker).
  [[nodiscard]] std::uint64_t broker_dropped() const;

 private:
  std::shared_ptr<EventBroker> broker_;
  std::shared_ptr<EventCatalog> catalog_;
  const std::size_t capacity_;
  std::mutex pump_mutex_;  // one pump at a time
  // Guarded by pump_mutex_.
  std::map<std::string, std::string> subscriptions_;  // event type -> subscription id
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  std::deque<HubEvent> ring_;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t broker_dropped_ = 0;
};

}  // namespace traverse
