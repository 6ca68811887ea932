// traverse/events/event_broker.hpp — the interface for publishing and consuming events
// (docs/traces-and-events.md, "Events").
//
// Events of one type get strictly increasing cursors (decimal strings, first "1"). A consumer
// subscribes to a type from a cursor ("0" = from the oldest retained event), optionally only
// for one subject, then polls; delivery is at-most-once per subscription, in publish order per
// type. Implementations: InProcessBroker. Share one broker through std::shared_ptr.
// Thread safety: every implementation is safe for concurrent access from many threads without
// external synchronization.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/events/event_error.hpp"
#include "traverse/events/traverse_event.hpp"

namespace traverse {

struct BrokerEvent {
  std::string cursor;  // decimal, per event type
  TraverseEvent event;
  friend bool operator==(const BrokerEvent&, const BrokerEvent&) = default;
};

// What a successful publish did.
struct PublishReceipt {
  std::string cursor;      // the cursor assigned (for a duplicate: the original event's cursor)
  bool duplicate = false;  // an event with this id is already retained for the type: not re-sent
};

struct Subscription {
  std::string subscription_id;  // "sub-N"
  std::string event_type;
  std::string cursor;                     // the cursor subscribed from
  std::optional<std::string> subject_id;  // only events with this subject_id are delivered
};

struct SubscriptionPoll {
  std::string subscription_id;
  std::string event_type;
  std::string cursor;  // cursor of the last delivered event (unchanged if none delivered)
  std::vector<BrokerEvent> events;  // in cursor order
  // Events removed from this subscription's queue since the previous poll without being
  // delivered (queue overflow drop-oldest, or retention expiry). Never silent.
  std::uint64_t dropped = 0;
};

class EventBroker {
 public:
  virtual ~EventBroker() = default;

  // Validates and publishes one event to every matching subscription of its type.
  // Success: the receipt (a duplicate id is a success with duplicate = true and no delivery).
  // Failure (nothing published): ValidationRejected, UnregisteredEventType, LifecycleViolation.
  // Thread-safe.
  [[nodiscard]] virtual std::expected<PublishReceipt, EventError> publish(
      const TraverseEvent& event) = 0;

  // publish, but the event takes `cursor` (e.g. replayed from a journal). Besides publish's
  // failures: InvalidCursor if `cursor` is not greater than the type's last cursor.
  // Thread-safe.
  [[nodiscard]] virtual std::expected<PublishReceipt, EventError> publish_with_cursor(
      const TraverseEvent& event, std::uint64_t cursor) = 0;

  // Opens a subscription on `event_type` starting after `from_cursor` ("0" = from the oldest
  // retained event; surrounding whitespace ignored). Retained events after the cursor (matching
  // `subject_id` if given) are queued immediately. Failure: UnregisteredEventType,
  // InvalidCursor (not a base-10 u64), CursorExpired (events after the cursor were pruned),
  // CapacityExceeded (too many subscriptions). Thread-safe.
  [[nodiscard]] virtual std::expected<Subscription, EventError> subscribe(
      std::string_view event_type, std::string_view from_cursor,
      std::optional<std::string> subject_id = std::nullopt) = 0;

  // Takes up to `max` queued events (FIFO). `max == 0` returns none with the current cursor.
  // Failure: SubscriptionNotFound; CursorExpired (implementation-defined recovery, see the
  // implementation's header). Thread-safe.
  [[nodiscard]] virtual std::expected<SubscriptionPoll, EventError> poll(
      std::string_view subscription_id, std::size_t max) = 0;

  // Closes a subscription; its queued events are discarded. SubscriptionNotFound if unknown.
  // Thread-safe.
  [[nodiscard]] virtual std::expected<void, EventError> cancel(
      std::string_view subscription_id) = 0;

  // Tells the broker that cursors up to `floor` were used before a restart, so a subscriber
  // asking for an older cursor gets CursorExpired instead of silently missing events. Default:
  // no-op. Thread-safe.
  virtual void seed_restart_floor(std::uint64_t floor) { (void)floor; }
};

}  // namespace traverse
