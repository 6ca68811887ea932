#include "traverse/cluster/cluster_error.hpp"

namespace traverse {

std::string_view to_string(ClusterErrorKind kind) {
  switch (kind) {
    case ClusterErrorKind::InvalidOptions:
      return "InvalidOptions";
    case ClusterErrorKind::ConnectFailed:
      return "ConnectFailed";
    case ClusterErrorKind::ConnectionClosed:
      return "ConnectionClosed";
    case ClusterErrorKind::SubscribeFailed:
      return "SubscribeFailed";
    case ClusterErrorKind::PublishFailed:
      return "PublishFailed";
    case ClusterErrorKind::PayloadTooLarge:
      return "PayloadTooLarge";
    case ClusterErrorKind::MalformedMessage:
      return "MalformedMessage";
    case ClusterErrorKind::StreamUnavailable:
      return "StreamUnavailable";
  }
  return "Unknown";
}

std::string ClusterError::to_string() const {
  std::string text(traverse::to_string(kind_));
  text += ": ";
  text += message_;
  return text;
}

}  // namespace traverse
