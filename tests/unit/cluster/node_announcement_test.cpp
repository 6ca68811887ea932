// Governing spec: 060-cluster
#include "traverse/cluster/node_announcement.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(NodeAnnouncement, RoundTripsWithLoadFromInFlightOverCapacity) {
  NodeAnnouncement announcement;
  announcement.name = "node-a";
  announcement.capacity = 8;
  announcement.in_flight = 2;
  announcement.capabilities = {{"demo.echo", "1.0.0"}, {"demo.add", "2.0.0"}};
  announcement.executions = 10;
  announcement.duplicates = 0;
  announcement.interval_ms = 2000;
  EXPECT_DOUBLE_EQ(announcement.load(), 0.25);
  auto decoded = decode_node_announcement(encode(announcement));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(decoded->name, "node-a");
  EXPECT_FALSE(decoded->stopping);
  EXPECT_EQ(decoded->capacity, 8u);
  EXPECT_EQ(decoded->in_flight, 2u);
  EXPECT_EQ(decoded->capabilities, announcement.capabilities);
  EXPECT_EQ(decoded->executions, 10u);
  EXPECT_EQ(decoded->interval_ms, 2000u);
}

TEST(NodeAnnouncement, MalformedAnnouncementNamesThePath) {
  auto decoded = decode_node_announcement(
      R"({"name":"n","status":"up","capacity":1,"in_flight":0,"capabilities":[{"id":1}]})");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().kind(), ClusterErrorKind::MalformedMessage);
  EXPECT_NE(decoded.error().message().find("$.capabilities[0]"), std::string::npos);
  EXPECT_FALSE(decode_node_announcement(R"({"name":"","status":"up"})").has_value());
  EXPECT_FALSE(decode_node_announcement("[]").has_value());
}

TEST(ClusterError, ToStringIsKindThenMessage) {
  const ClusterError error(ClusterErrorKind::ConnectFailed, "no server at nats://x:1");
  EXPECT_EQ(error.kind(), ClusterErrorKind::ConnectFailed);
  EXPECT_EQ(error.to_string(), "ConnectFailed: no server at nats://x:1");
}

}  // namespace
}  // namespace traverse
