// traverse/cluster/nats_connection.hpp — one connection to a NATS server (the official C
// client, libnats), with RAII subscriptions whose handlers run on the client's threads.
//
// Contract: connect() opens the connection with send batching off (SendAsap) and the
// NatsOptions' credentials and TLS. publish/publish_request never block on the network (the
// client buffers); a message larger than the server's max_payload is PayloadTooLarge. A
// subscription's handler runs on that subscription's delivery thread, one message at a time; its
// NatsMessage views are valid only during the call. Destroying a NatsSubscription removes the
// interest and waits until its handler has returned for the last time, so what the handler
// uses may be freed right after (do not destroy a subscription from its own handler).
// Connection-lost listeners run on the client's thread when the connection drops or closes.
//
// Ownership: shared (std::shared_ptr); subscriptions keep what they need alive themselves.
// Thread safety: every member function is safe to call from many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "traverse/cluster/cluster_error.hpp"
#include "traverse/cluster/nats_options.hpp"

namespace traverse {

// One received message (views into the client's buffer, valid during the handler call).
struct NatsMessage {
  std::string_view subject;
  std::string_view reply;  // empty when the sender expects no reply
  std::string_view data;
  bool no_responders = false;  // the server's "no responders" status for a request
};

using NatsMessageHandler = std::function<void(const NatsMessage&)>;

class NatsSubscription {
 public:
  NatsSubscription() = default;
  ~NatsSubscription();
  NatsSubscription(NatsSubscription&& other) noexcept;
  NatsSubscription& operator=(NatsSubscription&& other) noexcept;
  NatsSubscription(const NatsSubscription&) = delete;
  NatsSubscription& operator=(const NatsSubscription&) = delete;

  // Unsubscribes and waits for the handler's last call (bounded: 5 s; the handler state is then
  // leaked rather than freed under a running handler). Idempotent.
  void close();
  [[nodiscard]] bool active() const { return state_ != nullptr; }

  struct State;  // implementation detail (src/cluster)
  explicit NatsSubscription(State* state) : state_(state) {}

 private:
  State* state_ = nullptr;
};

class NatsConnection {
 public:
  // Connects (bounded by options.connect_timeout). Failure: InvalidOptions (a file or option the
  // client refused) or ConnectFailed (no server answered).
  [[nodiscard]] static std::expected<std::shared_ptr<NatsConnection>, ClusterError> connect(
      const NatsOptions& options);

  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  // Sends `data` on `subject` (with a reply subject for publish_request). Failure:
  // PayloadTooLarge, ConnectionClosed, PublishFailed.
  [[nodiscard]] std::expected<void, ClusterError> publish(std::string_view subject,
                                                          std::string_view data) const;
  [[nodiscard]] std::expected<void, ClusterError> publish_request(std::string_view subject,
                                                                  std::string_view reply,
                                                                  std::string_view data) const;

  // Subscribes `handler` to `subject` (wildcards allowed); with a non-empty `queue_group`, each
  // message goes to one member of the group. Pending messages per subscription are bounded by
  // `max_pending` (beyond it the client drops messages and reports a slow consumer).
  [[nodiscard]] std::expected<NatsSubscription, ClusterError> subscribe(
      std::string_view subject, std::string_view queue_group, NatsMessageHandler handler,
      int max_pending = 65536) const;

  // Sends a request and blocks for one reply (for tools, not the execution path). Failure:
  // PublishFailed (no reply within `timeout`, or no responders), ConnectionClosed.
  [[nodiscard]] std::expected<std::string, ClusterError> request(
      std::string_view subject, std::string_view data, std::chrono::milliseconds timeout) const;

  // Waits until the server has processed everything sent so far (bounded).
  [[nodiscard]] std::expected<void, ClusterError> flush(std::chrono::milliseconds timeout) const;

  // A fresh unique inbox subject ("_INBOX.<nuid>").
  [[nodiscard]] std::string new_inbox() const;
  // The server's largest accepted message (bytes).
  [[nodiscard]] std::int64_t max_payload() const;
  [[nodiscard]] bool connected() const;

  // Registers a listener called (on a client thread) each time the connection is lost or
  // closed. Returns an id for remove_connection_listener (which waits for a running call).
  std::uint64_t add_connection_listener(std::function<void()> listener);
  void remove_connection_listener(std::uint64_t id);

  struct Impl;  // implementation detail (src/cluster)
  explicit NatsConnection(std::unique_ptr<Impl> impl);

 private:
  friend struct NatsConnectionAccess;  // the module's JetStream code (src/cluster)

  std::unique_ptr<Impl> impl_;
};

}  // namespace traverse
