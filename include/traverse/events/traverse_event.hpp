// traverse/events/traverse_event.hpp — one event as published to an EventBroker
// (docs/traces-and-events.md; JSON key `event_type`, optional fields omitted when absent).
//
// Value type; thread-compatible.
#pragma once

#include <expected>
#include <optional>
#include <string>

#include "traverse/contracts/validation_error.hpp"
#include "traverse/contracts/vocabulary.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

struct TraverseEvent {
  std::string id;          // unique per event (UUIDv4); dedup key
  std::string source;      // "traverse-runtime/<capability id>"
  std::string event_type;  // the event contract id
  std::string datacontenttype = "application/json";
  std::string time;                                // RFC 3339
  Value data = Value::object();                    // the payload
  std::string owner;                               // the emitting capability id
  std::string version;                             // the event contract version
  Lifecycle lifecycle_status = Lifecycle::Active;  // draft | active | deprecated
  std::optional<std::string> deduplication_id;
  std::optional<std::string> ordering_scope;
  std::optional<std::string> correlation_id;
  std::optional<std::string> causation_id;
  std::optional<std::string> subject_id;
  std::optional<std::string> actor_id;

  friend bool operator==(const TraverseEvent&, const TraverseEvent&) = default;
};

[[nodiscard]] Value to_json(const TraverseEvent& event);
[[nodiscard]] std::expected<TraverseEvent, ValidationErrors> traverse_event_from_json(
    const Value& json);

}  // namespace traverse
