// Governing spec: 050-service
#include "traverse/service/event_hub.hpp"

#include <gtest/gtest.h>

#include "traverse/events/in_process_broker.hpp"

namespace traverse {
namespace {

constexpr const char* kPlaced = "demo.order.placed";
constexpr const char* kShipped = "demo.order.shipped";

TraverseEvent event(std::string id, std::string type) {
  TraverseEvent e;
  e.id = std::move(id);
  e.source = "traverse-runtime/demo.shop";
  e.event_type = std::move(type);
  e.time = "2026-11-26T12:00:00.000Z";
  e.data = Value{{"order", e.id}};
  e.owner = "demo.shop";
  e.version = "1.0.0";
  return e;
}

struct Fixture {
  std::shared_ptr<EventCatalog> catalog = std::make_shared<EventCatalog>();
  std::shared_ptr<InProcessBroker> broker;
  Fixture() {
    for (const char* type : {kPlaced, kShipped}) {
      EXPECT_TRUE(catalog->register_entry({type, "demo", "1.0.0", Lifecycle::Active, 0}));
    }
    broker = *InProcessBroker::create({}, catalog);
  }
  void publish(const std::string& id, const char* type) {
    ASSERT_TRUE(broker->publish(event(id, type)).has_value());
  }
};

TEST(EventHubTest, EveryPublishedEventIsNumberedInOrder) {
  Fixture f;
  EventHub hub(f.broker, f.catalog, 16);
  f.publish("e1", kPlaced);
  f.publish("e2", kShipped);
  EXPECT_EQ(hub.pump(), 2u);
  const HubRead read = hub.read(0, 10, {});
  ASSERT_EQ(read.events.size(), 2u);
  EXPECT_EQ(read.events[0].sequence, 1u);
  EXPECT_EQ(read.events[1].sequence, 2u);
  EXPECT_EQ(read.dropped, 0u);
  EXPECT_EQ(read.last, 2u);
  EXPECT_TRUE(hub.read(2, 10, {}).events.empty());
  EXPECT_TRUE(hub.read(99, 10, {}).events.empty());
}

TEST(EventHubTest, TypeFilterSkipsOtherTypesButAdvances) {
  Fixture f;
  EventHub hub(f.broker, f.catalog, 16);
  f.publish("e1", kPlaced);
  f.publish("e2", kShipped);
  f.publish("e3", kPlaced);
  hub.pump();
  const HubRead read = hub.read(0, 10, {kShipped});
  ASSERT_EQ(read.events.size(), 1u);
  EXPECT_EQ(read.events[0].event_type, kShipped);
  EXPECT_EQ(read.last, 3u);
}

TEST(EventHubTest, AReaderBehindTheRingIsToldHowManyItMissed) {
  Fixture f;
  EventHub hub(f.broker, f.catalog, 3);
  for (int i = 0; i < 5; ++i) {
    f.publish("e" + std::to_string(i), kPlaced);
  }
  hub.pump();
  const HubRead read = hub.read(0, 10, {});
  EXPECT_EQ(read.dropped, 2u);
  ASSERT_EQ(read.events.size(), 3u);
  EXPECT_EQ(read.events.front().sequence, 3u);
}

TEST(EventHubTest, TypesRegisteredLaterAreStreamedToo) {
  Fixture f;
  EventHub hub(f.broker, f.catalog, 16);
  hub.pump();
  ASSERT_TRUE(
      f.catalog->register_entry({"demo.order.cancelled", "demo", "1.0.0", Lifecycle::Active, 0}));
  f.publish("late", "demo.order.cancelled");
  EXPECT_EQ(hub.pump(), 1u);
  EXPECT_EQ(hub.last_sequence(), 1u);
}

}  // namespace
}  // namespace traverse
