// traverse/cluster/node_directory.hpp — the nodes a caller knows of, from their announcements
// on `traverse.nodes.*` (node_announcement.hpp).
//
// A node is live from its announcement until it announces "stopping" or is silent for longer
// than max(expiry, 3 × its announce interval). discover() pings every node
// (`traverse.cluster.ping`) and waits for the answers, bounded. At most max_nodes nodes are kept
// (announcements of further nodes are ignored until one leaves).
//
// Ownership: shares the connection. Thread safety: every member is safe from many threads at
// once; the subscription handler runs on a client thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "traverse/cluster/cluster_error.hpp"
#include "traverse/cluster/nats_connection.hpp"
#include "traverse/cluster/node_announcement.hpp"

namespace traverse {

struct NodeDirectoryConfig {
  std::chrono::milliseconds expiry{10'000};
  std::size_t max_nodes = 1024;
};

class NodeDirectory {
 public:
  // Subscribes to announcements. Failure: SubscribeFailed.
  [[nodiscard]] static std::expected<std::shared_ptr<NodeDirectory>, ClusterError> create(
      std::shared_ptr<NatsConnection> connection, NodeDirectoryConfig config = {});
  ~NodeDirectory();
  NodeDirectory(const NodeDirectory&) = delete;
  NodeDirectory& operator=(const NodeDirectory&) = delete;

  // Pings the nodes, then waits until no new announcement arrived for `settle` after the last
  // one, or `timeout` passed (whichever is first). Returns the live nodes.
  std::vector<NodeAnnouncement> discover(std::chrono::milliseconds timeout,
                                         std::chrono::milliseconds settle);

  // Waits (bounded) until `ready(live nodes)` holds; true when it did.
  bool wait_until(const std::function<bool(const std::vector<NodeAnnouncement>&)>& ready,
                  std::chrono::milliseconds timeout);

  // True when a live node serves capability_id@version. Non-blocking.
  [[nodiscard]] bool serves(std::string_view capability_id,
                            std::string_view capability_version) const;
  // The live nodes, by name.
  [[nodiscard]] std::vector<NodeAnnouncement> nodes() const;

  struct Impl;  // implementation detail (src/cluster)
  explicit NodeDirectory(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace traverse
