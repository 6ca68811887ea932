// traverse/events/event_error.hpp — why an event operation failed (docs/traces-and-events.md).
//
// What the caller should do next, by kind:
//   ValidationRejected     — the envelope failed a check (Enforcement mode); `detail` is the first
//                            EVP code. Fix the event, do not retry as is.
//   LifecycleViolation     — the event type is Draft/Deprecated (not publishable), or a catalog
//                            entry conflicts with an existing one. Fix the catalog or contract.
//   UnregisteredEventType  — no catalog entry for the type; register its contract first.
//   InvalidCursor          — the cursor text is not a base-10 u64 (or a publish_with_cursor
//                            cursor is not after the type's last cursor).
//   CursorExpired          — events after the cursor were pruned; resume from
//                            `oldest_available_cursor` (and accept that events were missed).
//   SubscriptionNotFound   — unknown or cancelled subscription id.
//   InvalidRetentionWindow — broker configuration rejected (zero window or queue length).
//   CapacityExceeded       — a broker bound (e.g. max_subscriptions) is reached; nothing changed.
// Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace traverse {

enum class EventErrorKind {
  ValidationRejected,
  LifecycleViolation,
  UnregisteredEventType,
  InvalidCursor,
  CursorExpired,
  SubscriptionNotFound,
  InvalidRetentionWindow,
  CapacityExceeded,
};

// "ValidationRejected", "LifecycleViolation", ... (stable names).
[[nodiscard]] std::string_view to_string(EventErrorKind kind);

class EventError {
 public:
  EventError(EventErrorKind kind, std::string detail, std::string event_type = {},
             std::string oldest_available_cursor = {})
      : kind_(kind),
        detail_(std::move(detail)),
        event_type_(std::move(event_type)),
        oldest_available_cursor_(std::move(oldest_available_cursor)) {}

  [[nodiscard]] static EventError validation_rejected(std::string code, std::string event_type);
  [[nodiscard]] static EventError lifecycle_violation(std::string reason,
                                                      std::string event_type = {});
  [[nodiscard]] static EventError unregistered_event_type(std::string event_type);
  [[nodiscard]] static EventError invalid_cursor(std::string cursor, std::string event_type = {});
  [[nodiscard]] static EventError cursor_expired(std::string event_type,
                                                 std::string oldest_available_cursor);
  [[nodiscard]] static EventError subscription_not_found(std::string subscription_id);
  [[nodiscard]] static EventError invalid_retention_window(std::string reason);
  [[nodiscard]] static EventError capacity_exceeded(std::string reason);

  [[nodiscard]] EventErrorKind kind() const { return kind_; }
  // ValidationRejected: the first EVP code; LifecycleViolation / InvalidRetentionWindow /
  // CapacityExceeded: the reason; UnregisteredEventType: the type; InvalidCursor: the cursor
  // text; SubscriptionNotFound: the subscription id; CursorExpired: empty.
  [[nodiscard]] const std::string& detail() const { return detail_; }
  // The event type concerned, when known.
  [[nodiscard]] const std::string& event_type() const { return event_type_; }
  // CursorExpired only (decimal).
  [[nodiscard]] const std::string& oldest_available_cursor() const {
    return oldest_available_cursor_;
  }

  // Display text, e.g. "event validation rejected: EVP-010",
  // "unregistered event type: core.x.happened",
  // "cursor expired for event type core.x.happened; oldest available cursor is 4".
  [[nodiscard]] std::string message() const;
  // "<Kind>: <message>".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const EventError&, const EventError&) = default;

 private:
  EventErrorKind kind_;
  std::string detail_;
  std::string event_type_;
  std::string oldest_available_cursor_;
};

}  // namespace traverse
