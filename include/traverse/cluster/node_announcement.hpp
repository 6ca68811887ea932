// traverse/cluster/node_announcement.hpp — what a node tells the cluster about itself on
// `traverse.nodes.<name>` (every few seconds, when pinged on `traverse.cluster.ping`, and with
// status "stopping" on shutdown).
//
// JSON: {"v":1, "name", "status":"up"|"stopping", "capacity", "in_flight", "load",
//        "capabilities":[{"id","version"}], "executions", "duplicates", "interval_ms"}
// `load` = in_flight / capacity. `executions` counts calls run; `duplicates` counts calls whose
// call id (the caller's trace id) had already run on this node — 0 under at-most-once delivery.
// Value type; thread-compatible. Decoding never throws (MalformedMessage naming the JSON path).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/cluster/cluster_error.hpp"

namespace traverse {

inline constexpr std::string_view kNodeSubjectPrefix = "traverse.nodes.";
inline constexpr std::string_view kClusterPingSubject = "traverse.cluster.ping";
// The queue group every node's execution subscriptions join.
inline constexpr std::string_view kNodeQueueGroup = "traverse-nodes";

struct NodeCapability {
  std::string id;
  std::string version;
  friend bool operator==(const NodeCapability&, const NodeCapability&) = default;
};

struct NodeAnnouncement {
  std::string name;
  bool stopping = false;
  std::size_t capacity = 0;
  std::size_t in_flight = 0;
  std::vector<NodeCapability> capabilities;
  std::uint64_t executions = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t interval_ms = 0;

  [[nodiscard]] double load() const {
    return capacity == 0 ? 1.0 : static_cast<double>(in_flight) / static_cast<double>(capacity);
  }
};

[[nodiscard]] std::string encode(const NodeAnnouncement& announcement);
[[nodiscard]] std::expected<NodeAnnouncement, ClusterError> decode_node_announcement(
    std::string_view text);

}  // namespace traverse
