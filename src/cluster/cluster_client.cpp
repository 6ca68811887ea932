#include "traverse/cluster/cluster_client.hpp"

#include <utility>

namespace traverse {

ClusterClient::ClusterClient(std::shared_ptr<NatsConnection> connection,
                             std::shared_ptr<NodeDirectory> directory,
                             std::shared_ptr<RemoteExecutor> executor)
    : connection_(std::move(connection)),
      directory_(std::move(directory)),
      executor_(std::move(executor)) {}

std::expected<std::shared_ptr<ClusterClient>, ClusterError> ClusterClient::connect(
    const NatsOptions& options, ClusterClientConfig config) {
  auto connection = NatsConnection::connect(options);
  if (!connection) {
    return std::unexpected(std::move(connection.error()));
  }
  auto directory = NodeDirectory::create(*connection, config.directory);
  if (!directory) {
    return std::unexpected(std::move(directory.error()));
  }
  auto executor = RemoteExecutor::create(*connection, config.executor);
  if (!executor) {
    return std::unexpected(std::move(executor.error()));
  }
  (*directory)->discover(config.discovery_timeout, config.discovery_settle);
  return std::make_shared<ClusterClient>(std::move(*connection), std::move(*directory),
                                         std::move(*executor));
}

bool ClusterClient::serves(std::string_view capability_id,
                           std::string_view capability_version) const {
  return directory_->serves(capability_id, capability_version);
}

std::shared_ptr<const CapabilityExecutor> ClusterClient::executor() const {
  return executor_;
}

}  // namespace traverse
