#include "traverse/events/event_error.hpp"

#include <utility>

namespace traverse {

std::string_view to_string(EventErrorKind kind) {
  switch (kind) {
    case EventErrorKind::ValidationRejected:
      return "ValidationRejected";
    case EventErrorKind::LifecycleViolation:
      return "LifecycleViolation";
    case EventErrorKind::UnregisteredEventType:
      return "UnregisteredEventType";
    case EventErrorKind::InvalidCursor:
      return "InvalidCursor";
    case EventErrorKind::CursorExpired:
      return "CursorExpired";
    case EventErrorKind::SubscriptionNotFound:
      return "SubscriptionNotFound";
    case EventErrorKind::InvalidRetentionWindow:
      return "InvalidRetentionWindow";
    case EventErrorKind::CapacityExceeded:
      return "CapacityExceeded";
  }
  return "Unknown";
}

EventError EventError::validation_rejected(std::string code, std::string event_type) {
  return {EventErrorKind::ValidationRejected, std::move(code), std::move(event_type), {}};
}
EventError EventError::lifecycle_violation(std::string reason, std::string event_type) {
  return {EventErrorKind::LifecycleViolation, std::move(reason), std::move(event_type), {}};
}
EventError EventError::unregistered_event_type(std::string event_type) {
  std::string detail = event_type;
  return {EventErrorKind::UnregisteredEventType, std::move(detail), std::move(event_type), {}};
}
EventError EventError::invalid_cursor(std::string cursor, std::string event_type) {
  return {EventErrorKind::InvalidCursor, std::move(cursor), std::move(event_type), {}};
}
EventError EventError::cursor_expired(std::string event_type, std::string oldest_available_cursor) {
  return {
      EventErrorKind::CursorExpired, {}, std::move(event_type), std::move(oldest_available_cursor)};
}
EventError EventError::subscription_not_found(std::string subscription_id) {
  return {EventErrorKind::SubscriptionNotFound, std::move(subscription_id), {}, {}};
}
EventError EventError::invalid_retention_window(std::string reason) {
  return {EventErrorKind::InvalidRetentionWindow, std::move(reason), {}, {}};
}
EventError EventError::capacity_exceeded(std::string reason) {
  return {EventErrorKind::CapacityExceeded, std::move(reason), {}, {}};
}

std::string EventError::message() const {
  switch (kind_) {
    case EventErrorKind::ValidationRejected:
      return "event validation rejected: " + detail_;
    case EventErrorKind::LifecycleViolation:
      return "lifecycle violation: " + detail_;
    case EventErrorKind::UnregisteredEventType:
      return "unregistered event type: " + detail_;
    case EventErrorKind::InvalidCursor:
      return "invalid cursor: \"" + detail_ + "\"" +
             (event_type_.empty() ? std::string() : " for event type " + event_type_) +
             "; expected a base-10 unsigned integer";
    case EventErrorKind::CursorExpired:
      return "cursor expired for event type " + event_type_ + "; oldest available cursor is " +
             oldest_available_cursor_;
    case EventErrorKind::SubscriptionNotFound:
      return "subscription not found: " + detail_;
    case EventErrorKind::InvalidRetentionWindow:
      return "invalid retention window: " + detail_;
    case EventErrorKind::CapacityExceeded:
      return "capacity exceeded: " + detail_;
  }
  return detail_;
}

std::string EventError::to_string() const {
  return std::string(traverse::to_string(kind_)) + ": " + message();
}

}  // namespace traverse
