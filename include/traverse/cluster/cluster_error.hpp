// traverse/cluster/cluster_error.hpp — why a cluster operation (NATS connection, subscription,
// publication, wire message) failed.
//
// What the caller should do next, by kind:
//   InvalidOptions   — a connection option is wrong (bad URL, unreadable credentials or TLS
//                      file); fix the configuration.
//   ConnectFailed    — no NATS server answered at the URL; start it or fix the URL, then retry.
//   ConnectionClosed — the connection is closed (or was lost); reconnect.
//   SubscribeFailed  — the server or client refused a subscription.
//   PublishFailed    — a message could not be sent (connection trouble); retry may help.
//   PayloadTooLarge  — a message is larger than the bound (wire limit or server max_payload);
//                      send less.
//   MalformedMessage — a message on a cluster subject is not the expected JSON document (its
//                      JSON path names the problem); a peer of another version or a bug.
//   StreamUnavailable — the JetStream event stream cannot be used: JetStream is not enabled on
//                      the server (start it with -js), or the stream cannot be created or read.
// Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>

namespace traverse {

enum class ClusterErrorKind {
  InvalidOptions,
  ConnectFailed,
  ConnectionClosed,
  SubscribeFailed,
  PublishFailed,
  PayloadTooLarge,
  MalformedMessage,
  StreamUnavailable,
};

// "InvalidOptions", "ConnectFailed", ...
[[nodiscard]] std::string_view to_string(ClusterErrorKind kind);

class ClusterError {
 public:
  ClusterError(ClusterErrorKind kind, std::string message)
      : kind_(kind), message_(std::move(message)) {}

  [[nodiscard]] ClusterErrorKind kind() const { return kind_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  // "<Kind>: <message>".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const ClusterError&, const ClusterError&) = default;

 private:
  ClusterErrorKind kind_;
  std::string message_;
};

}  // namespace traverse
