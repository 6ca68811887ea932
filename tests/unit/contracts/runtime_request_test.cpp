// Governing spec: 001-artifact-formats
#include "traverse/contracts/runtime_request.hpp"

#include <gtest/gtest.h>

#include "contracts_test_support.hpp"

namespace traverse {
namespace {

using test::NegativeCase;

Value request_doc() {
  return test::read_json(test::expedition_dir() / "requests" / "plan-expedition.json");
}
void set(Value& doc, const std::string& pointer, Value value) {
  doc[Value::json_pointer(pointer)] = std::move(value);
}
void erase(Value& doc, const std::string& pointer) {
  const Value::json_pointer ptr(pointer);
  doc[ptr.parent_pointer()].erase(ptr.back());
}

TEST(RuntimeRequest, ParsesExpeditionRequest) {
  const auto request = parse_runtime_request(request_doc());
  ASSERT_TRUE(request) << test::describe(request.error());
  EXPECT_EQ(request->request_id, "expedition-plan-001");
  EXPECT_EQ(request->capability_id, "expedition.planning.plan-expedition");
  EXPECT_EQ(request->capability_version, "1.0.0");
  EXPECT_FALSE(request->version_range.has_value());
  EXPECT_FALSE(request->intent_key.has_value());
  EXPECT_EQ(request->scope, LookupScope::PreferPrivate);
  EXPECT_EQ(request->requested_target, "local");
  EXPECT_EQ(request->correlation_id, "expedition-demo-001");
  EXPECT_EQ(request->input,
            test::read_json(test::expedition_dir() / "inputs" / "plan-expedition.json"));
}

TEST(RuntimeRequest, ToJsonRoundTrips) {
  const Value original = request_doc();
  const auto request = parse_runtime_request(original);
  ASSERT_TRUE(request) << test::describe(request.error());
  EXPECT_EQ(to_json(*request), original);
  const auto again = parse_runtime_request(to_json(*request));
  ASSERT_TRUE(again) << test::describe(again.error());
  EXPECT_EQ(to_json(*again), original);
}

TEST(RuntimeRequest, ToJsonOfHandBuiltRangeRequest) {
  RuntimeRequest request;
  request.request_id = "r-1";
  request.capability_id = "expedition.planning.plan-expedition";
  request.version_range = "^1.0";
  request.input = Value{{"objective", "x"}};
  const Value json = to_json(request);
  EXPECT_EQ(json["intent"], (Value{{"capability_id", "expedition.planning.plan-expedition"},
                                   {"version_range", "^1.0"}}));
  EXPECT_EQ(json["lookup"], (Value{{"scope", "public_only"}, {"allow_ambiguity", false}}));
  EXPECT_EQ(json["context"], (Value{{"requested_target", "local"}}));
  const auto parsed = parse_runtime_request(json);
  ASSERT_TRUE(parsed) << test::describe(parsed.error());
  EXPECT_EQ(parsed->version_range, "^1.0");
}

TEST(RuntimeRequest, IntentKeyAloneIsEnough) {
  Value doc = request_doc();
  doc["intent"] = Value{{"intent_key", "plan an expedition"}};
  const auto request = parse_runtime_request(doc);
  ASSERT_TRUE(request) << test::describe(request.error());
  EXPECT_EQ(request->intent_key, "plan an expedition");
  EXPECT_FALSE(request->capability_id.has_value());
}

TEST(RuntimeRequest, NullInputIsAValue) {
  Value doc = request_doc();
  doc["input"] = nullptr;
  const auto request = parse_runtime_request(doc);
  ASSERT_TRUE(request) << test::describe(request.error());
  EXPECT_TRUE(request->input.is_null());
}

TEST(RuntimeRequest, LoadAttachesFile) {
  test::TempDir dir;
  Value doc = request_doc();
  doc["request_id"] = "";
  test::write_json(dir.path() / "request.json", doc);
  const auto result = load_runtime_request(dir.path() / "request.json");
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U);
  EXPECT_EQ(result.error()[0].file(), (dir.path() / "request.json").string());
  EXPECT_EQ(result.error()[0].path(), "$.request_id");
}

class RuntimeRequestRejects : public testing::TestWithParam<NegativeCase> {};

TEST_P(RuntimeRequestRejects, WithExpectedCodeAndPath) {
  const NegativeCase& c = GetParam();
  Value doc = request_doc();
  c.mutate(doc);
  const auto result = parse_runtime_request(doc);
  ASSERT_FALSE(result.has_value()) << c.name << " was accepted";
  test::expect_case(c, result.error());
}

INSTANTIATE_TEST_SUITE_P(
    Rules, RuntimeRequestRejects,
    testing::Values(
        NegativeCase{"kind_literal", [](Value& d) { set(d, "/kind", "request"); }, "InvalidLiteral",
                     "$.kind"},
        NegativeCase{"schema_version_literal", [](Value& d) { set(d, "/schema_version", "1.1.0"); },
                     "InvalidLiteral", "$.schema_version"},
        NegativeCase{"governing_spec_literal",
                     [](Value& d) { set(d, "/governing_spec", "007-workflow-registry-traversal"); },
                     "InvalidLiteral", "$.governing_spec"},
        NegativeCase{"request_id_empty", [](Value& d) { set(d, "/request_id", ""); },
                     "MissingRequiredField", "$.request_id"},
        NegativeCase{"allow_ambiguity_true",
                     [](Value& d) { set(d, "/lookup/allow_ambiguity", true); },
                     "AmbiguityNotAllowed", "$.lookup.allow_ambiguity"},
        NegativeCase{"allow_ambiguity_wrong_type",
                     [](Value& d) { set(d, "/lookup/allow_ambiguity", "false"); }, "InvalidType",
                     "$.lookup.allow_ambiguity"},
        NegativeCase{"lookup_scope_literal", [](Value& d) { set(d, "/lookup/scope", "private"); },
                     "InvalidLiteral", "$.lookup.scope"},
        NegativeCase{"capability_version_not_semver",
                     [](Value& d) { set(d, "/intent/capability_version", "1.0"); }, "InvalidSemver",
                     "$.intent.capability_version"},
        NegativeCase{"intent_without_target", [](Value& d) { set(d, "/intent", Value::object()); },
                     "InvalidIntent", "$.intent"},
        NegativeCase{
            "capability_version_without_id",
            [](Value& d) {
              set(d, "/intent", Value{{"intent_key", "plan"}, {"capability_version", "1.0.0"}});
            },
            "InvalidIntent", "$.intent.capability_version"},
        NegativeCase{"version_range_without_id",
                     [](Value& d) {
                       set(d, "/intent", Value{{"intent_key", "plan"}, {"version_range", "^1"}});
                     },
                     "InvalidIntent", "$.intent.version_range"},
        NegativeCase{"version_range_and_version",
                     [](Value& d) { set(d, "/intent/version_range", "^1.0"); }, "InvalidIntent",
                     "$.intent.version_range"},
        NegativeCase{"version_range_invalid",
                     [](Value& d) {
                       erase(d, "/intent/capability_version");
                       set(d, "/intent/version_range", "newest");
                     },
                     "InvalidVersionRange", "$.intent.version_range"},
        NegativeCase{"capability_id_empty", [](Value& d) { set(d, "/intent/capability_id", ""); },
                     "MissingRequiredField", "$.intent.capability_id"},
        NegativeCase{"input_missing", [](Value& d) { erase(d, "/input"); }, "MissingRequiredField",
                     "$.input"},
        NegativeCase{"requested_target_missing",
                     [](Value& d) { erase(d, "/context/requested_target"); },
                     "MissingRequiredField", "$.context.requested_target"},
        NegativeCase{"context_metadata_wrong_type",
                     [](Value& d) { set(d, "/context/metadata", "x"); }, "InvalidType",
                     "$.context.metadata"},
        NegativeCase{"intent_not_object", [](Value& d) { set(d, "/intent", "plan"); },
                     "InvalidType", "$.intent"}),
    test::case_name);

}  // namespace
}  // namespace traverse
