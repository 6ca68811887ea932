// traverse/cluster/event_stream_reader.hpp — reads the JetStream event stream (event_stream.hpp)
// from a sequence number, on any machine (`traverse events watch`; docs/cluster.md).
//
// open() creates the stream when absent (a reader may start before any runtime publishes) and an
// ordered, ephemeral consumer: the server delivers the stored events in stream order from the
// start sequence, then new ones as they are stored; the client library recreates the consumer
// after a gap, so events arrive in order, without gaps or duplicates, once each. With one event
// type the server filters by its subject; with several, the reader filters by the envelope's
// exact `event_type` (subjects may have replaced characters).
//
// Ownership: shares the connection; destroying the reader deletes the consumer.
// Thread safety: confine a reader to one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "traverse/cluster/cluster_error.hpp"
#include "traverse/cluster/event_stream.hpp"
#include "traverse/cluster/nats_connection.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

struct EventStreamReaderConfig {
  EventStreamConfig stream;
  // The first stream sequence to deliver; 0: the oldest stored event. Ignored with only_new.
  std::uint64_t from_sequence = 0;
  bool only_new = false;                 // only events stored after open()
  std::vector<std::string> event_types;  // empty: every type
};

// One stored event.
struct StreamedEvent {
  std::uint64_t sequence = 0;  // the stream sequence (replay from sequence + 1 to continue)
  std::string subject;
  std::string message_id;  // the Nats-Msg-Id header: the event's id
  std::string event_type;
  Value envelope;  // the event's JSON envelope (traverse_event.hpp)
};

class EventStreamReader {
 public:
  // Failure: StreamUnavailable (JetStream off, the stream cannot be created), SubscribeFailed,
  // ConnectionClosed.
  [[nodiscard]] static std::expected<std::unique_ptr<EventStreamReader>, ClusterError> open(
      std::shared_ptr<NatsConnection> connection, EventStreamReaderConfig config);
  ~EventStreamReader();
  EventStreamReader(const EventStreamReader&) = delete;
  EventStreamReader& operator=(const EventStreamReader&) = delete;

  // The next matching event, waiting at most `timeout`; nullopt when none came in time.
  // Failure: MalformedMessage (a message on the stream's subjects that is not an event envelope;
  // its sequence is in the message and the reader moves past it), ConnectionClosed.
  [[nodiscard]] std::expected<std::optional<StreamedEvent>, ClusterError> next(
      std::chrono::milliseconds timeout);

  // The stream's first stored sequence when open() ran (0 when it was empty): a from_sequence
  // below it asked for events that are no longer stored.
  [[nodiscard]] std::uint64_t first_stored_sequence() const;

  struct State;  // implementation detail (src/cluster)
  explicit EventStreamReader(std::unique_ptr<State> state);

 private:
  std::unique_ptr<State> state_;
};

}  // namespace traverse
