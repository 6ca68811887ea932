// traverse/cluster/jetstream_event_bridge.hpp — copies every event a runtime publishes to the
// JetStream event stream (event_stream.hpp), so subscribers on any machine receive them and can
// replay them from a stream sequence (docs/cluster.md, "Event stream").
//
// The bridge subscribes to the runtime's broker like any consumer (every type in the catalog,
// types registered later included, from the oldest retained event), so it sees an event only
// after the runtime published it — after its trace entry was committed. A thread polls the
// broker every poll_interval and sends each event asynchronously (js_PublishMsgAsync) with
// Nats-Msg-Id = the event's id: the server stores an emission once, whoever sends it how often
// within the duplicate window. Order: per event type, the broker's order; across types, events
// polled together are sent by their timestamps (millisecond), so the stream's order across
// types is the emission order only approximately.
//
// Never blocking the pipeline: the runtime never waits for the bridge (the broker's
// subscription queues are the bound; an event dropped there is counted). At most
// max_pending_acks sends await their acknowledgement; beyond that one send waits stall_wait and
// the event counts as failed. An acknowledgement not received within ack_timeout is a failure.
// Nothing is silent: stats() counts every event offered, stored, duplicate, failed and dropped,
// and on_problem (when set) is told, at most once per problem_interval, when those grow.
//
// Ownership: the bridge shares the connection, broker and catalog. close() (also run by the
// destructor) polls a last time, waits for acknowledgements (bounded by close_timeout) and
// cancels its broker subscriptions.
// Thread safety: every member is safe from many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "traverse/cluster/cluster_error.hpp"
#include "traverse/cluster/event_stream.hpp"
#include "traverse/cluster/nats_connection.hpp"
#include "traverse/events/event_broker.hpp"
#include "traverse/events/event_catalog.hpp"
#include "traverse/events/traverse_event.hpp"

namespace traverse {

struct JetStreamEventBridgeConfig {
  EventStreamConfig stream;
  std::chrono::milliseconds poll_interval{20};  // how often the broker is polled (1 ms..10 s)
  std::size_t poll_batch = 256;                 // events taken per type and poll (>= 1)
  std::int64_t max_pending_acks = 1024;         // sends awaiting acknowledgement (>= 1)
  std::chrono::milliseconds stall_wait{200};    // wait for a free slot beyond that
  std::chrono::milliseconds ack_timeout{5'000};
  std::chrono::milliseconds close_timeout{5'000};
  // Called (on the bridge's thread) when events were dropped or failed since the last call, at
  // most once per problem_interval, with a one-line description. Must not block for long.
  std::function<void(const std::string&)> on_problem;
  std::chrono::milliseconds problem_interval{10'000};
};

// Counters since start. offered = stored + duplicates + failed + pending, once all is sent.
struct EventBridgeStats {
  std::uint64_t offered = 0;        // events taken from the broker (or given to publish())
  std::uint64_t stored = 0;         // acknowledged as stored
  std::uint64_t duplicates = 0;     // acknowledged as a duplicate (this emission was stored before)
  std::uint64_t failed = 0;         // refused, not sendable, or not acknowledged in time
  std::uint64_t dropped = 0;        // lost before the bridge took them (broker queue overflow)
  std::uint64_t pending = 0;        // sent, awaiting acknowledgement
  std::uint64_t last_sequence = 0;  // the highest stream sequence acknowledged
  std::string last_problem;         // why the latest failure happened ("" if none)
};

class JetStreamEventBridge {
 public:
  // Ensures the stream exists, then starts polling `broker` (null: no polling; publish() only).
  // `catalog`: the event types to subscribe to (the runtime's; required with a broker).
  // Failure: InvalidOptions (bounds, broker without catalog), StreamUnavailable,
  // ConnectionClosed.
  [[nodiscard]] static std::expected<std::unique_ptr<JetStreamEventBridge>, ClusterError> start(
      std::shared_ptr<NatsConnection> connection, std::shared_ptr<EventBroker> broker,
      std::shared_ptr<EventCatalog> catalog, JetStreamEventBridgeConfig config = {});
  ~JetStreamEventBridge();
  JetStreamEventBridge(const JetStreamEventBridge&) = delete;
  JetStreamEventBridge& operator=(const JetStreamEventBridge&) = delete;

  // Sends one event (what the polling thread does for each broker event; also for events from
  // elsewhere). Waits at most stall_wait for a free acknowledgement slot. Failure (counted as
  // failed): PayloadTooLarge, PublishFailed, ConnectionClosed (also after close()).
  [[nodiscard]] std::expected<void, ClusterError> publish(const TraverseEvent& event);

  // Polls the broker now and waits (bounded by `timeout`) until every send is acknowledged.
  // Returns false when sends were still unacknowledged at the bound.
  bool flush(std::chrono::milliseconds timeout);

  // Stops polling after a last poll, flushes (close_timeout), cancels the broker subscriptions.
  // Idempotent.
  void close();

  [[nodiscard]] EventBridgeStats stats() const;
  [[nodiscard]] const EventStreamConfig& stream() const;

  struct State;  // implementation detail (src/cluster)
  explicit JetStreamEventBridge(std::shared_ptr<State> state);

 private:
  std::shared_ptr<State> state_;
};

}  // namespace traverse
