// Governing spec: 001-artifact-formats
//
// SchemaValidator: every docs/compatibility.md D5 keyword, positive and negative; all violations
// reported with instance paths; $ref (including recursion); compile errors; concurrent validation.
#include "traverse/contracts/schema_validator.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <latch>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "traverse/json/parse.hpp"

namespace traverse {
namespace {

Value json(std::string_view text) {
  auto parsed = parse_json(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed ? std::move(*parsed) : Value();
}

SchemaValidator compile_ok(std::string_view schema) {
  auto compiled = SchemaValidator::compile(json(schema));
  if (!compiled) {
    std::string all;
    for (const auto& e : compiled.error())
      all += e.path() + ": " + e.message() + "\n";
    ADD_FAILURE() << "schema did not compile: " << schema << "\n" << all;
    return *SchemaValidator::compile(Value::object());
  }
  return std::move(*compiled);
}

// "path: message" lines, for compact assertions.
std::vector<std::string> violations(const SchemaValidator& validator, std::string_view instance) {
  const Value value = json(instance);
  std::vector<std::string> out;
  const ValidationErrors errors = validator.validate(value);
  for (const auto& e : errors) {
    EXPECT_EQ(e.code(), "SchemaViolation");
    EXPECT_TRUE(e.file().empty());
    out.push_back(e.path() + ": " + e.message());
  }
  EXPECT_EQ(validator.is_valid(value), errors.empty()) << instance;
  return out;
}

std::vector<std::string> compile_errors(std::string_view schema) {
  auto compiled = SchemaValidator::compile(json(schema));
  EXPECT_FALSE(compiled.has_value()) << schema;
  std::vector<std::string> out;
  if (compiled)
    return out;
  for (const auto& e : compiled.error()) {
    EXPECT_EQ(e.code(), "InvalidSchema");
    out.push_back(e.path() + ": " + e.message());
  }
  return out;
}

using Lines = std::vector<std::string>;

void expect_valid(const SchemaValidator& v, std::string_view instance) {
  EXPECT_EQ(violations(v, instance), Lines{}) << instance;
}

// ---- type --------------------------------------------------------------------------------

TEST(SchemaValidatorType, EachTypeNameAcceptsOnlyItsValues) {
  const struct {
    const char* type;
    const char* good;
    const char* bad;
  } cases[] = {
      {"null", "null", "0"},        {"boolean", "false", "\"true\""}, {"object", "{}", "[]"},
      {"array", "[]", "{}"},        {"string", "\"\"", "1"},          {"integer", "-3", "1.5"},
      {"number", "1.5", "\"1.5\""},
  };
  for (const auto& c : cases) {
    const auto v = compile_ok(std::string(R"({"type":")") + c.type + "\"}");
    expect_valid(v, c.good);
    EXPECT_EQ(violations(v, c.bad), Lines{std::string("$: expected ") + c.type}) << c.type;
  }
}

TEST(SchemaValidatorType, IntegerMeansJsonIntegerSoOnePointZeroIsNot) {
  const auto v = compile_ok(R"({"type":"integer"})");
  expect_valid(v, "1");
  expect_valid(v, "18446744073709551615");
  expect_valid(v, "-9223372036854775808");
  EXPECT_EQ(violations(v, "1.0"), Lines{"$: expected integer"});
  // Beyond uint64 the parser produces a float, which is not an integer.
  EXPECT_EQ(violations(v, "18446744073709551616"), Lines{"$: expected integer"});
}

TEST(SchemaValidatorType, NumberAcceptsIntegersAndFloats) {
  const auto v = compile_ok(R"({"type":"number"})");
  expect_valid(v, "1");
  expect_valid(v, "1.0");
  expect_valid(v, "-2.5e10");
}

TEST(SchemaValidatorType, ArrayOfTypesListsThemInTheMessage) {
  const auto v = compile_ok(R"({"type":["string","null"]})");
  expect_valid(v, "\"x\"");
  expect_valid(v, "null");
  EXPECT_EQ(violations(v, "3"), Lines{"$: expected one of [string, null]"});
}

TEST(SchemaValidatorType, SchemaWithoutTypeAcceptsAnything) {
  const auto v = compile_ok(R"({"description":"anything","x-unknown-keyword":{"type":"string"}})");
  for (const char* instance : {"null", "1", "\"s\"", "[1]", "{\"a\":{}}"}) {
    expect_valid(v, instance);
  }
}

// ---- objects -----------------------------------------------------------------------------

TEST(SchemaValidatorObject, MissingRequiredPropertyIsReportedAtItsPath) {
  const auto v = compile_ok(R"({"type":"object","required":["k","m"]})");
  expect_valid(v, R"({"k":1,"m":null})");
  EXPECT_EQ(violations(v, R"({"m":1})"), Lines{"$.k: required property is missing"});
  // required applies to objects only
  const auto untyped = compile_ok(R"({"required":["k"]})");
  expect_valid(untyped, "[1]");
}

TEST(SchemaValidatorObject, PropertiesRecurseIntoPresentKeysWithPaths) {
  const auto v = compile_ok(R"({"properties":{"a":{"properties":{"b":{"type":"string"}}},
                                 "a b":{"type":"integer"},"list":{"items":{"type":"boolean"}}}})");
  expect_valid(v, R"({"a":{}})");
  expect_valid(v, R"({"other":1})");
  EXPECT_EQ(violations(v, R"({"a":{"b":1},"a b":"x","list":[true,false,0]})"),
            (Lines{"$.a.b: expected string", "$[\"a b\"]: expected integer",
                   "$.list[2]: expected boolean"}));
}

TEST(SchemaValidatorObject, AdditionalPropertiesFalseRejectsUnlistedKeys) {
  const auto v = compile_ok(R"({"properties":{"a":{},"c":{}},"additionalProperties":false})");
  expect_valid(v, R"({"a":1,"c":2})");
  EXPECT_EQ(violations(v, R"({"a":1,"b":2,"z":3})"),
            (Lines{"$.b: additional property is not allowed (additionalProperties is false)",
                   "$.z: additional property is not allowed (additionalProperties is false)"}));
}

TEST(SchemaValidatorObject, AdditionalPropertiesSchemaValidatesUnlistedValues) {
  const auto v = compile_ok(
      R"({"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}})");
  expect_valid(v, R"({"a":"x","b":2})");
  EXPECT_EQ(violations(v, R"({"a":"x","b":"2"})"), Lines{"$.b: expected integer"});
  const auto allowed = compile_ok(R"({"additionalProperties":true})");
  expect_valid(allowed, R"({"anything":[1]})");
}

// ---- arrays ------------------------------------------------------------------------------

TEST(SchemaValidatorArray, ItemsAppliesToEveryElement) {
  const auto v = compile_ok(R"({"type":"array","items":{"type":"integer"}})");
  expect_valid(v, "[]");
  expect_valid(v, "[1,2,3]");
  EXPECT_EQ(violations(v, R"([1,"2",3.5])"),
            (Lines{"$[1]: expected integer", "$[2]: expected integer"}));
}

TEST(SchemaValidatorArray, MinItemsAndMaxItems) {
  const auto v = compile_ok(R"({"minItems":2,"maxItems":3})");
  expect_valid(v, "[1,2]");
  expect_valid(v, "[1,2,3]");
  expect_valid(v, "\"not an array\"");
  EXPECT_EQ(violations(v, "[1]"), Lines{"$: array has fewer items than minItems 2 (got 1)"});
  EXPECT_EQ(violations(v, "[1,2,3,4]"), Lines{"$: array has more items than maxItems 3 (got 4)"});
}

TEST(SchemaValidatorArray, UniqueItemsComparesByJsonValue) {
  const auto v = compile_ok(R"({"uniqueItems":true})");
  expect_valid(v, R"([1,2,"1",[1],{"a":1},{"a":2},null,false,0])");
  EXPECT_EQ(violations(v, "[1,2,1.0]"),
            Lines{"$: array items must be unique (uniqueItems): items [0] and [2] are equal"});
  EXPECT_EQ(violations(v, R"([{"a":[1,{"b":null}]},3,{"a":[1,{"b":null}]}])"),
            Lines{"$: array items must be unique (uniqueItems): items [0] and [2] are equal"});
  const auto off = compile_ok(R"({"uniqueItems":false})");
  expect_valid(off, "[1,1]");
}

// ---- enum / const ------------------------------------------------------------------------

TEST(SchemaValidatorEnum, ValueMustBeOneOfTheListedValues) {
  const auto v = compile_ok(R"({"enum":["draft","active",1,null]})");
  expect_valid(v, "\"active\"");
  expect_valid(v, "1.0");  // numbers compare by value
  expect_valid(v, "null");
  EXPECT_EQ(violations(v, "\"retired\""), Lines{R"($: must be one of ["draft","active",1,null])"});
}

TEST(SchemaValidatorConst, ValueMustEqualTheConstant) {
  const auto v = compile_ok(R"({"const":{"a":[1,2]}})");
  expect_valid(v, R"({"a":[1,2.0]})");
  EXPECT_EQ(violations(v, R"({"a":[2,1]})"), Lines{R"($: must equal the const value {"a":[1,2]})"});
}

// ---- strings -----------------------------------------------------------------------------

TEST(SchemaValidatorString, LengthsCountCodePoints) {
  const auto v = compile_ok(R"({"minLength":2,"maxLength":3})");
  expect_valid(v, "\"ab\"");
  expect_valid(v, "\"\xC3\xA9\xF0\x9F\x9A\x80\"");  // two code points, six bytes
  expect_valid(v, "5");                             // not a string: no length rules
  EXPECT_EQ(violations(v, "\"\xC3\xA9\""),
            Lines{"$: string is shorter than minLength 2 (length 1)"});
  EXPECT_EQ(violations(v, "\"abcd\""), Lines{"$: string is longer than maxLength 3 (length 4)"});
}

TEST(SchemaValidatorString, PatternSearchesUnanchoredUnlessAnchored) {
  const auto v = compile_ok(R"({"pattern":"[0-9]{3}"})");
  expect_valid(v, "\"ab123cd\"");
  EXPECT_EQ(violations(v, "\"ab12\""), Lines{R"($: string does not match pattern "[0-9]{3}")"});
  const auto anchored = compile_ok(R"({"pattern":"^[a-z][a-z0-9-]*$"})");
  expect_valid(anchored, "\"plan-expedition\"");
  EXPECT_EQ(violations(anchored, "\"Plan\""),
            Lines{R"($: string does not match pattern "^[a-z][a-z0-9-]*$")"});
}

TEST(SchemaValidatorString, PatternOnAVeryLongStringIsReportedNotMatched) {
  const auto v = compile_ok(R"({"pattern":"^a*$"})");
  expect_valid(v, "\"" + std::string(4096, 'a') + "\"");
  const auto lines = violations(v, "\"" + std::string(100000, 'a') + "\"");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("too long to match pattern"), std::string::npos) << lines[0];
}

TEST(SchemaValidatorString, FormatDateTimeFollowsRfc3339) {
  const auto v = compile_ok(R"({"format":"date-time"})");
  for (const char* good : {"\"2024-02-29T12:00:00Z\"", "\"2024-01-01T00:00:00.123+05:30\"",
                           "\"1999-12-31t23:59:60z\"", "\"2026-11-26T12:00:00.5-00:00\""}) {
    expect_valid(v, good);
  }
  for (const char* bad :
       {"\"2023-02-29T00:00:00Z\"", "\"2024-01-01 00:00:00Z\"", "\"2024-01-01T24:00:00Z\"",
        "\"2024-01-01T00:00:00\"", "\"2024-01-01T00:00Z\"", "\"2024-01-01T00:00:00.Z\"",
        "\"2024-01-01T00:00:00+0530\"", "\"2024-01-01\"", "\"\""}) {
    EXPECT_EQ(violations(v, bad), Lines{"$: string is not a valid date-time (format)"}) << bad;
  }
  expect_valid(v, "12");  // formats apply to strings only
}

TEST(SchemaValidatorString, FormatDateChecksTheCalendar) {
  const auto v = compile_ok(R"({"format":"date"})");
  expect_valid(v, "\"2024-02-29\"");
  expect_valid(v, "\"2000-02-29\"");
  for (const char* bad : {"\"2023-02-29\"", "\"1900-02-29\"", "\"2024-04-31\"", "\"2024-13-01\"",
                          "\"2024-00-10\"", "\"2024-1-01\"", "\"2024-01-01T00:00:00Z\""}) {
    EXPECT_EQ(violations(v, bad), Lines{"$: string is not a valid date (format)"}) << bad;
  }
}

TEST(SchemaValidatorString, FormatUuidAndUri) {
  const auto uuid = compile_ok(R"({"format":"uuid"})");
  expect_valid(uuid, "\"3f2b8c1e-9a4d-4b6e-8f00-1234567890ab\"");
  expect_valid(uuid, "\"3F2B8C1E-9A4D-4B6E-8F00-1234567890AB\"");
  for (const char* bad : {"\"3f2b8c1e9a4d4b6e8f001234567890ab\"",
                          "\"3f2b8c1e-9a4d-4b6e-8f00-1234567890ag\"", "\"{3f2b8c1e-9a4d}\""}) {
    EXPECT_EQ(violations(uuid, bad), Lines{"$: string is not a valid uuid (format)"}) << bad;
  }
  const auto uri = compile_ok(R"({"format":"uri"})");
  for (const char* good : {"\"https://example.org/a/b?q=1#frag\"", "\"urn:isbn:0451450523\"",
                           "\"mailto:team@example.org\"", "\"file:///tmp/x%20y\""}) {
    expect_valid(uri, good);
  }
  for (const char* bad : {"\"example.org/path\"", "\"1http://x\"", "\"http://a b\"", "\"\"",
                          "\":nothing\"", "\"http://x/%zz\""}) {
    EXPECT_EQ(violations(uri, bad), Lines{"$: string is not a valid uri (format)"}) << bad;
  }
}

TEST(SchemaValidatorString, UnknownFormatsAreIgnored) {
  const auto v = compile_ok(R"({"format":"email"})");
  expect_valid(v, "\"not an email\"");
}

// ---- numbers -----------------------------------------------------------------------------

TEST(SchemaValidatorNumber, MinimumAndMaximumAreInclusive) {
  const auto v = compile_ok(R"({"minimum":0,"maximum":10.5})");
  expect_valid(v, "0");
  expect_valid(v, "10.5");
  expect_valid(v, "\"20\"");
  EXPECT_EQ(violations(v, "-1"), Lines{"$: must be >= minimum 0 (got -1)"});
  EXPECT_EQ(violations(v, "10.6"), Lines{"$: must be <= maximum 10.5 (got 10.6)"});
}

TEST(SchemaValidatorNumber, ExclusiveBoundsInNumberForm) {
  const auto v = compile_ok(R"({"exclusiveMinimum":0,"exclusiveMaximum":1})");
  expect_valid(v, "0.5");
  EXPECT_EQ(violations(v, "0"), Lines{"$: must be > exclusiveMinimum 0 (got 0)"});
  EXPECT_EQ(violations(v, "1.0"), Lines{"$: must be < exclusiveMaximum 1 (got 1.0)"});
}

TEST(SchemaValidatorNumber, ExclusiveBoundsInDraft4BooleanForm) {
  const auto v =
      compile_ok(R"({"minimum":0,"exclusiveMinimum":true,"maximum":5,"exclusiveMaximum":false})");
  expect_valid(v, "5");
  EXPECT_EQ(violations(v, "0"), Lines{"$: must be > exclusive minimum 0 (got 0)"});
}

TEST(SchemaValidatorNumber, LargeIntegersCompareExactly) {
  // As doubles 2^53 and 2^53 + 1 are equal; the validator must not round.
  const auto v = compile_ok(R"({"maximum":9007199254740992})");
  expect_valid(v, "9007199254740992");
  EXPECT_EQ(violations(v, "9007199254740993"),
            Lines{"$: must be <= maximum 9007199254740992 (got 9007199254740993)"});
  const auto big = compile_ok(R"({"minimum":18446744073709551615})");
  expect_valid(big, "18446744073709551615");
  EXPECT_EQ(violations(big, "-1").size(), 1U);
  EXPECT_EQ(violations(big, "1.8446744073709550e19").size(), 1U);
  const auto by_float = compile_ok(R"({"maximum":9007199254740992.0})");
  EXPECT_EQ(violations(by_float, "9007199254740993").size(), 1U);
}

// ---- combinators -------------------------------------------------------------------------

TEST(SchemaValidatorCombinators, OneOfRequiresExactlyOneMatch) {
  const auto v = compile_ok(R"({"oneOf":[{"type":"integer"},{"minimum":10}]})");
  expect_valid(v, "3");     // only the first
  expect_valid(v, "10.5");  // only the second
  EXPECT_EQ(violations(v, "12"), Lines{"$: must match exactly one schema of oneOf, matched more "
                                       "than one (oneOf[0] and oneOf[1])"});
  EXPECT_EQ(violations(v, "2.5"),
            Lines{"$: must match exactly one schema of oneOf, matched none; [0] $: expected "
                  "integer; [1] $: must be >= minimum 10 (got 2.5)"});
  const auto three = compile_ok(R"({"oneOf":[{"type":"string"},{"minLength":1},{"maxLength":3}]})");
  EXPECT_EQ(violations(three, "\"ab\""),
            Lines{"$: must match exactly one schema of oneOf, matched more than one (oneOf[0] and "
                  "oneOf[1])"});
}

TEST(SchemaValidatorCombinators, AnyOfRequiresAtLeastOneMatch) {
  const auto v = compile_ok(R"({"anyOf":[{"type":"string"},{"type":"null"}]})");
  expect_valid(v, "\"x\"");
  expect_valid(v, "null");
  EXPECT_EQ(violations(v, "1"),
            Lines{"$: must match at least one schema of anyOf; [0] $: expected string; [1] $: "
                  "expected null"});
}

TEST(SchemaValidatorCombinators, AllOfReportsEveryFailingSubschema) {
  const auto v = compile_ok(R"({"allOf":[{"type":"object","required":["a"]},{"required":["b"]}]})");
  expect_valid(v, R"({"a":1,"b":2})");
  EXPECT_EQ(violations(v, "{}"),
            (Lines{"$.a: required property is missing", "$.b: required property is missing"}));
}

TEST(SchemaValidatorCombinators, NotRejectsWhatTheSubschemaAccepts) {
  const auto v = compile_ok(R"({"not":{"type":"string"}})");
  expect_valid(v, "1");
  EXPECT_EQ(violations(v, "\"s\""), Lines{"$: must not match the schema in not"});
}

TEST(SchemaValidatorCombinators, BooleanSchemas) {
  const auto yes = compile_ok("true");
  expect_valid(yes, R"({"a":[1,2]})");
  const auto no = compile_ok("false");
  EXPECT_EQ(violations(no, "null"), Lines{"$: no value is allowed here (schema is false)"});
  const auto nested = compile_ok(R"({"properties":{"secret":false,"open":true}})");
  expect_valid(nested, R"({"open":1})");
  EXPECT_EQ(violations(nested, R"({"secret":1})"),
            Lines{"$.secret: no value is allowed here (schema is false)"});
}

// ---- all violations together -------------------------------------------------------------

TEST(SchemaValidatorReport, EveryViolationIsReportedWithItsPath) {
  const auto v = compile_ok(R"({
    "type": "object",
    "required": ["id", "owner", "tags"],
    "additionalProperties": false,
    "properties": {
      "id": {"type": "string", "pattern": "^[a-z]+$"},
      "count": {"type": "integer", "minimum": 1},
      "owner": {"type": "object", "required": ["team"],
                "properties": {"team": {"type": "string", "minLength": 1}}},
      "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": true},
      "when": {"type": "string", "format": "date-time"}
    }
  })");
  EXPECT_EQ(violations(v, R"({"id":"X1","count":0,"owner":{},"tags":["a","c","a"],
                             "when":"yesterday","extra":true})"),
            (Lines{
                "$.count: must be >= minimum 1 (got 0)",
                "$.extra: additional property is not allowed (additionalProperties is false)",
                R"($.id: string does not match pattern "^[a-z]+$")",
                "$.owner.team: required property is missing",
                "$.tags: array items must be unique (uniqueItems): items [0] and [2] are equal",
                R"($.tags[1]: must be one of ["a","b"])",
                "$.when: string is not a valid date-time (format)",
            }));
}

// ---- $ref --------------------------------------------------------------------------------

TEST(SchemaValidatorRef, ResolvesLocalDefinitions) {
  const auto v = compile_ok(R"({
    "definitions": {"name": {"type": "string", "minLength": 1}},
    "$defs": {"a/b": {"type": "integer"}, "t~x": {"type": "boolean"}, "sp ace": {"type": "null"}},
    "properties": {
      "first": {"$ref": "#/definitions/name"},
      "slash": {"$ref": "#/$defs/a~1b"},
      "tilde": {"$ref": "#/$defs/t~0x"},
      "space": {"$ref": "#/$defs/sp%20ace"},
      "list": {"items": {"$ref": "#/definitions/name"}}
    }
  })");
  expect_valid(v, R"({"first":"x","slash":1,"tilde":true,"space":null,"list":["a"]})");
  EXPECT_EQ(violations(v, R"({"first":"","slash":"1","tilde":0,"space":1,"list":["",2]})"),
            (Lines{"$.first: string is shorter than minLength 1 (length 0)",
                   "$.list[0]: string is shorter than minLength 1 (length 0)",
                   "$.list[1]: expected string", "$.slash: expected integer",
                   "$.space: expected null", "$.tilde: expected boolean"}));
}

TEST(SchemaValidatorRef, RefIntoAnArrayElement) {
  const auto v = compile_ok(R"({"definitions":{"choices":[{"type":"string"},{"type":"null"}]},
                                "properties":{"a":{"$ref":"#/definitions/choices/1"}}})");
  expect_valid(v, R"({"a":null})");
  EXPECT_EQ(violations(v, R"({"a":"s"})"), Lines{"$.a: expected null"});
  EXPECT_EQ(compile_errors(R"({"definitions":{"c":[{}]},"$ref":"#/definitions/c/01"})").size(), 1U);
}

TEST(SchemaValidatorRef, RecursiveSchemaValidatesATree) {
  const auto v = compile_ok(R"({
    "type": "object",
    "required": ["name"],
    "properties": {
      "name": {"type": "string"},
      "children": {"type": "array", "items": {"$ref": "#"}}
    }
  })");
  expect_valid(
      v, R"({"name":"root","children":[{"name":"a"},{"name":"b","children":[{"name":"c"}]}]})");
  EXPECT_EQ(
      violations(v, R"({"name":"root","children":[{"name":"a","children":[{"name":1},{}]}]})"),
      (Lines{"$.children[0].children[0].name: expected string",
             "$.children[0].children[1].name: required property is missing"}));
}

TEST(SchemaValidatorRef, MutuallyRecursiveDefinitions) {
  const auto v = compile_ok(R"({
    "$ref": "#/definitions/even",
    "definitions": {
      "even": {"type": "array", "items": {"$ref": "#/definitions/odd"}},
      "odd": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/even"}}
    }
  })");
  expect_valid(v, "[]");
  expect_valid(v, "[[[]]]");
  EXPECT_EQ(violations(v, "[[]]"), Lines{"$[0]: array has fewer items than minItems 1 (got 0)"});
  EXPECT_EQ(violations(v, "[[[[]]]]"),
            Lines{"$[0][0][0]: array has fewer items than minItems 1 (got 0)"});
}

TEST(SchemaValidatorRef, DeepInstanceAgainstRecursiveSchemaHitsTheDepthCapWithoutCrashing) {
  const auto v = compile_ok(R"({"type":"array","items":{"$ref":"#"}})");
  // Within the parser's limit: fine.
  expect_valid(v, std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']'));
  // A Value built in code can be far deeper than any parsed one.
  Value deep = Value::array();
  for (int i = 0; i < 100000; ++i) {
    Value outer = Value::array();
    outer.push_back(std::move(deep));
    deep = std::move(outer);
  }
  const ValidationErrors errors = v.validate(deep);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].code(), "SchemaViolation");
  EXPECT_NE(errors[0].message().find("validation nesting exceeds"), std::string::npos);
  EXPECT_FALSE(v.is_valid(deep));
}

TEST(SchemaValidatorRef, DepthCapInsideABranchStillFailsValidation) {
  // `nested` accepts every array, so `not` fails for any instance the walk can finish; when the
  // walk inside `not` is cut off by the depth cap the result must still be a failure, not a pass.
  const auto v = compile_ok(R"({"not":{"$ref":"#/definitions/nested"},
                                "definitions":{"nested":{"items":{"$ref":"#/definitions/nested"}}}})");
  EXPECT_EQ(violations(v, "[[]]"), Lines{"$: must not match the schema in not"});
  Value deep = Value::array();
  for (int i = 0; i < 5000; ++i) {
    Value outer = Value::array();
    outer.push_back(std::move(deep));
    deep = std::move(outer);
  }
  EXPECT_FALSE(v.is_valid(deep));
  const ValidationErrors errors = v.validate(deep);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.back().message().find("validation nesting exceeds"), std::string::npos);
}

TEST(SchemaValidatorRef, UnresolvableAndRemoteRefsAreCompileErrors) {
  EXPECT_EQ(compile_errors(R"({"properties":{"a":{"$ref":"#/definitions/missing"}}})"),
            Lines{R"($.properties.a.$ref: unresolvable $ref "#/definitions/missing")"});
  EXPECT_EQ(
      compile_errors(R"({"$ref":"https://example.org/schema.json"})"),
      Lines{
          R"($.$ref: only local $ref ("#...") is supported, got "https://example.org/schema.json")"});
  EXPECT_EQ(compile_errors(R"({"$ref":"#anchor"})").size(), 1U);
  EXPECT_EQ(compile_errors(R"({"$ref":5})"), Lines{R"($.$ref: $ref must be a string)"});
}

TEST(SchemaValidatorRef, RefCyclesThatNeverDescendAreCompileErrors) {
  EXPECT_EQ(compile_errors(R"({"$ref":"#"})").size(), 1U);
  EXPECT_EQ(compile_errors(R"({"allOf":[{"$ref":"#"}]})").size(), 1U);
  const auto lines = compile_errors(R"({"$ref":"#/definitions/a","definitions":{
      "a":{"$ref":"#/definitions/b"},"b":{"anyOf":[{"type":"string"},{"$ref":"#/definitions/a"}]}}})");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("refers to itself"), std::string::npos) << lines[0];
}

// ---- compile errors ----------------------------------------------------------------------

TEST(SchemaValidatorCompile, MalformedSchemasAreRejectedWithSchemaPaths) {
  EXPECT_EQ(compile_errors("5"), Lines{"$: schema must be an object or a boolean"});
  EXPECT_EQ(compile_errors(R"({"properties":{"a":{"type":"text"}}})"),
            Lines{"$.properties.a.type: unknown type \"text\" (expected null, boolean, object, "
                  "array, number, integer or string)"});
  EXPECT_EQ(compile_errors(R"({"type":["string",3]})"),
            Lines{"$.type[1]: type names must be strings"});
  EXPECT_EQ(compile_errors(R"({"type":["string","string"]})"),
            Lines{"$.type[1]: duplicate type \"string\""});
  EXPECT_EQ(compile_errors(R"({"required":"a"})"),
            Lines{"$.required: required must be an array of property names"});
  EXPECT_EQ(compile_errors(R"({"minLength":-1})"),
            Lines{"$.minLength: minLength must be a non-negative integer"});
  EXPECT_EQ(compile_errors(R"({"maxItems":1.5})"),
            Lines{"$.maxItems: maxItems must be a non-negative integer"});
  EXPECT_EQ(compile_errors(R"({"minimum":"0"})"), Lines{"$.minimum: minimum must be a number"});
  EXPECT_EQ(compile_errors(R"({"enum":"a"})"), Lines{"$.enum: enum must be an array"});
  EXPECT_EQ(compile_errors(R"({"oneOf":[]})"),
            Lines{"$.oneOf: oneOf must be a non-empty array of schemas"});
  EXPECT_EQ(compile_errors(R"({"items":[{"type":"string"}]})"),
            Lines{"$.items: items must be a single schema (the array form is not supported)"});
  EXPECT_EQ(compile_errors(R"({"additionalProperties":"no"})"),
            Lines{"$.additionalProperties: schema must be an object or a boolean"});
  EXPECT_EQ(compile_errors(R"({"uniqueItems":"yes"})"),
            Lines{"$.uniqueItems: uniqueItems must be a boolean"});
  EXPECT_EQ(compile_errors(R"({"format":1})"), Lines{"$.format: format must be a string"});
  EXPECT_EQ(compile_errors(R"({"not":[]})"), Lines{"$.not: schema must be an object or a boolean"});
}

TEST(SchemaValidatorCompile, BadPatternsAreCompileErrors) {
  const auto invalid = compile_errors(R"({"properties":{"p":{"pattern":"(unclosed"}}})");
  ASSERT_EQ(invalid.size(), 1U);
  EXPECT_TRUE(
      invalid[0].starts_with("$.properties.p.pattern: pattern \"(unclosed\" is not a "
                             "supported regular expression"))
      << invalid[0];
  EXPECT_EQ(compile_errors(R"({"pattern":"(a)\\1"})").size(), 1U);  // back-reference
  EXPECT_EQ(compile_errors(R"({"pattern":7})"), Lines{"$.pattern: pattern must be a string"});
}

TEST(SchemaValidatorCompile, ReportsEveryProblemAtOnce) {
  EXPECT_EQ(compile_errors(R"({"type":"strin","properties":{"a":3,"b":{"minimum":null}}})"),
            (Lines{"$.type: unknown type \"strin\" (expected null, boolean, object, array, "
                   "number, integer or string)",
                   "$.properties.a: schema must be an object or a boolean",
                   "$.properties.b.minimum: minimum must be a number"}));
}

TEST(SchemaValidatorCompile, SchemaNestedBeyondTheParserLimitIsRejected) {
  // Only a schema built in code can be this deep; it is refused, not compiled (compiling is
  // iterative, so the depth never threatens the stack, but it would cost memory).
  Value schema = Value::object();
  for (int i = 0; i < 20000; ++i) {
    Value outer = Value::object();
    outer["not"] = std::move(schema);
    schema = std::move(outer);
  }
  const auto compiled = SchemaValidator::compile(schema);
  ASSERT_FALSE(compiled.has_value());
  ASSERT_EQ(compiled.error().size(), 1U);
  EXPECT_EQ(compiled.error()[0].message(), "schema nesting exceeds 256 levels");
}

TEST(SchemaValidatorCompile, DeepestParsableSchemaCompilesAndValidationIsCapped) {
  // 255 nested "not"s (each one JSON level) is within the parser's limit.
  std::string text;
  for (int i = 0; i < 255; ++i)
    text += "{\"not\":";
  text += "{}";
  text += std::string(255, '}');
  const auto v = compile_ok(text);
  // An odd number of "not"s around {} rejects everything.
  EXPECT_EQ(violations(v, "1"), Lines{"$: must not match the schema in not"});
}

// ---- lifetime and threads ----------------------------------------------------------------

TEST(SchemaValidatorLifetime, CompiledFormOutlivesTheSchemaDocument) {
  std::optional<SchemaValidator> validator;
  {
    Value schema = json(R"({"properties":{"a":{"enum":["x"],"pattern":"^x$"}},"required":["a"]})");
    auto compiled = SchemaValidator::compile(schema);
    ASSERT_TRUE(compiled.has_value());
    validator.emplace(std::move(*compiled));
    schema = Value();  // the document is gone; validation must not need it
  }
  expect_valid(*validator, R"({"a":"x"})");
  EXPECT_EQ(violations(*validator, R"({"a":"y"})"),
            (Lines{R"($.a: must be one of ["x"])", R"($.a: string does not match pattern "^x$")"}));
}

TEST(SchemaValidatorLifetime, CopiesAndMovedFromValidatorsKeepWorking) {
  auto original = compile_ok(R"({"type":"string"})");
  SchemaValidator copy = original;
  SchemaValidator moved = std::move(original);
  EXPECT_EQ(violations(copy, "1"), Lines{"$: expected string"});
  EXPECT_EQ(violations(moved, "1"), Lines{"$: expected string"});
  EXPECT_EQ(violations(original, "1"),
            Lines{"$: expected string"});  // NOLINT(bugprone-use-after-move)
}

TEST(SchemaValidatorThreads, EightThreadsValidatingConcurrentlySeeIdenticalResults) {
  const auto v = compile_ok(R"({
    "type":"object","required":["id","items"],
    "properties":{"id":{"type":"string","pattern":"^[a-z]+:[a-z]+-[0-9]+$","format":"uri"},
                  "items":{"type":"array","uniqueItems":true,
                           "items":{"oneOf":[{"type":"integer"},{"$ref":"#/definitions/n"}]}}},
    "definitions":{"n":{"type":"number","exclusiveMaximum":0}}})");
  const Value good = json(R"({"id":"urn:a-1","items":[1,-2.5,3]})");
  const Value bad = json(R"({"id":"x","items":[1,1.0,-2,"s"]})");
  const ValidationErrors expected_bad = v.validate(bad);
  ASSERT_EQ(v.validate(good), ValidationErrors{});
  ASSERT_GE(expected_bad.size(), 3U);

  constexpr int kThreads = 8;
  constexpr int kRounds = 200;
  std::latch start(kThreads);
  std::vector<int> mismatches(kThreads, 0);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < kRounds; ++i) {
          if (!v.validate(good).empty() || v.validate(bad) != expected_bad || !v.is_valid(good)) {
            ++mismatches[static_cast<std::size_t>(t)];
          }
        }
      });
    }
  }
  EXPECT_EQ(mismatches, std::vector<int>(kThreads, 0));
}

}  // namespace
}  // namespace traverse
