// traverse/cluster/cluster_client.hpp — what a runtime needs to place capabilities on nodes:
// a NATS connection, the NodeDirectory (who serves what) and a RemoteExecutor, as one
// RemoteExecution (TraverseRuntime::Builder::with_remote_execution).
//
// Ownership: shared; keep it alive as long as the runtime that uses it (the runtime shares it).
// Thread safety: every member is safe from many threads at once.
#pragma once

#include <chrono>
#include <expected>
#include <memory>

#include "traverse/cluster/cluster_error.hpp"
#include "traverse/cluster/nats_connection.hpp"
#include "traverse/cluster/nats_options.hpp"
#include "traverse/cluster/node_directory.hpp"
#include "traverse/cluster/remote_executor.hpp"
#include "traverse/runtime/remote_execution.hpp"

namespace traverse {

struct ClusterClientConfig {
  RemoteExecutorConfig executor;
  NodeDirectoryConfig directory;
  // How long connect() waits for nodes to answer its ping, and the quiet time after the last
  // answer that ends the wait early.
  std::chrono::milliseconds discovery_timeout{1'000};
  std::chrono::milliseconds discovery_settle{100};
};

class ClusterClient final : public RemoteExecution {
 public:
  // Connects, subscribes to announcements and replies, and discovers the nodes (bounded).
  // Failure: the connection's or a subscription's ClusterError.
  [[nodiscard]] static std::expected<std::shared_ptr<ClusterClient>, ClusterError> connect(
      const NatsOptions& options, ClusterClientConfig config = {});

  ClusterClient(std::shared_ptr<NatsConnection> connection,
                std::shared_ptr<NodeDirectory> directory, std::shared_ptr<RemoteExecutor> executor);

  [[nodiscard]] bool serves(std::string_view capability_id,
                            std::string_view capability_version) const override;
  [[nodiscard]] std::shared_ptr<const CapabilityExecutor> executor() const override;

  [[nodiscard]] const std::shared_ptr<NatsConnection>& connection() const { return connection_; }
  [[nodiscard]] const std::shared_ptr<NodeDirectory>& directory() const { return directory_; }
  [[nodiscard]] const std::shared_ptr<RemoteExecutor>& remote_executor() const { return executor_; }

 private:
  std::shared_ptr<NatsConnection> connection_;
  std::shared_ptr<NodeDirectory> directory_;
  std::shared_ptr<RemoteExecutor> executor_;
};

}  // namespace traverse
