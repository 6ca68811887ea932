// traverse/cluster/remote_executor.hpp — a CapabilityExecutor that runs each call on a node
// over NATS (docs/cluster.md).
//
// submit() encodes the call (execution_wire.hpp), publishes it on
// `traverse.exec.<capability_id>.<version>` with a reply subject under this executor's own inbox,
// and returns at once: no thread waits per call. One inbox subscription receives every reply
// and fulfils the matching pending call (on the client's delivery thread, where `then`
// continuations run); one timer thread fails calls whose deadline passed. Outcomes:
//   - the node's output (no emitted events travel back: the node publishes them itself);
//   - the node's typed error, same class, detail "node <name>: <code>: <message>";
//   - RemoteUnavailable: no node subscribes to the subject (the server's "no responders"), the
//     connection was lost while the call was pending, or the publication failed;
//   - Timeout: no reply within RemoteExecutorConfig::timeout;
//   - Overloaded: max_pending calls are already waiting (nothing is sent);
//   - ResourceExhausted: the request is larger than kMaxExecutionPayloadBytes.
// Delivery is at most once: a call is sent once and never resent; a reply that arrives after
// its call timed out is dropped (late_replies counts them).
//
// Ownership: shares the connection. Destruction fails every pending call with
// RemoteUnavailable, then returns; no callback runs afterwards.
// Thread safety: submit and stats are safe from many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>

#include "traverse/cluster/cluster_error.hpp"
#include "traverse/cluster/nats_connection.hpp"
#include "traverse/executor/capability_executor.hpp"

namespace traverse {

struct RemoteExecutorConfig {
  // How long a call waits for its node's reply (from sending). Also sent to the node.
  std::chrono::milliseconds timeout{30'000};
  // Calls waiting for a reply at once; beyond it submit fails with Overloaded (1..1'000'000).
  std::size_t max_pending = 65'536;
};

struct RemoteExecutorStats {
  std::uint64_t sent = 0;
  std::uint64_t replied = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t unavailable = 0;
  std::uint64_t late_replies = 0;
  std::size_t pending = 0;
};

class RemoteExecutor final : public CapabilityExecutor {
 public:
  // Subscribes the reply inbox and starts the timer thread. Failure: InvalidOptions (a bound out
  // of range), SubscribeFailed.
  [[nodiscard]] static std::expected<std::shared_ptr<RemoteExecutor>, ClusterError> create(
      std::shared_ptr<NatsConnection> connection, RemoteExecutorConfig config = {});

  ~RemoteExecutor() override;
  RemoteExecutor(const RemoteExecutor&) = delete;
  RemoteExecutor& operator=(const RemoteExecutor&) = delete;

  // See the file comment. Never throws. Thread-safe.
  [[nodiscard]] ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                                          ExecutionContext& context) const override;

  [[nodiscard]] RemoteExecutorStats stats() const;

  struct Impl;  // implementation detail (src/cluster)
  explicit RemoteExecutor(std::shared_ptr<Impl> impl);

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace traverse
