// Governing spec: 010-runtime-stack
#include "traverse/events/event_catalog.hpp"

#include <gtest/gtest.h>

#include <barrier>
#include <thread>

namespace traverse {
namespace {

EventCatalogEntry entry(std::string type, std::string version = "1.0.0",
                        Lifecycle lifecycle = Lifecycle::Active) {
  return EventCatalogEntry{std::move(type), "team-a", std::move(version), lifecycle, 0};
}

TEST(EventCatalog, RegisterGetAndListSortedByType) {
  EventCatalog catalog;
  ASSERT_TRUE(catalog.register_entry(entry("z.thing.happened")).has_value());
  ASSERT_TRUE(catalog.register_entry(entry("a.thing.happened")).has_value());
  ASSERT_TRUE(catalog.register_entry(entry("m.thing.happened")).has_value());
  const auto list = catalog.list();
  ASSERT_EQ(list.size(), 3U);
  EXPECT_EQ(list[0].event_type, "a.thing.happened");
  EXPECT_EQ(list[1].event_type, "m.thing.happened");
  EXPECT_EQ(list[2].event_type, "z.thing.happened");
  EXPECT_EQ(catalog.get("m.thing.happened"), entry("m.thing.happened"));
  EXPECT_EQ(catalog.get("unknown"), std::nullopt);
}

TEST(EventCatalog, IdenticalReRegistrationIsANoOpConflictingOneIsRejected) {
  EventCatalog catalog;
  ASSERT_TRUE(catalog.register_entry(entry("a.b.happened")).has_value());
  ASSERT_TRUE(catalog.increment_consumer_count("a.b.happened").has_value());
  EXPECT_TRUE(catalog.register_entry(entry("a.b.happened")).has_value());
  EXPECT_EQ(catalog.get("a.b.happened")->consumer_count, 1U);  // not reset

  auto other_version = catalog.register_entry(entry("a.b.happened", "2.0.0"));
  ASSERT_FALSE(other_version.has_value());
  EXPECT_EQ(other_version.error().kind(), EventErrorKind::LifecycleViolation);
  EXPECT_NE(other_version.error().message().find("event type 'a.b.happened' is already registered"),
            std::string::npos);
  auto other_lifecycle =
      catalog.register_entry(entry("a.b.happened", "1.0.0", Lifecycle::Deprecated));
  EXPECT_FALSE(other_lifecycle.has_value());
  EXPECT_EQ(catalog.get("a.b.happened")->version, "1.0.0");
  EXPECT_EQ(catalog.size(), 1U);
}

TEST(EventCatalog, EmptyTypeIsRejected) {
  EventCatalog catalog;
  auto r = catalog.register_entry(entry(""));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind(), EventErrorKind::LifecycleViolation);
  EXPECT_EQ(catalog.size(), 0U);
}

TEST(EventCatalog, RegisterContractUsesIdOwnerTeamVersionAndLifecycle) {
  EventContract contract;
  contract.id = "core.action-item.status-transitioned";
  contract.version = "1.2.0";
  contract.lifecycle = Lifecycle::Draft;
  contract.owner = Owner{"core-team", "core@example.com"};
  EventCatalog catalog;
  ASSERT_TRUE(catalog.register_contract(contract).has_value());
  EXPECT_TRUE(catalog.register_contract(contract).has_value());
  EXPECT_EQ(catalog.get(contract.id),
            (EventCatalogEntry{contract.id, "core-team", "1.2.0", Lifecycle::Draft, 0}));
}

TEST(EventCatalog, ConsumerCountOfUnknownTypeIsUnregistered) {
  EventCatalog catalog;
  auto r = catalog.increment_consumer_count("nope");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind(), EventErrorKind::UnregisteredEventType);
}

TEST(EventCatalog, ConcurrentRegistrationsAndIncrementsAreAllCounted) {
  EventCatalog catalog;
  ASSERT_TRUE(catalog.register_entry(entry("shared.x.happened")).has_value());
  constexpr int kThreads = 8;
  constexpr int kIncrements = 500;
  std::barrier start(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < kIncrements; ++i) {
          ASSERT_TRUE(catalog.increment_consumer_count("shared.x.happened").has_value());
          if (i % 100 == 0) {
            ASSERT_TRUE(catalog
                            .register_entry(entry("t" + std::to_string(t) + ".n" +
                                                  std::to_string(i) + ".happened"))
                            .has_value());
            ASSERT_TRUE(catalog.register_entry(entry("shared.x.happened")).has_value());
          }
        }
      });
    }
  }
  EXPECT_EQ(catalog.get("shared.x.happened")->consumer_count,
            static_cast<std::uint64_t>(kThreads * kIncrements));
  EXPECT_EQ(catalog.size(), 1U + kThreads * 5U);
}

}  // namespace
}  // namespace traverse
