// traverse/cluster/node_server.hpp — serves a runtime's capabilities to the cluster
// (`traverse node`; docs/cluster.md).
//
// start() subscribes, in the queue group "traverse-nodes", to
// `traverse.exec.<capability_id>.<version>` for every capability this node can run: runnable
// capabilities with a WebAssembly binary, and native ones whose id is in
// NodeServerConfig::native_capability_ids. Each request runs through the node's own runtime
// pipeline (TraverseRuntime::submit: contracts, executor pool or WASM sandbox, trace store,
// events) and is answered with an execution response (execution_wire.hpp) when it concludes;
// no thread waits for it. When `capacity` calls are in flight, a request is answered at once
// with Overloaded. The node announces itself (node_announcement.hpp) every announce_interval,
// when pinged, and with status "stopping" on stop().
//
// Each call's id (the caller's trace id) is counted: executions and duplicates (an id that had
// already run here) are announced, and executions_of(id) answers for one id; the most recent
// max_tracked_calls ids are remembered.
//
// Ownership: the runtime must outlive the server; the connection is shared. stop() (also run by
// the destructor) unsubscribes, waits for the calls in flight to conclude (bounded by
// drain_timeout), announces "stopping" and joins the announcer.
// Thread safety: every member is safe from many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/cluster/cluster_error.hpp"
#include "traverse/cluster/nats_connection.hpp"
#include "traverse/cluster/node_announcement.hpp"
#include "traverse/runtime/traverse_runtime.hpp"

namespace traverse {

struct NodeServerConfig {
  std::string name;           // non-empty; a NATS subject token (no '.', '*', '>', whitespace)
  std::size_t capacity = 64;  // calls in flight at once (1..65536)
  std::chrono::milliseconds announce_interval{2'000};
  std::vector<std::string> native_capability_ids;  // native capabilities this node serves
  std::size_t max_tracked_calls = 65'536;
  std::chrono::milliseconds drain_timeout{30'000};
};

class NodeServer {
 public:
  // Subscribes and announces. Failure: InvalidOptions (bad name or bounds), SubscribeFailed.
  [[nodiscard]] static std::expected<std::unique_ptr<NodeServer>, ClusterError> start(
      std::shared_ptr<NatsConnection> connection, TraverseRuntime& runtime,
      NodeServerConfig config);
  ~NodeServer();
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;

  // See the file comment. Idempotent.
  void stop();

  // What the node would announce now.
  [[nodiscard]] NodeAnnouncement announcement() const;
  // How many times the call with this id ran here (0 when unknown or forgotten).
  [[nodiscard]] std::uint64_t executions_of(std::string_view call_id) const;

  struct State;  // implementation detail (src/cluster)
  explicit NodeServer(std::shared_ptr<State> state);

 private:
  std::shared_ptr<State> state_;
};

}  // namespace traverse
