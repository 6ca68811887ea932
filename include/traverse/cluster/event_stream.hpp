// traverse/cluster/event_stream.hpp — the JetStream stream every runtime's events go to
// (docs/cluster.md, "Event stream").
//
// One stream, `TRAVERSE_EVENTS`, holds subjects `traverse.events.>`; an event of type T is stored
// on `traverse.events.<T with safe characters>` as its JSON envelope (traverse_event.hpp), with
// the header `Nats-Msg-Id` = the event's id (a fresh UUIDv4 per emission), so the server stores
// one emission once however often it is sent within the stream's duplicate window. The stream
// is created by the first process that needs it, with the limits below; an existing stream is
// used as it is (an operator may have set other limits).
// Pure functions and value types; the functions are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "traverse/cluster/cluster_error.hpp"
#include "traverse/cluster/nats_connection.hpp"

namespace traverse {

struct EventStreamConfig {
  std::string stream = "TRAVERSE_EVENTS";
  std::string subject_prefix = "traverse.events";  // subjects: <prefix>.<event type>
  // Limits of a stream created here (the oldest events are discarded beyond them).
  std::chrono::seconds max_age{7 * 24 * 3600};
  std::int64_t max_bytes = std::int64_t{1} << 30;
  std::int64_t max_messages = 10'000'000;
  // How long the server remembers a Nats-Msg-Id to refuse a second copy.
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};
  bool memory_storage = false;  // file storage (survives a server restart) unless set
  // Bound of every JetStream API call (stream lookup, creation, consumer creation).
  std::chrono::milliseconds api_timeout{5'000};
};

// What the stream holds now.
struct EventStreamState {
  std::uint64_t messages = 0;
  std::uint64_t first_sequence = 0;  // 0 when empty (then last_sequence + 1 is next)
  std::uint64_t last_sequence = 0;
};

// The header carrying the per-emission deduplication id.
inline constexpr const char* kEventMessageIdHeader = "Nats-Msg-Id";
// The header carrying the event type (exact, where the subject may have replaced characters).
inline constexpr const char* kEventTypeHeader = "Traverse-Event-Type";

// `<prefix>.<event type>` where every character of the type other than [A-Za-z0-9_.-] becomes
// '_' and an empty dot-separated token becomes '_' (a subject has no empty tokens), so
// "expedition.planning.plan-assembled" stays as it is and "a b.*" becomes "a_b._".
[[nodiscard]] std::string event_subject(std::string_view subject_prefix,
                                        std::string_view event_type);

// Looks the stream up and creates it when absent. Failure: StreamUnavailable (JetStream off,
// creation refused, or no answer within api_timeout), ConnectionClosed.
[[nodiscard]] std::expected<EventStreamState, ClusterError> ensure_event_stream(
    const NatsConnection& connection, const EventStreamConfig& config);

// The stream's state. Failure: StreamUnavailable (absent, JetStream off, no answer).
[[nodiscard]] std::expected<EventStreamState, ClusterError> event_stream_state(
    const NatsConnection& connection, const EventStreamConfig& config);

}  // namespace traverse
