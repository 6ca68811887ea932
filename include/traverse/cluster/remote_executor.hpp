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
// Every try is recorded in the call's ExecutionContext (record_attempt: the node that answered,
// the node's own duration, the round trip here), so the calling runtime traces each one.
//
// Delivery is at most once by default: a call is sent once and never resent; a reply that
// arrives after its try timed out is dropped (late_replies counts them). RemoteRetryPolicy opts
// listed capabilities into retries: a try that ended RemoteUnavailable (no responders), Timeout
// or Overloaded (the node was full) is sent again after a backoff (no thread waits for it: the
// timer thread resends), up to max_attempts tries, each with the full timeout. A retried call
// may run more than once on the nodes (a timed-out try may still have run): list only
// capabilities that are safe to run twice. Calls lost with the connection are not retried.
//
// Ownership: shares the connection. Destruction fails every pending call with
// RemoteUnavailable, then returns; no callback runs afterwards.
// Thread safety: submit and stats are safe from many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "traverse/cluster/cluster_error.hpp"
#include "traverse/cluster/nats_connection.hpp"
#include "traverse/executor/capability_executor.hpp"

namespace traverse {

// Which capabilities may be sent again, and how (see the file comment). Default: none.
struct RemoteRetryPolicy {
  std::uint32_t max_attempts = 3;  // tries in all, first included (1..100)
  // Wait before the second try; it doubles before each further try, up to max_backoff.
  std::chrono::milliseconds backoff{50};
  std::chrono::milliseconds max_backoff{2'000};
  // Capability ids declared safe to retry (run twice without harm). Empty: nothing is retried.
  std::set<std::string, std::less<>> capability_ids;

  [[nodiscard]] bool retries(std::string_view capability_id) const {
    return max_attempts > 1 && capability_ids.contains(capability_id);
  }
};

struct RemoteExecutorConfig {
  // How long a call waits for its node's reply (from sending). Also sent to the node.
  std::chrono::milliseconds timeout{30'000};
  // Calls waiting for a reply at once; beyond it submit fails with Overloaded (1..1'000'000).
  std::size_t max_pending = 65'536;
  RemoteRetryPolicy retry;
};

struct RemoteExecutorStats {
  std::uint64_t sent = 0;
  std::uint64_t replied = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t unavailable = 0;
  std::uint64_t late_replies = 0;
  std::uint64_t retried = 0;  // tries sent again under the retry policy
  std::size_t pending = 0;    // calls not concluded yet (waiting for a reply or a retry)
};

class RemoteExecutor final : public CapabilityExecutor {
 public:
  // Subscribes the reply inbox and starts the timer thread. Failure: InvalidOptions (a bound out
  // of range: max_pending, timeout, retry.max_attempts, a negative backoff), SubscribeFailed.
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
