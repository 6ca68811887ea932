// Governing spec: 060-cluster
#include "traverse/cluster/event_stream.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(EventSubject, AnEventTypeOfSafeCharactersIsKeptAsItIs) {
  EXPECT_EQ(event_subject("traverse.events", "expedition.planning.plan-assembled"),
            "traverse.events.expedition.planning.plan-assembled");
  EXPECT_EQ(event_subject("traverse.events", "A_b-9"), "traverse.events.A_b-9");
}

TEST(EventSubject, WildcardsWhitespaceAndEmptyTokensBecomeUnderscores) {
  EXPECT_EQ(event_subject("traverse.events", "a b.*.>"), "traverse.events.a_b._._");
  EXPECT_EQ(event_subject("traverse.events", ".x..y."), "traverse.events._.x._.y._");
  EXPECT_EQ(event_subject("traverse.events", ""), "traverse.events._");
  EXPECT_EQ(event_subject("p", "caf\xc3\xa9"), "p.caf__");
}

TEST(EventStreamConfig, DefaultsNameTheStreamAndBoundIt) {
  const EventStreamConfig config;
  EXPECT_EQ(config.stream, "TRAVERSE_EVENTS");
  EXPECT_EQ(config.subject_prefix, "traverse.events");
  EXPECT_GT(config.max_bytes, 0);
  EXPECT_GT(config.max_messages, 0);
  EXPECT_GT(config.max_age.count(), 0);
  EXPECT_GT(config.duplicate_window.count(), 0);
}

}  // namespace
}  // namespace traverse
