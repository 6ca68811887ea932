// Governing spec: 001-artifact-formats
//
// parse_json / parse_json_file / read_file: strict parsing that never throws, reports positions,
// and refuses documents nested deeper than kMaxJsonDepth.
#include "traverse/json/parse.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "traverse/json/dom_memory.hpp"
#include "traverse/json/value.hpp"

namespace traverse {
namespace {

std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::path(TRAVERSE_BINARY_DIR) / "test-tmp" / "json" /
             (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void expect_syntax_error(std::string_view text, std::size_t line, std::size_t column) {
  const auto parsed = parse_json(text);
  ASSERT_FALSE(parsed.has_value()) << text;
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::Syntax) << text;
  EXPECT_EQ(parsed.error().line(), line) << text << " -> " << parsed.error().message();
  EXPECT_EQ(parsed.error().column(), column) << text << " -> " << parsed.error().message();
  EXPECT_NE(parsed.error().message().find("line " + std::to_string(line) + ", column " +
                                          std::to_string(column)),
            std::string::npos)
      << parsed.error().message();
}

TEST(ParseJson, ParsesADocumentWithSurroundingWhitespace) {
  const auto parsed = parse_json(" \n\t{\"a\": [1, 2.5, \"x\", true, null]}\r\n ");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(canonical_dump(*parsed), R"({"a":[1,2.5,"x",true,null]})");
}

TEST(ParseJson, KeepsIntegerAndFloatIdentity) {
  const auto parsed = parse_json("[1, 1.0, -3, 2e0]");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE((*parsed)[0].is_number_unsigned());
  EXPECT_TRUE((*parsed)[1].is_number_float());
  EXPECT_TRUE((*parsed)[2].is_number_integer());
  EXPECT_TRUE((*parsed)[3].is_number_float());
}

TEST(ParseJson, IntegersBeyondUint64BecomeFloats) {
  // nlohmann (like the reference's serde_json) falls back to a double when an integer literal
  // does not fit int64/uint64.
  auto parsed = parse_json("18446744073709551616");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->is_number_float());
  EXPECT_EQ(canonical_dump(*parsed), "1.8446744073709552e19");

  parsed = parse_json("-9223372036854775809");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->is_number_float());
  EXPECT_EQ(canonical_dump(*parsed), "-9.223372036854776e18");

  parsed = parse_json("18446744073709551615");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->is_number_unsigned());
}

TEST(ParseJson, NegativeZeroLiteralIsTheFloatNegativeZero) {
  const auto parsed = parse_json("[-0, 0, -0.0]");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(canonical_dump(*parsed), "[-0.0,0,-0.0]");
}

// Defect 7 (issue 15): duplicate keys were accepted silently, the last one winning, so a second
// `kind` changed the artifact type.
TEST(ParseJson, DuplicateKeyDefectRejectsTheSecondOccurrenceWithItsPath) {
  const auto top = parse_json(R"({"kind": "workflow_definition", "kind": "runtime_request"})");
  ASSERT_FALSE(top.has_value());
  EXPECT_EQ(top.error().kind(), JsonParseError::Kind::DuplicateKey);
  EXPECT_EQ(top.error().path(), "$.kind");
  EXPECT_NE(top.error().message().find("duplicate key \"kind\" at $.kind"), std::string::npos)
      << top.error().message();

  const auto nested = parse_json(R"({"a": {"steps": [{}, {"id": 1, "x": 2, "id": 3}]}})");
  ASSERT_FALSE(nested.has_value());
  EXPECT_EQ(nested.error().kind(), JsonParseError::Kind::DuplicateKey);
  EXPECT_EQ(nested.error().path(), "$.a.steps[1].id");
}

TEST(ParseJson, SameKeyInDifferentObjectsIsNotADuplicate) {
  const auto parsed = parse_json(R"({"a": {"k": 1}, "b": {"k": 2}, "list": [{"k": 3}, {"k": 4}]})");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ((*parsed)["list"][1]["k"], 4);
}

TEST(ParseJson, LeadingByteOrderMarkIsSkippedButNotElsewhere) {
  const auto with_bom = parse_json("\xEF\xBB\xBF{\"a\":1}");
  ASSERT_TRUE(with_bom.has_value());
  EXPECT_EQ(canonical_dump(*with_bom), R"({"a":1})");
  EXPECT_FALSE(parse_json("{\"a\":1}\xEF\xBB\xBF").has_value());
}

TEST(ParseJson, LoneSurrogateEscapeIsASyntaxError) {
  const auto parsed = parse_json(R"("\ud800")");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::Syntax);
}

TEST(ParseJson, SyntaxErrorsReportLineAndColumn) {
  expect_syntax_error("tru", 1, 4);  // the end of input
  expect_syntax_error("[1,2,,]", 1, 6);
  expect_syntax_error("{\n  \"a\": 1,\n  }", 3, 3);
  expect_syntax_error("{\"a\" 1}", 1, 6);
  expect_syntax_error("[1,\n  2,\n  }", 3, 3);
  expect_syntax_error("\"unterminated", 1, 14);
  expect_syntax_error("\"a\nb\"", 1, 3);  // raw newline inside a string
  expect_syntax_error("// comment\n1", 1, 1);
  expect_syntax_error("[01]", 1, 3);
  expect_syntax_error("NaN", 1, 1);
}

TEST(ParseJson, SyntaxMessageNamesPositionAndProblem) {
  const auto parsed = parse_json("[tru]");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_TRUE(parsed.error().message().starts_with(
      "syntax error at line 1, column 5: invalid literal; last read: "))
      << parsed.error().message();
}

TEST(ParseJson, MessageQuotingInvalidUtf8StaysValidUtf8) {
  const auto parsed = parse_json("\"caf\xC3\xA9 \xFF\"");
  ASSERT_FALSE(parsed.has_value());
  const std::string& message = parsed.error().message();
  EXPECT_EQ(message.find('\xFF'), std::string::npos) << message;
  EXPECT_NE(message.find("caf\xC3\xA9 ?"), std::string::npos) << message;
}

TEST(ParseJson, EmptyInputIsASyntaxError) {
  expect_syntax_error("", 1, 1);
  expect_syntax_error("  \n ", 2, 2);
}

TEST(ParseJson, RejectsTrailingGarbage) {
  expect_syntax_error("{} x", 1, 4);
  expect_syntax_error("1 2", 1, 3);
  expect_syntax_error("[1]]", 1, 4);
  expect_syntax_error("{\"a\":1}\n x", 2, 2);
  const auto parsed = parse_json("{}\n");
  EXPECT_TRUE(parsed.has_value());
}

TEST(ParseJson, RejectsInvalidUtf8AndOverflowingNumbers) {
  const auto bad_utf8 = parse_json("\"a\xFF\"");
  ASSERT_FALSE(bad_utf8.has_value());
  EXPECT_EQ(bad_utf8.error().kind(), JsonParseError::Kind::Syntax);
  EXPECT_EQ(bad_utf8.error().column(), 3U);

  const auto overflow = parse_json("[1e400]");
  ASSERT_FALSE(overflow.has_value());
  EXPECT_EQ(overflow.error().kind(), JsonParseError::Kind::Syntax);
  EXPECT_NE(overflow.error().message().find("number overflow"), std::string::npos)
      << overflow.error().message();
}

TEST(ParseJson, MessagesStayShortForHugeTokens) {
  const std::string text = "\"" + std::string(1'000'000, 'x');  // unterminated 1 MB string
  const auto parsed = parse_json(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_LT(parsed.error().message().size(), 400U);
  EXPECT_EQ(parsed.error().column(), text.size() + 1);
}

TEST(ParseJson, AcceptsNestingUpToTheLimit) {
  const std::string text = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  const auto parsed = parse_json(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(canonical_dump(*parsed), text);
}

TEST(ParseJson, RejectsNestingOneBeyondTheLimitAtTheOffendingBracket) {
  const std::string text =
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  const auto parsed = parse_json(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::TooDeep);
  EXPECT_EQ(parsed.error().line(), 1U);
  EXPECT_EQ(parsed.error().column(), kMaxJsonDepth + 1);
}

TEST(ParseJson, ThreeHundredNestedArraysAreTooDeep) {
  const std::string text = std::string(300, '[') + std::string(300, ']');
  const auto parsed = parse_json(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::TooDeep);
  EXPECT_NE(parsed.error().message().find("256"), std::string::npos) << parsed.error().message();
}

TEST(ParseJson, MillionOpenBracketsFailWithoutCrashing) {
  const auto parsed = parse_json(std::string(1'000'000, '['));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::TooDeep);
}

TEST(ParseJson, DepthCountsObjectsAndSkipsBracketsInsideStrings) {
  std::string text;
  for (std::size_t i = 0; i < kMaxJsonDepth; ++i)
    text += "{\"[{\":";
  text += "[]";
  text += std::string(kMaxJsonDepth, '}');
  const auto parsed = parse_json(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::TooDeep);
  // The offending '[' sits right after the last "{\"[{\":" group.
  EXPECT_EQ(parsed.error().column(), kMaxJsonDepth * 6 + 1);
}

TEST(ParseJson, HandlesATenMegabyteString) {
  const std::string payload(10 * 1024 * 1024, 'a');
  const auto parsed = parse_json("{\"big\":\"" + payload + "\"}");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ((*parsed)["big"].get_ref<const std::string&>().size(), payload.size());
}

// ---- The fast path against the full parser ----
//
// parse_json reads most texts with its own fast parser and hands everything else to the full
// (nlohmann) parser, which also skips a leading UTF-8 byte order mark; the fast parser hands a
// text that starts with one over. So the same text behind a byte order mark is the reference:
// the two must accept exactly the same texts, build values equal in type (unsigned, signed,
// float, -0.0) as well as in content, and refuse the others for the same reason.

bool same_value(const Value& a, const Value& b) {
  if (a.type() != b.type()) {
    return false;
  }
  switch (a.type()) {
    case Value::value_t::object: {
      if (a.size() != b.size()) {
        return false;
      }
      for (auto ai = a.begin(), bi = b.begin(); ai != a.end(); ++ai, ++bi) {
        if (ai.key() != bi.key() || !same_value(*ai, *bi)) {
          return false;
        }
      }
      return true;
    }
    case Value::value_t::array: {
      if (a.size() != b.size()) {
        return false;
      }
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same_value(a[i], b[i])) {
          return false;
        }
      }
      return true;
    }
    case Value::value_t::number_float: {
      const double x = a.get<double>();
      const double y = b.get<double>();
      return x == y && std::signbit(x) == std::signbit(y);
    }
    default:
      return a == b;
  }
}

void expect_same_as_full_parser(const std::string& text) {
  if (text.starts_with("\xef\xbb\xbf")) {
    return;  // already the full parser's, and a second mark is not skipped
  }
  const auto fast = parse_json(text);
  const auto full = parse_json("\xef\xbb\xbf" + text);
  ASSERT_EQ(fast.has_value(), full.has_value())
      << "text: " << text << "\nfast: " << (fast ? fast->dump() : fast.error().to_string())
      << "\nfull: " << (full ? full->dump() : full.error().to_string());
  if (fast) {
    EXPECT_TRUE(same_value(*fast, *full))
        << text << "\nfast: " << fast->dump() << "\nfull: " << full->dump();
  } else {
    EXPECT_EQ(fast.error().kind(), full.error().kind()) << text;
    EXPECT_EQ(fast.error().line(), full.error().line()) << text;
  }
}

TEST(ParseJsonFastPath, AcceptsAndBuildsExactlyWhatTheFullParserDoesOnEdgeCases) {
  const char* const cases[] = {
      "0",
      "-0",
      "-0.0",
      "0.0",
      "1",
      "-1",
      "123456789012345678",
      "-123456789012345678",
      "1234567890123456789",
      "18446744073709551615",
      "18446744073709551616",
      "-9223372036854775808",
      "-9223372036854775809",
      "1e2",
      "1E2",
      "1e+2",
      "1e-2",
      "-1.5e-3",
      "1.7976931348623157e308",
      "1e309",
      "-1e309",
      "4.9e-324",
      "2e-324",
      "1e-400",
      "0.1",
      "3.141592653589793",
      "01",
      "-",
      "1.",
      ".5",
      "1e",
      "1e+",
      "+1",
      "--1",
      "0x10",
      "1.0e",
      "true",
      "false",
      "null",
      "tru",
      "nul",
      "True",
      "truex",
      "\"\"",
      "\"a\\\"b\"",
      "\"\\\\ \\/ \\b \\f \\n \\r \\t\"",
      "\"\\u0041\"",
      "\"\\ud83d\\ude00\"",
      "\"\\ud83d\"",
      "\"\\x\"",
      "\"tab\there\"",
      "\"new\nline\"",
      "\"\x7f\"",
      "\"caf\xc3\xa9\"",
      "\"\xe2\x82\xac\"",
      "\"\xf0\x9f\x98\x80\"",
      "\"\xc0\xaf\"",
      "\"\xc1\xbf\"",
      "\"\xe0\x80\xaf\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "\"\xf5\x80\x80\x80\"",
      "\"\xc3\"",
      "\"\xe2\x82\"",
      "\"\x80\"",
      "\"\xff\"",
      "\"unterminated",
      "\xef\xbb\xbf{}",
      "{} \xef\xbb\xbf",
      "",
      " ",
      "{}",
      "[]",
      " { } ",
      "[ ]",
      "{\"a\":1}",
      "{\"a\":1,}",
      "{\"a\" 1}",
      "{\"a\":}",
      "{a:1}",
      "{\"a\":1",
      "[1,]",
      "[,1]",
      "[1 2]",
      "[1,2",
      "{\"a\":1,\"a\":2}",
      "{\"b\":{\"a\":1},\"a\":{\"b\":2}}",
      "[[[[[]]]]]",
      "{\"k\":[1,-2,3.5,\"s\",true,false,null,{},[]]}",
      "1 2",
      "[] []",
      "{}x",
      "\t\r\n[\t1\r,\n2 ]\n",
      "[1]\x00",
      "\"a\x00b\"",
  };
  for (const char* text : cases) {
    expect_same_as_full_parser(text);
  }
  expect_same_as_full_parser(std::string("\"a\0b\"", 5));
  expect_same_as_full_parser(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']'));
  expect_same_as_full_parser(std::string(kMaxJsonDepth + 1, '[') +
                             std::string(kMaxJsonDepth + 1, ']'));
}

// Random documents, and random damage to them: the texts the fast parser takes whole and the
// ones it hands over both end as the full parser alone would end them.
TEST(ParseJsonFastPath, AgreesWithTheFullParserOnRandomAndDamagedDocuments) {
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&state](std::uint64_t bound) {
    state ^= state << 13U;
    state ^= state >> 7U;
    state ^= state << 17U;
    return state % bound;
  };
  const char* const atoms[] = {"0",
                               "-0",
                               "7",
                               "-42",
                               "3.25",
                               "-1e-3",
                               "6.02E23",
                               "true",
                               "false",
                               "null",
                               "\"\"",
                               "\"x\"",
                               "\"\\n\"",
                               "\"\xc3\xa9t\xc3\xa9\"",
                               "\"\\u00e9\"",
                               "99999999999999999999",
                               "\"a\\\\b\\\"c\"",
                               "1e400"};
  std::function<std::string(int)> document = [&](int depth) -> std::string {
    const std::uint64_t pick = depth > 4 ? 0 : next(4);
    if (pick <= 1) {
      return atoms[next(std::size(atoms))];
    }
    const char* const spaces[] = {"", " ", "\n", "\t "};
    std::string out(pick == 2 ? "[" : "{");
    const std::uint64_t count = next(4);
    for (std::uint64_t i = 0; i < count; ++i) {
      if (i > 0) {
        out += ",";
      }
      out += spaces[next(4)];
      if (pick == 3) {
        out += "\"k" + std::to_string(next(3)) + "\"" + spaces[next(4)] + ":";
      }
      out += spaces[next(4)] + document(depth + 1);
    }
    out += spaces[next(4)];
    out += pick == 2 ? "]" : "}";
    return out;
  };
  const char damage[] = {'"', '\\', ',', ':', '[', ']',    '{',    '}',
                         '0', '-',  '.', 'e', ' ', '\x01', '\xc3', '\xff'};
  for (int i = 0; i < 3000; ++i) {
    std::string text = document(0);
    expect_same_as_full_parser(text);
    if (!text.empty()) {
      const std::size_t at = next(text.size());
      switch (next(3)) {
        case 0:
          text[at] = damage[next(std::size(damage))];
          break;
        case 1:
          text.erase(at, 1);
          break;
        default:
          text.insert(at, 1, damage[next(std::size(damage))]);
      }
      expect_same_as_full_parser(text);
    }
  }
}

TEST(ParseJsonFile, ParsesAFileFromDisk) {
  const auto path = scratch_dir() / "doc.json";
  std::ofstream(path) << "{\"k\": [1.0]}\n";
  const auto parsed = parse_json_file(path);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(canonical_dump(*parsed), R"({"k":[1.0]})");
}

TEST(ParseJsonFile, MissingFileIsAnIoError) {
  const auto parsed = parse_json_file(scratch_dir() / "absent.json");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::Io);
  EXPECT_EQ(parsed.error().message(), "No such file or directory");
  EXPECT_EQ(parsed.error().line(), 0U);
}

TEST(ParseJsonFile, DirectoryIsAnIoError) {
  const auto parsed = parse_json_file(scratch_dir());
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::Io);
  EXPECT_EQ(parsed.error().message(), "Is a directory");
}

TEST(ParseJsonFile, MalformedFileReportsPosition) {
  const auto path = scratch_dir() / "bad.json";
  std::ofstream(path) << "{\n  \"a\": tru\n}\n";
  const auto parsed = parse_json_file(path);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::Syntax);
  EXPECT_EQ(parsed.error().line(), 2U);
}

// Defect 6 (issue 15): `contract validate /dev/zero` grew ~1 GB/s. A device is refused from its
// type alone, before any read.
TEST(ParseJsonFile, InputSizeDefectRefusesADeviceWithoutReadingIt) {
  const auto parsed = parse_json_file("/dev/zero");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::Io);
  EXPECT_EQ(parsed.error().message(), "not a regular file (character device)");
}

TEST(ParseJsonFile, InputSizeDefectRefusesAFifoWithoutBlocking) {
  const auto fifo = scratch_dir() / "pipe.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto parsed = parse_json_file(fifo);  // would block in open() if it were opened
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().message(), "not a regular file (FIFO)");
}

TEST(ParseJsonFile, InputSizeDefectRefusesAFileLargerThanTheLimitNamingIt) {
  const auto path = scratch_dir() / "big.json";
  std::ofstream(path) << "[" << std::string(100, ' ') << "]";
  const auto parsed = parse_json_file(path, 64);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::TooLarge);
  EXPECT_EQ(parsed.error().message(), "file is 102 bytes, larger than the limit of 64 bytes");
  EXPECT_TRUE(parse_json_file(path, 102).has_value());
}

TEST(ParseJsonFile, InputSizeDefectLimitIsCheckedBeforeReadingASparseFile) {
  // 1 TiB apparent size, no blocks: refused from stat, nothing is read.
  const auto path = scratch_dir() / "sparse.json";
  std::ofstream(path).close();
  std::filesystem::resize_file(path, std::uintmax_t{1} << 40);
  const auto parsed = parse_json_file(path);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::TooLarge);
  EXPECT_NE(parsed.error().message().find(std::to_string(kDefaultMaxDocumentBytes)),
            std::string::npos)
      << parsed.error().message();
}

TEST(MaxDocumentBytes, DefaultsTo64MiBAndReadsTheEnvironment) {
  ::unsetenv("TRAVERSE_MAX_DOCUMENT_BYTES");
  EXPECT_EQ(max_document_bytes(), std::uint64_t{64} << 20);
  ::setenv("TRAVERSE_MAX_DOCUMENT_BYTES", "1000", 1);
  EXPECT_EQ(max_document_bytes(), 1000U);
  ::setenv("TRAVERSE_MAX_DOCUMENT_BYTES", "256M", 1);
  EXPECT_EQ(max_document_bytes(), std::uint64_t{256} << 20);
  ::setenv("TRAVERSE_MAX_DOCUMENT_BYTES", "2G", 1);
  EXPECT_EQ(max_document_bytes(), std::uint64_t{2} << 30);
  for (const char* invalid : {"0", "-5", "12X", "lots", "99999999999999999999"}) {
    ::setenv("TRAVERSE_MAX_DOCUMENT_BYTES", invalid, 1);
    EXPECT_EQ(max_document_bytes(), kDefaultMaxDocumentBytes) << invalid;
  }
  ::unsetenv("TRAVERSE_MAX_DOCUMENT_BYTES");
}

TEST(ReadFile, ReturnsTheExactBytes) {
  const auto path = scratch_dir() / "bytes.bin";
  const std::string bytes("a\0b\xFF\n", 5);
  std::ofstream(path, std::ios::binary) << bytes;
  const auto read = read_file(path);
  ASSERT_TRUE(read.has_value()) << read.error().message();
  EXPECT_EQ(*read, bytes);
}

// ---- The parse memory budget (issue 15, defect 6: parse memory within a constant factor) ----

// `[item,item,...]` with `count` items.
std::string array_of(std::string_view item, std::size_t count) {
  std::string text = "[";
  for (std::size_t i = 0; i < count; ++i) {
    if (i != 0) {
      text += ',';
    }
    text += item;
  }
  text += ']';
  return text;
}

// The index in "$[N]" (or "$[N]..."), or npos.
std::size_t top_level_index(const std::string& path) {
  if (!path.starts_with("$[")) {
    return std::string::npos;
  }
  return static_cast<std::size_t>(std::stoull(path.substr(2)));
}

TEST(ParseDocument, DefaultBudgetIsTheFactorTimesTheTextPlusTheFloor) {
  EXPECT_EQ(kParseMemoryFactor, 16U);
  EXPECT_EQ(kParseMemoryFloor, std::uint64_t{16} << 20);
  EXPECT_EQ(parse_memory_budget(0), kParseMemoryFloor);
  EXPECT_EQ(parse_memory_budget(1000), 16000 + kParseMemoryFloor);
  EXPECT_EQ(parse_memory_budget(~std::uint64_t{0}), ~std::uint64_t{0});  // saturates
}

TEST(ParseDocument, PathologicalDocumentIsRefusedBeforeItsDomOutgrowsTheBudget) {
  // Each `{}` is 3 bytes of text but a 16-byte slot plus a 64-byte std::map in the Value.
  const std::string text = array_of("{}", 1'000'000);
  const std::uint64_t budget = parse_memory_budget(text.size());
  const auto parsed = parse_json(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::OverBudget);
  // It stopped at an element whose Value would have crossed the budget: every element before
  // it (64 bytes of map each, plus its slot, up to 3 slots at a buffer's growth peak) fitted, so
  // it stopped no earlier than budget / (64 + 3 * 16) and no later than budget / 64.
  const std::size_t reached = top_level_index(parsed.error().path());
  ASSERT_NE(reached, std::string::npos) << parsed.error().path();
  EXPECT_LE(reached * object_container_heap_bytes(), budget);
  EXPECT_GE(reached, budget / (object_container_heap_bytes() + 3 * sizeof(Value)));
  EXPECT_EQ(parsed.error().message(),
            "document too large to parse: at " + parsed.error().path() +
                " its parsed form would take more than the parse memory budget of " +
                std::to_string(budget) + " bytes (16 x the text's " + std::to_string(text.size()) +
                " bytes + 16777216)");
}

TEST(ParseDocument, EveryPathologicalShapeIsRefusedAndNoneHoldsMoreThanTheBudget) {
  // The same shapes with an explicit budget: whatever was built before the refusal fitted.
  for (const std::string_view item : {"{}", "[]", R"("")", R"({"":{}})", R"({"x":1,"y":2})"}) {
    const std::string text = array_of(item, 200'000);
    const std::uint64_t budget = 8 * text.size();
    const auto parsed = parse_json(text, budget);
    ASSERT_FALSE(parsed.has_value()) << item;
    EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::OverBudget) << item;
    const std::size_t reached = top_level_index(parsed.error().path());
    ASSERT_NE(reached, std::string::npos) << parsed.error().path();
    // The prefix that was accepted, parsed on its own, fits the budget.
    const std::string prefix = array_of(item, reached);
    const auto built = parse_json(prefix, ~std::uint64_t{0});
    ASSERT_TRUE(built.has_value()) << item;
    EXPECT_LE(dom_heap_bytes(*built), budget) << item;
  }
}

TEST(ParseDocument, RealisticLargeDocumentPassesWellWithinTheBudget) {
  // A 4 MB runtime request whose input is a team of members with names, notes and lists: mostly
  // strings, like real requests. Its Value takes ~5x the text; the budget allows 16x.
  std::string text = R"({"kind": "runtime_request", "schema_version": "1.0.0",
    "request_id": "expedition-plan-large",
    "intent": {"capability_id": "expedition.planning.plan-expedition"},
    "input": {"objective": "Summit Mont Blanc by the Gouter route", "team": [)";
  for (int i = 0; i < 20'000; ++i) {
    text += (i == 0 ? "" : ",\n");
    text += R"({"name": "Member )" + std::to_string(i) +
            R"(", "experience": "intermediate", "notes": "Prefers the early start; carries the )"
            R"(second rope and the stove.", "certifications": ["wilderness-first-aid", )"
            R"("glacier-travel"], "age": )" +
            std::to_string(20 + i % 40) + "}";
  }
  text += "]}}";
  ASSERT_GT(text.size(), 4'000'000U);
  const auto parsed = parse_json(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ((*parsed)["input"]["team"].size(), 20'000U);
  EXPECT_LT(dom_heap_bytes(*parsed), 8 * text.size());

  // The same document without whitespace (canonical form) passes too.
  const std::string compact = canonical_dump(*parsed);
  const auto again = parse_json(compact);
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_LT(dom_heap_bytes(*again), 8 * compact.size());
}

TEST(ParseDocument, BudgetIsCheckedAgainstTheExactHeapOfTheValue) {
  // No arrays: the Value never holds more than at the end, so its final heap is the exact
  // threshold.
  const std::string text =
      R"({"a": {"b": "a string longer than fifteen bytes", "c": null}, "a key longer than 15": 1})";
  // The heap of the Value the full parser builds (a budget below 64 times the text keeps the
  // fast parser out: its strings may have other capacities).
  const auto unlimited = parse_json(text, 40 * text.size());
  ASSERT_TRUE(unlimited.has_value());
  const std::uint64_t heap = dom_heap_bytes(*unlimited);
  EXPECT_TRUE(parse_json(text, heap).has_value());
  const auto refused = parse_json(text, heap - 1);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind(), JsonParseError::Kind::OverBudget);
}

TEST(ParseDocument, ArrayGrowthCountsTheOldAndTheNewBufferAtThePeak) {
  // [1,2,3]: the array object (32) and its buffer growing 1 -> 2 -> 4 slots (32, 48, 80 bytes of
  // heap). The third element needs the 2-slot and the 4-slot buffers at once: 32 + 48 + 80.
  ASSERT_EQ(array_container_heap_bytes(), 32U);
  ASSERT_EQ(array_buffer_heap_bytes(2), 48U);
  ASSERT_EQ(array_buffer_heap_bytes(4), 80U);
  EXPECT_TRUE(parse_json("[1,2,3]", 160).has_value());
  const auto refused = parse_json("[1,2,3]", 159);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().path(), "$[2]");
  // What it holds at the end is less than the peak.
  EXPECT_EQ(dom_heap_bytes(*parse_json("[1,2,3]", 160)), 32U + 80U);
}

TEST(ParseDocument, OverBudgetErrorNamesTheJsonPathReachedAndTheBudget) {
  const std::string text =
      R"({"items": [{"name": "first"}, {"name": "second"}, {"name": "a name longer than fifteen"}]})";
  const auto unlimited = parse_json(text, ~std::uint64_t{0});
  ASSERT_TRUE(unlimited.has_value());
  // Just short of what the last name's buffer needs.
  const auto refused = parse_json(text, dom_heap_bytes(*unlimited) - 1);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind(), JsonParseError::Kind::OverBudget);
  EXPECT_EQ(refused.error().path(), "$.items[2].name");
  EXPECT_NE(refused.error().message().find("at $.items[2].name"), std::string::npos);
  EXPECT_NE(refused.error().message().find(
                "budget of " + std::to_string(dom_heap_bytes(*unlimited) - 1) + " bytes"),
            std::string::npos)
      << refused.error().message();
}

TEST(ParseJsonFile, InputSizeDefectAFileWhoseValueOutgrowsTheBudgetIsRefusedAtItsPath) {
  const auto dir = scratch_dir();
  const auto path = dir / "empty-objects.json";
  std::ofstream(path) << array_of("{}", 1'000'000);
  const auto parsed = parse_json_file(path);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), JsonParseError::Kind::OverBudget);
  EXPECT_TRUE(parsed.error().path().starts_with("$[")) << parsed.error().path();
}

TEST(JsonParseError, ToStringNamesTheKindThenTheMessage) {
  const auto parsed = parse_json("{\"a\": 1, \"a\": 2}");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().to_string(), "DuplicateKey: " + parsed.error().message());
  EXPECT_EQ(parsed.error().path(), "$.a");
}

TEST(FileReadError, ToStringNamesTheKindThenTheMessage) {
  const auto read = read_file(scratch_dir() / "missing.json");
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().kind(), FileReadError::Kind::Io);
  EXPECT_EQ(read.error().to_string(), "Io: " + read.error().message());
}

}  // namespace
}  // namespace traverse
