#include "traverse/cluster/node_directory.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

namespace traverse {

namespace {
using Clock = std::chrono::steady_clock;

struct KnownNode {
  NodeAnnouncement announcement;
  Clock::time_point seen;
};
}  // namespace

struct NodeDirectory::Impl {
  std::shared_ptr<NatsConnection> connection;
  NodeDirectoryConfig config;
  NatsSubscription subscription;

  mutable std::mutex mutex;
  std::condition_variable changed;
  // Guarded by mutex.
  std::map<std::string, KnownNode, std::less<>> nodes;
  Clock::time_point last_arrival{};
  std::uint64_t arrivals = 0;

  [[nodiscard]] bool live(const KnownNode& node, Clock::time_point now) const {
    const auto interval = std::chrono::milliseconds(node.announcement.interval_ms * 3);
    return !node.announcement.stopping &&
           now - node.seen <= std::max<std::chrono::milliseconds>(config.expiry, interval);
  }

  void on_announcement(const NatsMessage& message) {
    auto announcement = decode_node_announcement(message.data);
    if (!announcement) {
      return;  // not an announcement of a node of this version: ignored
    }
    std::lock_guard lock(mutex);
    if (announcement->stopping) {
      nodes.erase(announcement->name);
    } else if (nodes.contains(announcement->name) || nodes.size() < config.max_nodes) {
      std::string name = announcement->name;
      nodes[name] = KnownNode{std::move(*announcement), Clock::now()};
    }
    last_arrival = Clock::now();
    ++arrivals;
    changed.notify_all();
  }

  [[nodiscard]] std::vector<NodeAnnouncement> live_locked() const {
    std::vector<NodeAnnouncement> result;
    const auto now = Clock::now();
    for (const auto& [name, node] : nodes) {
      if (live(node, now)) {
        result.push_back(node.announcement);
      }
    }
    return result;
  }
};

NodeDirectory::NodeDirectory(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NodeDirectory::~NodeDirectory() {
  impl_->subscription.close();
}

std::expected<std::shared_ptr<NodeDirectory>, ClusterError> NodeDirectory::create(
    std::shared_ptr<NatsConnection> connection, NodeDirectoryConfig config) {
  auto impl = std::make_unique<Impl>();
  impl->connection = std::move(connection);
  impl->config = config;
  Impl* raw = impl.get();
  auto subscription = impl->connection->subscribe(
      std::string(kNodeSubjectPrefix) + "*", {},
      [raw](const NatsMessage& message) { raw->on_announcement(message); });
  if (!subscription) {
    return std::unexpected(std::move(subscription.error()));
  }
  impl->subscription = std::move(*subscription);
  return std::make_shared<NodeDirectory>(std::move(impl));
}

std::vector<NodeAnnouncement> NodeDirectory::discover(std::chrono::milliseconds timeout,
                                                      std::chrono::milliseconds settle) {
  const auto deadline = Clock::now() + timeout;
  std::uint64_t before = 0;
  {
    std::lock_guard lock(impl_->mutex);
    before = impl_->arrivals;
  }
  (void)impl_->connection->publish(kClusterPingSubject, "{}");
  std::unique_lock lock(impl_->mutex);
  while (true) {
    const auto now = Clock::now();
    if (now >= deadline) {
      break;
    }
    if (impl_->arrivals != before && now >= impl_->last_arrival + settle) {
      break;
    }
    const auto wake =
        impl_->arrivals != before ? std::min(deadline, impl_->last_arrival + settle) : deadline;
    impl_->changed.wait_until(lock, wake);
  }
  return impl_->live_locked();
}

bool NodeDirectory::wait_until(
    const std::function<bool(const std::vector<NodeAnnouncement>&)>& ready,
    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(impl_->mutex);
  while (!ready(impl_->live_locked())) {
    if (impl_->changed.wait_until(lock, deadline) == std::cv_status::timeout) {
      return ready(impl_->live_locked());
    }
  }
  return true;
}

bool NodeDirectory::serves(std::string_view capability_id,
                           std::string_view capability_version) const {
  std::lock_guard lock(impl_->mutex);
  const auto now = Clock::now();
  for (const auto& [name, node] : impl_->nodes) {
    if (!impl_->live(node, now)) {
      continue;
    }
    for (const NodeCapability& capability : node.announcement.capabilities) {
      if (capability.id == capability_id && capability.version == capability_version) {
        return true;
      }
    }
  }
  return false;
}

std::vector<NodeAnnouncement> NodeDirectory::nodes() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->live_locked();
}

}  // namespace traverse
