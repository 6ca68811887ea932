// Governing spec: 001-artifact-formats
//
// SchemaProfile: the reference profile enforces exactly type, required, properties and items
// (as Rust Traverse), the strict profile every supported keyword; names parse both ways.
#include "traverse/contracts/schema_profile.hpp"

#include <gtest/gtest.h>

#include "traverse/contracts/schema_validator.hpp"
#include "traverse/json/value.hpp"

namespace traverse {
namespace {

const Value kSchema = Value::parse(R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "minLength": 3, "pattern": "^[a-z]+$"},
    "level": {"type": "string", "enum": ["low", "high"]},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 2}, "minItems": 1},
    "free": {"minimum": 10}
  },
  "required": ["name"],
  "additionalProperties": false
})");

SchemaValidator compiled(SchemaProfile profile) {
  auto validator = SchemaValidator::compile(kSchema, profile);
  EXPECT_TRUE(validator.has_value());
  return std::move(*validator);
}

TEST(SchemaProfile, ReferenceIgnoresEveryKeywordOutsideTheSubset) {
  const Value instance = Value::parse(
      R"({"name": "AB", "level": "medium", "tags": ["long"], "free": 1, "extra": true})");
  EXPECT_TRUE(compiled(SchemaProfile::Reference).validate(instance).empty());
  // The strict profile reports minLength, pattern, enum, maxLength, minimum and
  // additionalProperties.
  EXPECT_EQ(compiled(SchemaProfile::Strict).validate(instance).size(), 6U);
}

TEST(SchemaProfile, ReferenceEnforcesTypeRequiredPropertiesAndItems) {
  const SchemaValidator reference = compiled(SchemaProfile::Reference);
  EXPECT_EQ(reference.validate(Value::array()).size(), 1U);  // type object
  const auto missing = reference.validate(Value::object());
  ASSERT_EQ(missing.size(), 1U);
  EXPECT_EQ(missing.front().path(), "$.name");
  const auto mistyped = reference.validate(Value::parse(R"({"name": 7, "tags": ["a", 2]})"));
  ASSERT_EQ(mistyped.size(), 2U);
  EXPECT_EQ(mistyped[0].path(), "$.name");
  EXPECT_EQ(mistyped[1].path(), "$.tags[1]");
}

TEST(SchemaProfile, ReferenceAcceptsAnythingWhereASchemaHasNoStringType) {
  const Value untyped = Value::parse(R"({"required": ["a"], "properties": {"a": {}}})");
  EXPECT_TRUE(SchemaValidator::compile(untyped, SchemaProfile::Reference)->is_valid(Value(5)));
  EXPECT_FALSE(SchemaValidator::compile(untyped, SchemaProfile::Strict)
                   ->is_valid(Value::object()));  // strict: required applies to objects
  const Value union_type = Value::parse(R"({"type": ["string", "null"]})");
  EXPECT_TRUE(SchemaValidator::compile(union_type, SchemaProfile::Reference)->is_valid(Value(5)));
  EXPECT_FALSE(SchemaValidator::compile(union_type, SchemaProfile::Strict)->is_valid(Value(5)));
}

TEST(SchemaProfile, ReferenceKeepsIntegerStrictness) {
  const Value schema = Value::parse(R"({"type": "integer"})");
  const auto reference = SchemaValidator::compile(schema, SchemaProfile::Reference);
  EXPECT_TRUE(reference->is_valid(Value(1)));
  EXPECT_FALSE(reference->is_valid(Value(1.0)));
}

TEST(SchemaProfile, ReferenceDoesNotCompileKeywordsItIgnores) {
  const Value bad_pattern = Value::parse(R"({"type": "string", "pattern": "("})");
  EXPECT_FALSE(SchemaValidator::compile(bad_pattern, SchemaProfile::Strict).has_value());
  EXPECT_TRUE(SchemaValidator::compile(bad_pattern, SchemaProfile::Reference).has_value());
}

TEST(SchemaProfile, NamesRoundTrip) {
  EXPECT_EQ(parse_schema_profile("strict"), SchemaProfile::Strict);
  EXPECT_EQ(parse_schema_profile("reference"), SchemaProfile::Reference);
  EXPECT_EQ(parse_schema_profile("Reference"), std::nullopt);
  EXPECT_EQ(to_string(SchemaProfile::Strict), "strict");
  EXPECT_EQ(to_string(SchemaProfile::Reference), "reference");
}

}  // namespace
}  // namespace traverse
