// Governing spec: 001-artifact-formats
//
// canonical_dump / pretty_dump: the exact bytes docs/formats.md "Canonical JSON" pins.
#include "traverse/json/value.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "traverse/json/parse.hpp"

namespace traverse {
namespace {

std::string canonical_of_text(std::string_view text) {
  auto parsed = parse_json(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed ? canonical_dump(*parsed) : std::string();
}

TEST(CanonicalDump, FloatsUseTheReferenceLayout) {
  const std::pair<double, const char*> cases[] = {
      {1.0, "1.0"},
      {100.0, "100.0"},
      {3e10, "30000000000.0"},
      {1e15, "1000000000000000.0"},
      {1e16, "1e16"},
      {1.2345678901234568e17, "1.2345678901234568e17"},
      {1e21, "1e21"},
      {1.5e300, "1.5e300"},
      {1e-5, "0.00001"},
      {1e-7, "1e-7"},
      {0.0001, "0.0001"},
      {5e-324, "5e-324"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {0.1, "0.1"},
      {-2.5, "-2.5"},
      {123.456, "123.456"},
      {1.5e-5, "0.000015"},
      {1.5e-6, "1.5e-6"},
      {1.5e-7, "1.5e-7"},
      {1234567890123456.7, "1234567890123456.8"},
      {-1e16, "-1e16"},
      {1.7976931348623157e308, "1.7976931348623157e308"},
      {0.30000000000000004, "0.30000000000000004"},
  };
  for (const auto& [value, expected] : cases) {
    EXPECT_EQ(canonical_dump(Value(value)), expected) << "value " << value;
  }
}

TEST(CanonicalDump, ParsedFloatsKeepTheirFloatIdentity) {
  EXPECT_EQ(canonical_of_text("1.0"), "1.0");
  EXPECT_EQ(canonical_of_text("1e15"), "1000000000000000.0");
  EXPECT_EQ(canonical_of_text("1E+21"), "1e21");
  EXPECT_EQ(canonical_of_text("0.000010"), "0.00001");
  EXPECT_EQ(canonical_of_text("[1, 1.0, -0.0]"), "[1,1.0,-0.0]");
}

TEST(CanonicalDump, NonFiniteFloatsBecomeNull) {
  EXPECT_EQ(canonical_dump(Value(std::numeric_limits<double>::quiet_NaN())), "null");
  EXPECT_EQ(canonical_dump(Value(std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(canonical_dump(Value(-std::numeric_limits<double>::infinity())), "null");
}

TEST(CanonicalDump, IntegersAreDigitsWithoutFraction) {
  EXPECT_EQ(canonical_dump(Value(0)), "0");
  EXPECT_EQ(canonical_dump(Value(-1)), "-1");
  EXPECT_EQ(canonical_dump(Value(std::numeric_limits<std::int64_t>::min())),
            "-9223372036854775808");
  EXPECT_EQ(canonical_dump(Value(std::numeric_limits<std::int64_t>::max())), "9223372036854775807");
  EXPECT_EQ(canonical_dump(Value(std::uint64_t{1} << 63U)), "9223372036854775808");
  EXPECT_EQ(canonical_dump(Value(std::numeric_limits<std::uint64_t>::max())),
            "18446744073709551615");
  EXPECT_EQ(canonical_of_text("[-9223372036854775808,18446744073709551615,9223372036854775808]"),
            "[-9223372036854775808,18446744073709551615,9223372036854775808]");
}

TEST(CanonicalDump, NestedObjectsAreCompactWithKeysInByteOrder) {
  const auto text = R"({"b": {"z": 1, "a": [1, 2, {"y": null, "x": true}]}, "a": "s",
                        "B": false, "\u00e9": 0, "aa": [], "": {}})";
  EXPECT_EQ(canonical_of_text(text),
            R"({"":{},"B":false,"a":"s","aa":[],"b":{"a":[1,2,{"x":true,"y":null}],"z":1},)"
            "\"\xC3\xA9\":0}");
}

TEST(CanonicalDump, ScalarsAndEmptyContainers) {
  EXPECT_EQ(canonical_dump(Value()), "null");
  EXPECT_EQ(canonical_dump(Value(true)), "true");
  EXPECT_EQ(canonical_dump(Value(false)), "false");
  EXPECT_EQ(canonical_dump(Value::object()), "{}");
  EXPECT_EQ(canonical_dump(Value::array()), "[]");
  EXPECT_EQ(canonical_dump(Value("")), "\"\"");
}

TEST(CanonicalDump, StringsEscapeOnlyQuoteBackslashAndControls) {
  EXPECT_EQ(canonical_dump(Value("a\"b\\c/d")), R"("a\"b\\c/d")");
  EXPECT_EQ(canonical_dump(Value("\n\t\r\b\f")), R"("\n\t\r\b\f")");
  EXPECT_EQ(canonical_dump(Value(std::string("\x00\x01\x1f\x0b", 4))),
            R"("\u0000\u0001\u001f\u000b")");
  EXPECT_EQ(canonical_dump(Value("\x7f")), "\"\x7f\"");  // DEL is not a JSON control character
}

TEST(CanonicalDump, NonAsciiStaysUtf8) {
  EXPECT_EQ(canonical_dump(Value("caf\xC3\xA9")), "\"caf\xC3\xA9\"");
  EXPECT_EQ(canonical_dump(Value("\xF0\x9F\x9A\x80 go")), "\"\xF0\x9F\x9A\x80 go\"");  // U+1F680
  EXPECT_EQ(canonical_dump(Value("\xE2\x82\xAC")), "\"\xE2\x82\xAC\"");                // U+20AC
  // \u escapes in the source text are decoded and re-emitted as raw UTF-8.
  EXPECT_EQ(canonical_of_text(R"("\u00e9\ud83d\ude80\u0041\u001F")"),
            "\"\xC3\xA9\xF0\x9F\x9A\x80"
            "A\\u001f\"");
}

TEST(CanonicalDump, InvalidUtf8InBuiltValuesBecomesReplacementCharacter) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(canonical_dump(Value("a\xFF"
                                 "b")),
            "\"a" + fffd + "b\"");
  EXPECT_EQ(canonical_dump(Value("\xC3")), "\"" + fffd + "\"");             // truncated
  EXPECT_EQ(canonical_dump(Value("\xC0\xAF")), "\"" + fffd + fffd + "\"");  // overlong '/'
  EXPECT_EQ(canonical_dump(Value("\xED\xA0\x80")), "\"" + fffd + fffd + fffd + "\"");  // surrogate
  EXPECT_EQ(canonical_dump(Value("\xF4\x90\x80\x80")),
            "\"" + fffd + fffd + fffd + fffd + "\"");  // above U+10FFFF
  Value keyed = Value::object();
  keyed["k\x80"] = 1;
  EXPECT_EQ(canonical_dump(keyed), "{\"k" + fffd + "\":1}");
}

TEST(PrettyDump, TwoSpaceIndentAndColonSpace) {
  auto parsed = parse_json(R"({"b":[1,2.0,{}],"a":{"x":"y","e":[]},"c":null})");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(pretty_dump(*parsed),
            "{\n"
            "  \"a\": {\n"
            "    \"e\": [],\n"
            "    \"x\": \"y\"\n"
            "  },\n"
            "  \"b\": [\n"
            "    1,\n"
            "    2.0,\n"
            "    {}\n"
            "  ],\n"
            "  \"c\": null\n"
            "}");
}

TEST(PrettyDump, ScalarsAndEmptyContainersStayOnOneLine) {
  EXPECT_EQ(pretty_dump(Value::object()), "{}");
  EXPECT_EQ(pretty_dump(Value::array()), "[]");
  EXPECT_EQ(pretty_dump(Value(1e21)), "1e21");
  EXPECT_EQ(pretty_dump(Value("\n")), R"("\n")");
}

TEST(CanonicalDump, VeryDeepBuiltValueDoesNotExhaustTheStack) {
  constexpr int kDepth = 100000;
  Value value = Value::array();
  for (int i = 0; i < kDepth; ++i) {
    Value outer = Value::array();
    outer.push_back(std::move(value));
    value = std::move(outer);
  }
  const std::string compact = canonical_dump(value);
  EXPECT_EQ(compact.size(), 2U * (kDepth + 1));
  EXPECT_EQ(compact.substr(0, 3), "[[[");
  EXPECT_EQ(compact.substr(compact.size() - 3), "]]]");
}

TEST(PrettyDump, DeepBuiltValueDoesNotExhaustTheStack) {
  constexpr std::size_t kDepth = 2000;  // pretty output grows quadratically with depth
  Value value = Value::array();
  for (std::size_t i = 0; i < kDepth; ++i) {
    Value outer = Value::array();
    outer.push_back(std::move(value));
    value = std::move(outer);
  }
  const std::string pretty = pretty_dump(value);
  EXPECT_EQ(pretty.substr(0, 6), "[\n  [\n");
  EXPECT_TRUE(pretty.ends_with("\n    ]\n  ]\n]"));
  EXPECT_NE(pretty.find("[]"), std::string::npos);
}

}  // namespace
}  // namespace traverse
