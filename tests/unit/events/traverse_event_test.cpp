// Governing spec: 010-runtime-stack
#include "traverse/events/traverse_event.hpp"

#include <gtest/gtest.h>

#include "event_test_support.hpp"

namespace traverse {
namespace {

TEST(TraverseEvent, JsonUsesEventTypeKeyAndOmitsAbsentOptionals) {
  TraverseEvent e = event_test::valid_event("e1");
  e.correlation_id.reset();
  e.subject_id.reset();
  const Value json = to_json(e);
  EXPECT_EQ(json["event_type"], "demo.order.placed");
  EXPECT_FALSE(json.contains("type"));
  EXPECT_EQ(json["lifecycle_status"], "active");
  EXPECT_EQ(json["datacontenttype"], "application/json");
  EXPECT_EQ(json["data"]["order"], "e1");
  EXPECT_FALSE(json.contains("correlation_id"));
  EXPECT_FALSE(json.contains("subject_id"));
  EXPECT_FALSE(json.contains("actor_id"));
  EXPECT_EQ(json["causation_id"], "cause-1");
}

TEST(TraverseEvent, RoundTripsThroughJson) {
  TraverseEvent e = event_test::valid_event("e2");
  e.subject_id = "order-7";
  e.actor_id = "user-1";
  e.lifecycle_status = Lifecycle::Deprecated;
  e.data = Value::parse(R"({"n":1.0,"list":[1,"two",null]})");
  auto back = traverse_event_from_json(to_json(e));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, e);
}

TEST(TraverseEvent, FromJsonReportsEveryViolationWithItsPath) {
  Value json = to_json(event_test::valid_event("e3"));
  json.erase("source");
  json.erase("data");
  json["owner"] = 5;
  json["lifecycle_status"] = "retired";
  json["subject_id"] = Value::array();
  auto bad = traverse_event_from_json(json);
  ASSERT_FALSE(bad.has_value());
  std::vector<std::string> paths;
  for (const auto& error : bad.error())
    paths.push_back(error.path());
  EXPECT_EQ(paths, (std::vector<std::string>{"$.source", "$.data", "$.owner", "$.lifecycle_status",
                                             "$.subject_id"}));
  EXPECT_EQ(bad.error()[0].code(), "MissingRequiredField");
  EXPECT_FALSE(traverse_event_from_json(Value("text")).has_value());
}

TEST(TraverseEvent, NullOptionalFieldsReadAsAbsent) {
  Value json = to_json(event_test::valid_event("e4"));
  json["actor_id"] = nullptr;
  auto e = traverse_event_from_json(json);
  ASSERT_TRUE(e.has_value());
  EXPECT_FALSE(e->actor_id.has_value());
}

}  // namespace
}  // namespace traverse
