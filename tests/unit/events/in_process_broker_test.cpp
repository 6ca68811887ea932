// Governing spec: 010-runtime-stack
#include "traverse/events/in_process_broker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <latch>
#include <map>
#include <set>
#include <thread>

#include "event_test_support.hpp"

namespace traverse {
namespace {

using event_test::kType;
using event_test::valid_event;
using namespace std::chrono_literals;

constexpr const char* kOtherType = "demo.order.shipped";

class InProcessBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_shared<EventCatalog>();
    ASSERT_TRUE(catalog_->register_entry({kType, "shop", "1.0.0", Lifecycle::Active, 0}));
    ASSERT_TRUE(catalog_->register_entry({kOtherType, "shop", "1.0.0", Lifecycle::Active, 0}));
  }

  std::shared_ptr<InProcessBroker> make(InProcessBrokerConfig config = {}) {
    auto broker = InProcessBroker::create(config, catalog_, [this] { return clock_.now(); });
    EXPECT_TRUE(broker.has_value());
    return *broker;
  }

  static std::vector<std::string> cursors(const SubscriptionPoll& poll) {
    std::vector<std::string> out;
    for (const auto& e : poll.events)
      out.push_back(e.cursor);
    return out;
  }
  static std::vector<std::string> ids(const SubscriptionPoll& poll) {
    std::vector<std::string> out;
    for (const auto& e : poll.events)
      out.push_back(e.event.id);
    return out;
  }

  std::shared_ptr<EventCatalog> catalog_;
  event_test::ManualClock clock_;
};

TEST_F(InProcessBrokerTest, CreateRejectsZeroRetentionOrQueueLength) {
  auto zero_window = InProcessBroker::create({.retention_window = 0ms}, catalog_);
  ASSERT_FALSE(zero_window.has_value());
  EXPECT_EQ(zero_window.error().kind(), EventErrorKind::InvalidRetentionWindow);
  EXPECT_EQ(zero_window.error().detail(), "retention_window must be > 0");
  auto zero_queue = InProcessBroker::create({.max_queue_len = 0}, catalog_);
  ASSERT_FALSE(zero_queue.has_value());
  EXPECT_EQ(zero_queue.error().detail(), "max_queue_len must be > 0");
  auto defaults = InProcessBroker::create();
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ((*defaults)->config().retention_window, 5min);
  EXPECT_EQ((*defaults)->config().max_queue_len, 1024U);
  EXPECT_EQ((*defaults)->config().validation_mode, EventValidationMode::Migration);
  EXPECT_NE((*defaults)->catalog(), nullptr);
}

TEST_F(InProcessBrokerTest, CursorsStartAtOnePerTypeAndPollIsFifo) {
  auto broker = make();
  auto sub = broker->subscribe(kType, "0");
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(sub->subscription_id, "sub-1");
  EXPECT_EQ(sub->cursor, "0");
  EXPECT_EQ(broker->publish(valid_event("a"))->cursor, "1");
  EXPECT_EQ(broker->publish(valid_event("other", kOtherType))->cursor, "1");
  EXPECT_EQ(broker->publish(valid_event("b"))->cursor, "2");
  EXPECT_EQ(broker->publish(valid_event("c"))->cursor, "3");

  auto first = broker->poll(sub->subscription_id, 2);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(ids(*first), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(cursors(*first), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(first->cursor, "2");
  EXPECT_EQ(first->event_type, kType);
  auto second = broker->poll(sub->subscription_id, 10);
  EXPECT_EQ(ids(*second), std::vector<std::string>{"c"});
  EXPECT_EQ(second->cursor, "3");
  auto empty = broker->poll(sub->subscription_id, 10);
  EXPECT_TRUE(empty->events.empty());
  EXPECT_EQ(empty->cursor, "3");
  EXPECT_EQ(broker->metrics().deliveries, 3U);
  EXPECT_EQ(broker->metrics().publications, 4U);
}

TEST_F(InProcessBrokerTest, PollWithMaxZeroReturnsNothingAndKeepsTheQueue) {
  auto broker = make();
  auto sub = broker->subscribe(kType, "0");
  ASSERT_TRUE(broker->publish(valid_event("a")).has_value());
  auto none = broker->poll(sub->subscription_id, 0);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->events.empty());
  EXPECT_EQ(none->cursor, "0");
  EXPECT_EQ(ids(*broker->poll(sub->subscription_id, 5)), std::vector<std::string>{"a"});
}

TEST_F(InProcessBrokerTest, SubscribeReplaysRetainedBacklogAfterTheCursor) {
  auto broker = make();
  for (const char* id : {"a", "b", "c", "d"})
    ASSERT_TRUE(broker->publish(valid_event(id)));
  auto from_zero = broker->subscribe(kType, "0");
  EXPECT_EQ(ids(*broker->poll(from_zero->subscription_id, 10)),
            (std::vector<std::string>{"a", "b", "c", "d"}));
  auto from_two = broker->subscribe(kType, " 2\n");  // trimmed
  ASSERT_TRUE(from_two.has_value());
  EXPECT_EQ(from_two->cursor, "2");
  EXPECT_EQ(ids(*broker->poll(from_two->subscription_id, 10)),
            (std::vector<std::string>{"c", "d"}));
  auto future = broker->subscribe(kType, "100");  // future cursors are accepted
  ASSERT_TRUE(future.has_value());
  EXPECT_TRUE(broker->poll(future->subscription_id, 10)->events.empty());
}

TEST_F(InProcessBrokerTest, MalformedCursorIsInvalidCursor) {
  auto broker = make();
  for (const char* bad : {"", "abc", "-1", "1.5", "2x", "99999999999999999999999"}) {
    auto sub = broker->subscribe(kType, bad);
    ASSERT_FALSE(sub.has_value()) << bad;
    EXPECT_EQ(sub.error().kind(), EventErrorKind::InvalidCursor) << bad;
  }
}

TEST_F(InProcessBrokerTest, UnregisteredTypeIsRejectedOnPublishAndSubscribe) {
  auto broker = make();
  auto pub = broker->publish(valid_event("a", "demo.unknown.happened"));
  ASSERT_FALSE(pub.has_value());
  EXPECT_EQ(pub.error().kind(), EventErrorKind::UnregisteredEventType);
  EXPECT_EQ(pub.error().message(), "unregistered event type: demo.unknown.happened");
  auto sub = broker->subscribe("demo.unknown.happened", "0");
  ASSERT_FALSE(sub.has_value());
  EXPECT_EQ(sub.error().kind(), EventErrorKind::UnregisteredEventType);
}

TEST_F(InProcessBrokerTest, DraftAndDeprecatedTypesCannotBePublished) {
  ASSERT_TRUE(
      catalog_->register_entry({"demo.draft.happened", "shop", "1.0.0", Lifecycle::Draft, 0}));
  ASSERT_TRUE(
      catalog_->register_entry({"demo.old.happened", "shop", "1.0.0", Lifecycle::Deprecated, 0}));
  auto broker = make();
  auto draft = broker->publish(valid_event("a", "demo.draft.happened"));
  ASSERT_FALSE(draft.has_value());
  EXPECT_EQ(draft.error().kind(), EventErrorKind::LifecycleViolation);
  EXPECT_EQ(draft.error().detail(),
            "event type 'demo.draft.happened' is Draft and cannot be published");
  auto deprecated = broker->publish(valid_event("b", "demo.old.happened"));
  ASSERT_FALSE(deprecated.has_value());
  EXPECT_EQ(deprecated.error().detail(),
            "event type 'demo.old.happened' is Deprecated and cannot be published");
  EXPECT_EQ(broker->metrics().publications, 0U);
}

TEST_F(InProcessBrokerTest, DuplicateIdIsAcceptedOnceAndConsumesNoCursor) {
  auto broker = make();
  auto sub = broker->subscribe(kType, "0");
  auto first = broker->publish(valid_event("same"));
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->duplicate);
  auto again = broker->publish(valid_event("same"));
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->cursor, "1");
  // The same id in another type is not a duplicate.
  EXPECT_FALSE(broker->publish(valid_event("same", kOtherType))->duplicate);
  EXPECT_EQ(broker->publish(valid_event("next"))->cursor, "2");
  EXPECT_EQ(ids(*broker->poll(sub->subscription_id, 10)),
            (std::vector<std::string>{"same", "next"}));
  EXPECT_EQ(broker->metrics().duplicates, 1U);
}

TEST_F(InProcessBrokerTest, ExpiredIdMayBeRepublished) {
  auto broker = make({.retention_window = 1000ms});
  ASSERT_TRUE(broker->publish(valid_event("x")));
  clock_.advance(1001ms);
  auto again = broker->publish(valid_event("x"));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->duplicate);
  EXPECT_EQ(again->cursor, "2");
}

TEST_F(InProcessBrokerTest, RetentionIsExclusiveOfTheWindowEdge) {
  auto broker = make({.retention_window = 1000ms});
  ASSERT_TRUE(broker->publish(valid_event("a")));
  clock_.advance(1000ms);  // age == window: still retained
  EXPECT_TRUE(broker->publish(valid_event("a"))->duplicate);
  clock_.advance(1ms);
  EXPECT_FALSE(broker->publish(valid_event("a"))->duplicate);
}

TEST_F(InProcessBrokerTest, SubscribingFromAPrunedCursorIsCursorExpired) {
  auto broker = make({.retention_window = 1000ms});
  for (const char* id : {"a", "b", "c"})
    ASSERT_TRUE(broker->publish(valid_event(id)));
  clock_.advance(1500ms);
  ASSERT_TRUE(broker->publish(valid_event("d")));  // cursor 4; 1..3 pruned
  auto expired = broker->subscribe(kType, "1");
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().kind(), EventErrorKind::CursorExpired);
  EXPECT_EQ(expired.error().oldest_available_cursor(), "3");
  EXPECT_EQ(expired.error().message(),
            "cursor expired for event type demo.order.placed; oldest available cursor is 3");
  auto at_edge = broker->subscribe(kType, "3");
  ASSERT_TRUE(at_edge.has_value());
  EXPECT_EQ(ids(*broker->poll(at_edge->subscription_id, 10)), std::vector<std::string>{"d"});
  EXPECT_TRUE(broker->subscribe(kType, "0").has_value());

  // Empty buffer: everything pruned; the last cursor is the floor.
  clock_.advance(1500ms);
  auto all_gone = broker->subscribe(kType, "2");
  ASSERT_FALSE(all_gone.has_value());
  EXPECT_EQ(all_gone.error().oldest_available_cursor(), "4");
  EXPECT_TRUE(broker->subscribe(kType, "4").has_value());
}

TEST_F(InProcessBrokerTest, ClockRegressionDoesNotPruneOrCrash) {
  auto broker = make({.retention_window = 1000ms});
  ASSERT_TRUE(broker->publish(valid_event("a")));
  clock_.set(0ms);  // far in the past
  EXPECT_TRUE(broker->publish(valid_event("a"))->duplicate);
}

TEST_F(InProcessBrokerTest, PollCursorExpiredKeepsTheSubscriptionFastForwarded) {
  auto broker = make({.retention_window = 1000ms});
  ASSERT_TRUE(broker->publish(valid_event("a")));
  auto sub = broker->subscribe(kType, "1");
  ASSERT_TRUE(sub.has_value());
  ASSERT_TRUE(broker->publish(valid_event("b")));
  ASSERT_TRUE(broker->publish(valid_event("c")));
  clock_.advance(1500ms);
  ASSERT_TRUE(broker->publish(valid_event("d")));  // prunes a..c (b, c were queued)

  auto expired = broker->poll(sub->subscription_id, 10);
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().kind(), EventErrorKind::CursorExpired);
  EXPECT_EQ(expired.error().oldest_available_cursor(), "3");
  // Unlike the reference, the subscription survives and continues from the oldest event.
  auto next = broker->poll(sub->subscription_id, 10);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(ids(*next), std::vector<std::string>{"d"});
  EXPECT_EQ(next->cursor, "4");
  EXPECT_EQ(next->dropped, 2U);  // b and c expired from the queue undelivered
  EXPECT_TRUE(broker->cancel(sub->subscription_id).has_value());
}

TEST_F(InProcessBrokerTest, SubjectFilterAppliesToBacklogAndLiveEvents) {
  auto broker = make();
  auto with_subject = [](std::string id, std::optional<std::string> subject) {
    TraverseEvent e = valid_event(std::move(id));
    e.subject_id = std::move(subject);
    return e;
  };
  ASSERT_TRUE(broker->publish(with_subject("a1", "A")));
  ASSERT_TRUE(broker->publish(with_subject("b1", "B")));
  ASSERT_TRUE(broker->publish(with_subject("n1", std::nullopt)));
  auto only_a = broker->subscribe(kType, "0", "A");
  ASSERT_TRUE(only_a.has_value());
  EXPECT_EQ(only_a->subject_id, "A");
  auto everything = broker->subscribe(kType, "0");
  ASSERT_TRUE(broker->publish(with_subject("a2", "A")));
  ASSERT_TRUE(broker->publish(with_subject("b2", "B")));
  auto polled = broker->poll(only_a->subscription_id, 10);
  EXPECT_EQ(ids(*polled), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(cursors(*polled), (std::vector<std::string>{"1", "4"}));
  EXPECT_EQ(ids(*broker->poll(everything->subscription_id, 10)),
            (std::vector<std::string>{"a1", "b1", "n1", "a2", "b2"}));
}

TEST_F(InProcessBrokerTest, FullQueueDropsOldestAndReportsIt) {
  auto broker = make({.max_queue_len = 3});
  auto live = broker->subscribe(kType, "0");
  for (int i = 1; i <= 5; ++i)
    ASSERT_TRUE(broker->publish(valid_event("e" + std::to_string(i))));
  auto polled = broker->poll(live->subscription_id, 10);
  EXPECT_EQ(ids(*polled), (std::vector<std::string>{"e3", "e4", "e5"}));
  EXPECT_EQ(polled->dropped, 2U);
  EXPECT_EQ(broker->poll(live->subscription_id, 10)->dropped, 0U);  // reset after reporting

  // The backlog of a new subscription is bounded the same way.
  auto late = broker->subscribe(kType, "0");
  auto backlog = broker->poll(late->subscription_id, 10);
  EXPECT_EQ(ids(*backlog), (std::vector<std::string>{"e3", "e4", "e5"}));
  EXPECT_EQ(backlog->dropped, 2U);
  EXPECT_EQ(broker->metrics().dropped, 4U);
}

TEST_F(InProcessBrokerTest, RetainedBufferIsBoundedPerType) {
  auto broker = make({.max_retained_per_type = 2});
  for (const char* id : {"a", "b", "c"})
    ASSERT_TRUE(broker->publish(valid_event(id)));
  auto from_zero = broker->subscribe(kType, "0");
  EXPECT_EQ(ids(*broker->poll(from_zero->subscription_id, 10)),
            (std::vector<std::string>{"b", "c"}));
  EXPECT_FALSE(broker->publish(valid_event("a"))->duplicate);  // "a" no longer retained
  auto expired = broker->subscribe(kType, "1");
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().kind(), EventErrorKind::CursorExpired);
}

TEST_F(InProcessBrokerTest, PollAndCancelOfUnknownSubscriptionAreNotFound) {
  auto broker = make();
  EXPECT_EQ(broker->poll("sub-404", 1).error().kind(), EventErrorKind::SubscriptionNotFound);
  EXPECT_EQ(broker->cancel("sub-404").error().kind(), EventErrorKind::SubscriptionNotFound);
  auto sub = broker->subscribe(kType, "0");
  ASSERT_TRUE(broker->cancel(sub->subscription_id).has_value());
  ASSERT_TRUE(broker->publish(valid_event("after-cancel")));
  EXPECT_EQ(broker->poll(sub->subscription_id, 1).error().kind(),
            EventErrorKind::SubscriptionNotFound);
  EXPECT_EQ(broker->cancel(sub->subscription_id).error().kind(),
            EventErrorKind::SubscriptionNotFound);
}

TEST_F(InProcessBrokerTest, SubscriptionIdsCountUpAcrossTypesAndConsumersAreCounted) {
  auto broker = make();
  EXPECT_EQ(broker->subscribe(kType, "0")->subscription_id, "sub-1");
  EXPECT_EQ(broker->subscribe(kOtherType, "0")->subscription_id, "sub-2");
  EXPECT_EQ(broker->subscribe(kType, "0")->subscription_id, "sub-3");
  EXPECT_EQ(catalog_->get(kType)->consumer_count, 2U);
  EXPECT_EQ(catalog_->get(kOtherType)->consumer_count, 1U);
}

TEST_F(InProcessBrokerTest, SubscriptionLimitIsATypedError) {
  auto broker = make({.max_subscriptions = 2});
  auto a = broker->subscribe(kType, "0");
  ASSERT_TRUE(broker->subscribe(kType, "0").has_value());
  auto full = broker->subscribe(kType, "0");
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().kind(), EventErrorKind::CapacityExceeded);
  ASSERT_TRUE(broker->cancel(a->subscription_id).has_value());
  EXPECT_TRUE(broker->subscribe(kType, "0").has_value());
}

TEST_F(InProcessBrokerTest, EnforcementRejectsEnvelopeDiagnosticsWithTheFirstCode) {
  auto broker = make({.validation_mode = EventValidationMode::Enforcement});
  auto sub = broker->subscribe(kType, "0");
  TraverseEvent e = valid_event("a");
  e.correlation_id.reset();
  e.causation_id.reset();
  auto rejected = broker->publish(e);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().kind(), EventErrorKind::ValidationRejected);
  EXPECT_EQ(rejected.error().detail(), "EVP-010");
  EXPECT_EQ(rejected.error().message(), "event validation rejected: EVP-010");
  // Validation runs before the catalog check: an unregistered type is rejected for its envelope.
  TraverseEvent unregistered = valid_event("b", "demo.unknown.happened");
  unregistered.owner = "";
  EXPECT_EQ(broker->publish(unregistered).error().detail(), "EVP-005");
  EXPECT_TRUE(broker->poll(sub->subscription_id, 10)->events.empty());
  EXPECT_EQ(broker->metrics().quarantines, 2U);
  EXPECT_EQ(broker->metrics().validation_failures, 2U);
  EXPECT_TRUE(broker->publish(valid_event("ok")).has_value());
}

TEST_F(InProcessBrokerTest, MigrationDeliversEventsWithDiagnostics) {
  auto broker = make();
  auto sub = broker->subscribe(kType, "0");
  TraverseEvent e = valid_event("a");
  e.correlation_id.reset();
  e.causation_id.reset();
  ASSERT_TRUE(broker->publish(e).has_value());
  EXPECT_EQ(ids(*broker->poll(sub->subscription_id, 10)), std::vector<std::string>{"a"});
  EXPECT_EQ(broker->metrics().validation_failures, 1U);
  EXPECT_EQ(broker->metrics().quarantines, 0U);
}

TEST_F(InProcessBrokerTest, PublishWithCursorAdoptsItAndRejectsGoingBackwards) {
  auto broker = make();
  EXPECT_EQ(broker->publish_with_cursor(valid_event("a"), 10)->cursor, "10");
  EXPECT_EQ(broker->publish(valid_event("b"))->cursor, "11");
  auto backwards = broker->publish_with_cursor(valid_event("c"), 11);
  ASSERT_FALSE(backwards.has_value());
  EXPECT_EQ(backwards.error().kind(), EventErrorKind::InvalidCursor);
  auto sub = broker->subscribe(kType, "0");
  EXPECT_EQ(cursors(*broker->poll(sub->subscription_id, 10)),
            (std::vector<std::string>{"10", "11"}));
}

TEST_F(InProcessBrokerTest, RestartFloorExpiresOlderCursorsAndNumbersAfterIt) {
  auto broker = make();
  broker->seed_restart_floor(50);
  broker->seed_restart_floor(20);  // never lowers
  auto old = broker->subscribe(kType, "10");
  ASSERT_FALSE(old.has_value());
  EXPECT_EQ(old.error().oldest_available_cursor(), "50");
  EXPECT_TRUE(broker->subscribe(kType, "50").has_value());
  EXPECT_EQ(broker->publish(valid_event("a"))->cursor, "51");
}

// 8 publishers x 1000 events over two types while two consumers drain concurrently: every
// event is delivered exactly once, cursors are 1..N without gaps in delivery order, and each
// publisher's events keep its publish order.
TEST_F(InProcessBrokerTest, ConcurrentPublishersNeverLoseDuplicateOrReorder) {
  constexpr int kPublishers = 8;
  constexpr int kPerPublisher = 1000;
  auto broker = make({.max_queue_len = kPublishers * kPerPublisher});
  const std::array<std::string, 2> types{kType, kOtherType};
  std::array<std::string, 2> subs;
  for (std::size_t i = 0; i < 2; ++i)
    subs[i] = broker->subscribe(types[i], "0")->subscription_id;

  std::atomic<int> publishers_done{0};
  std::array<std::vector<BrokerEvent>, 2> received;
  std::barrier start(kPublishers + 2);
  {
    std::vector<std::jthread> threads;
    for (std::size_t c = 0; c < 2; ++c) {
      threads.emplace_back([&, c] {
        start.arrive_and_wait();
        for (;;) {
          const bool finished = publishers_done.load() == kPublishers;
          auto polled = broker->poll(subs[c], 97);
          ASSERT_TRUE(polled.has_value());
          EXPECT_EQ(polled->dropped, 0U);
          for (auto& e : polled->events)
            received[c].push_back(std::move(e));
          if (finished && polled->events.empty())
            break;
        }
      });
    }
    for (int p = 0; p < kPublishers; ++p) {
      threads.emplace_back([&, p] {
        start.arrive_and_wait();
        for (int i = 0; i < kPerPublisher; ++i) {
          TraverseEvent e = valid_event("p" + std::to_string(p) + "-" + std::to_string(i),
                                        types[static_cast<std::size_t>(p % 2)]);
          auto receipt = broker->publish(e);
          ASSERT_TRUE(receipt.has_value());
          ASSERT_FALSE(receipt->duplicate);
          if (i % 100 == 0) {  // subscription churn alongside publishing
            auto extra = broker->subscribe(e.event_type, "0");
            ASSERT_TRUE(extra.has_value());
            ASSERT_TRUE(broker->poll(extra->subscription_id, 10).has_value());
            ASSERT_TRUE(broker->cancel(extra->subscription_id).has_value());
          }
        }
        publishers_done.fetch_add(1);
      });
    }
  }

  EXPECT_EQ(broker->metrics().publications,
            static_cast<std::uint64_t>(kPublishers * kPerPublisher));
  for (std::size_t c = 0; c < 2; ++c) {
    const auto& events = received[c];
    ASSERT_EQ(events.size(), static_cast<std::size_t>(kPublishers / 2 * kPerPublisher));
    std::set<std::string> unique;
    std::map<int, int> last_index_of_publisher;
    for (std::size_t k = 0; k < events.size(); ++k) {
      EXPECT_EQ(events[k].cursor, std::to_string(k + 1));  // gap-free, in cursor order
      EXPECT_EQ(events[k].event.event_type, types[c]);
      EXPECT_TRUE(unique.insert(events[k].event.id).second) << "duplicate " << events[k].event.id;
      const std::string& id = events[k].event.id;
      const auto dash = id.find('-');
      const int publisher = std::stoi(id.substr(1, dash - 1));
      const int index = std::stoi(id.substr(dash + 1));
      auto [it, inserted] = last_index_of_publisher.try_emplace(publisher, -1);
      EXPECT_EQ(index, it->second + 1) << "publisher " << publisher << " reordered";
      it->second = index;
    }
  }
}

}  // namespace
}  // namespace traverse

namespace traverse {
namespace {

// A reserved subscription slot must be released when subscribe is left by an exception (here
// the clock throws after the slot was reserved); otherwise the broker fills up with phantom
// subscriptions and refuses every later subscribe with CapacityExceeded.
TEST(InProcessBrokerSlots, ASlotReservedBySubscribeIsReleasedWhenSubscribeThrows) {
  auto catalog = std::make_shared<EventCatalog>();
  ASSERT_TRUE(catalog->register_entry({kType, "shop", "1.0.0", Lifecycle::Active, 0}));
  std::atomic<bool> fail{true};
  auto broker = InProcessBroker::create({.max_subscriptions = 1}, catalog, [&fail] {
    if (fail.load()) {
      throw std::runtime_error("clock unavailable");
    }
    return std::chrono::steady_clock::now();
  });
  ASSERT_TRUE(broker.has_value());
  EXPECT_THROW((void)(*broker)->subscribe(kType, "0"), std::runtime_error);
  EXPECT_THROW((void)(*broker)->subscribe(kType, "0"), std::runtime_error);
  fail = false;
  auto subscribed = (*broker)->subscribe(kType, "0");
  EXPECT_TRUE(subscribed.has_value())
      << (subscribed ? std::string() : subscribed.error().message());
}

}  // namespace
}  // namespace traverse
