// Governing spec: 001-artifact-formats
#include "traverse/contracts/event_contract.hpp"

#include <gtest/gtest.h>

#include "contracts_test_support.hpp"

namespace traverse {
namespace {

using test::NegativeCase;

Value event_doc() {
  return test::read_json(test::expedition_dir() / "events" / "objective-captured.json");
}
void set(Value& doc, const std::string& pointer, Value value) {
  doc[Value::json_pointer(pointer)] = std::move(value);
}
void erase(Value& doc, const std::string& pointer) {
  const Value::json_pointer ptr(pointer);
  doc[ptr.parent_pointer()].erase(ptr.back());
}
void append(Value& doc, const std::string& pointer, Value value) {
  doc[Value::json_pointer(pointer)].push_back(std::move(value));
}

TEST(EventContract, ParsesExpeditionEvent) {
  const auto event = parse_event_contract(event_doc());
  ASSERT_TRUE(event) << test::describe(event.error());
  EXPECT_EQ(event->id, "expedition.planning.objective-captured");
  EXPECT_EQ(event->namespace_name, "expedition.planning");
  EXPECT_EQ(event->name, "objective-captured");
  EXPECT_EQ(event->key(), "expedition.planning.objective-captured@1.0.0");
  EXPECT_EQ(event->lifecycle, Lifecycle::Active);
  EXPECT_EQ(event->payload_compatibility, "backward-compatible");
  EXPECT_EQ(event->payload_schema["required"], Value::array({"objective_id"}));
  EXPECT_EQ(event->domain, "expedition");
  EXPECT_EQ(event->bounded_context, "expedition-planning");
  EXPECT_EQ(event->event_type, "domain");
  ASSERT_EQ(event->publishers.size(), 1U);
  EXPECT_EQ(event->publishers[0],
            (CapabilityReference{"expedition.planning.capture-expedition-objective", "1.0.0"}));
  EXPECT_TRUE(event->subscribers.empty());
  EXPECT_FALSE(event->tags.empty());
}

TEST(EventContract, LoadAttachesFileToErrors) {
  test::TempDir dir;
  Value doc = event_doc();
  set(doc, "/payload/compatibility", "sideways");
  test::write_json(dir.path() / "event.json", doc);
  const auto result = load_event_contract(dir.path() / "event.json");
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U);
  EXPECT_EQ(result.error()[0].file(), (dir.path() / "event.json").string());
}

class EventContractRejects : public testing::TestWithParam<NegativeCase> {};

TEST_P(EventContractRejects, WithExpectedCodeAndPath) {
  const NegativeCase& c = GetParam();
  Value doc = event_doc();
  c.mutate(doc);
  const auto result = parse_event_contract(doc);
  ASSERT_FALSE(result.has_value()) << c.name << " was accepted";
  test::expect_case(c, result.error());
}

INSTANTIATE_TEST_SUITE_P(
    Rules, EventContractRejects,
    testing::Values(
        NegativeCase{"kind_literal", [](Value& d) { set(d, "/kind", "capability_contract"); },
                     "InvalidLiteral", "$.kind"},
        NegativeCase{"id_not_namespace_dot_name",
                     [](Value& d) { set(d, "/id", "expedition.objective-captured"); },
                     "InconsistentIdentity", "$.id"},
        NegativeCase{"version_not_semver", [](Value& d) { set(d, "/version", "1"); },
                     "InvalidSemver", "$.version"},
        NegativeCase{"owner_contact_empty", [](Value& d) { set(d, "/owner/contact", ""); },
                     "MissingRequiredField", "$.owner.contact"},
        NegativeCase{"description_too_short", [](Value& d) { set(d, "/description", "Captured."); },
                     "InvalidLength", "$.description"},
        NegativeCase{"banned_wording",
                     [](Value& d) { set(d, "/summary", "Objective captured on the Kafka topic."); },
                     "InvalidEventBoundary", "$.summary"},
        NegativeCase{"payload_schema_not_object",
                     [](Value& d) { set(d, "/payload/schema", Value::array()); }, "InvalidType",
                     "$.payload.schema"},
        NegativeCase{"payload_compatibility_literal",
                     [](Value& d) { set(d, "/payload/compatibility", "sideways"); },
                     "InvalidLiteral", "$.payload.compatibility"},
        NegativeCase{"domain_too_short", [](Value& d) { set(d, "/classification/domain", "x"); },
                     "InvalidLength", "$.classification.domain"},
        NegativeCase{"bounded_context_too_short",
                     [](Value& d) { set(d, "/classification/bounded_context", " e "); },
                     "InvalidLength", "$.classification.bounded_context"},
        NegativeCase{"event_type_literal",
                     [](Value& d) { set(d, "/classification/event_type", "command"); },
                     "InvalidLiteral", "$.classification.event_type"},
        NegativeCase{"classification_tags_empty",
                     [](Value& d) { set(d, "/classification/tags", Value::array()); },
                     "MissingRequiredField", "$.classification.tags"},
        NegativeCase{"tags_duplicate", [](Value& d) { append(d, "/tags", d["tags"][0]); },
                     "DuplicateItem", "$.tags[3]"},
        NegativeCase{"tag_empty", [](Value& d) { append(d, "/tags", ""); }, "MissingRequiredField",
                     "$.tags[3]"},
        NegativeCase{"no_publishers", [](Value& d) { set(d, "/publishers", Value::array()); },
                     "MissingRequiredField", "$.publishers"},
        NegativeCase{"publishers_duplicate",
                     [](Value& d) { append(d, "/publishers", d["publishers"][0]); },
                     "DuplicateItem", "$.publishers[1]"},
        NegativeCase{"subscriber_version_not_semver",
                     [](Value& d) {
                       append(d, "/subscribers",
                              Value{{"capability_id", "expedition.planning.x"}, {"version", "2"}});
                     },
                     "InvalidSemver", "$.subscribers[0].version"},
        NegativeCase{"policies_duplicate",
                     [](Value& d) { append(d, "/policies", d["policies"][0]); }, "DuplicateItem",
                     "$.policies[1].id"},
        NegativeCase{"provenance_source_literal",
                     [](Value& d) { set(d, "/provenance/source", "brownfield-extracted"); },
                     "InvalidLiteral", "$.provenance.source"},
        NegativeCase{"provenance_author_missing", [](Value& d) { erase(d, "/provenance/author"); },
                     "MissingRequiredField", "$.provenance.author"},
        NegativeCase{"evidence_duplicate",
                     [](Value& d) { append(d, "/evidence", d["evidence"][0]); }, "DuplicateItem",
                     "$.evidence[1]"},
        NegativeCase{"evidence_ref_empty", [](Value& d) { set(d, "/evidence/0/ref", ""); },
                     "MissingRequiredField", "$.evidence[0].ref"},
        NegativeCase{"missing_classification", [](Value& d) { erase(d, "/classification"); },
                     "MissingRequiredField", "$.classification"}),
    test::case_name);

}  // namespace
}  // namespace traverse
