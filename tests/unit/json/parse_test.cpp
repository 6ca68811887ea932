// Governing spec: 001-artifact-formats
//
// parse_json / parse_json_file / read_file: strict parsing that never throws, reports positions,
// and refuses documents nested deeper than kMaxJsonDepth.
#include "traverse/json/parse.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

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
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::Syntax) << text;
  EXPECT_EQ(parsed.error().line, line) << text << " -> " << parsed.error().message;
  EXPECT_EQ(parsed.error().column, column) << text << " -> " << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("line " + std::to_string(line) + ", column " +
                                        std::to_string(column)),
            std::string::npos)
      << parsed.error().message;
}

TEST(ParseJson, ParsesADocumentWithSurroundingWhitespace) {
  const auto parsed = parse_json(" \n\t{\"a\": [1, 2.5, \"x\", true, null]}\r\n ");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
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
  EXPECT_EQ(top.error().kind, JsonParseError::Kind::DuplicateKey);
  EXPECT_EQ(top.error().path, "$.kind");
  EXPECT_NE(top.error().message.find("duplicate key \"kind\" at $.kind"), std::string::npos)
      << top.error().message;

  const auto nested = parse_json(R"({"a": {"steps": [{}, {"id": 1, "x": 2, "id": 3}]}})");
  ASSERT_FALSE(nested.has_value());
  EXPECT_EQ(nested.error().kind, JsonParseError::Kind::DuplicateKey);
  EXPECT_EQ(nested.error().path, "$.a.steps[1].id");
}

TEST(ParseJson, SameKeyInDifferentObjectsIsNotADuplicate) {
  const auto parsed = parse_json(R"({"a": {"k": 1}, "b": {"k": 2}, "list": [{"k": 3}, {"k": 4}]})");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
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
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::Syntax);
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
  EXPECT_TRUE(parsed.error().message.starts_with(
      "syntax error at line 1, column 5: invalid literal; last read: "))
      << parsed.error().message;
}

TEST(ParseJson, MessageQuotingInvalidUtf8StaysValidUtf8) {
  const auto parsed = parse_json("\"caf\xC3\xA9 \xFF\"");
  ASSERT_FALSE(parsed.has_value());
  const std::string& message = parsed.error().message;
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
  EXPECT_EQ(bad_utf8.error().kind, JsonParseError::Kind::Syntax);
  EXPECT_EQ(bad_utf8.error().column, 3U);

  const auto overflow = parse_json("[1e400]");
  ASSERT_FALSE(overflow.has_value());
  EXPECT_EQ(overflow.error().kind, JsonParseError::Kind::Syntax);
  EXPECT_NE(overflow.error().message.find("number overflow"), std::string::npos)
      << overflow.error().message;
}

TEST(ParseJson, MessagesStayShortForHugeTokens) {
  const std::string text = "\"" + std::string(1'000'000, 'x');  // unterminated 1 MB string
  const auto parsed = parse_json(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_LT(parsed.error().message.size(), 400U);
  EXPECT_EQ(parsed.error().column, text.size() + 1);
}

TEST(ParseJson, AcceptsNestingUpToTheLimit) {
  const std::string text = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  const auto parsed = parse_json(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(canonical_dump(*parsed), text);
}

TEST(ParseJson, RejectsNestingOneBeyondTheLimitAtTheOffendingBracket) {
  const std::string text =
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  const auto parsed = parse_json(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::TooDeep);
  EXPECT_EQ(parsed.error().line, 1U);
  EXPECT_EQ(parsed.error().column, kMaxJsonDepth + 1);
}

TEST(ParseJson, ThreeHundredNestedArraysAreTooDeep) {
  const std::string text = std::string(300, '[') + std::string(300, ']');
  const auto parsed = parse_json(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::TooDeep);
  EXPECT_NE(parsed.error().message.find("256"), std::string::npos) << parsed.error().message;
}

TEST(ParseJson, MillionOpenBracketsFailWithoutCrashing) {
  const auto parsed = parse_json(std::string(1'000'000, '['));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::TooDeep);
}

TEST(ParseJson, DepthCountsObjectsAndSkipsBracketsInsideStrings) {
  std::string text;
  for (std::size_t i = 0; i < kMaxJsonDepth; ++i)
    text += "{\"[{\":";
  text += "[]";
  text += std::string(kMaxJsonDepth, '}');
  const auto parsed = parse_json(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::TooDeep);
  // The offending '[' sits right after the last "{\"[{\":" group.
  EXPECT_EQ(parsed.error().column, kMaxJsonDepth * 6 + 1);
}

TEST(ParseJson, HandlesATenMegabyteString) {
  const std::string payload(10 * 1024 * 1024, 'a');
  const auto parsed = parse_json("{\"big\":\"" + payload + "\"}");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ((*parsed)["big"].get_ref<const std::string&>().size(), payload.size());
}

TEST(ParseJsonFile, ParsesAFileFromDisk) {
  const auto path = scratch_dir() / "doc.json";
  std::ofstream(path) << "{\"k\": [1.0]}\n";
  const auto parsed = parse_json_file(path);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(canonical_dump(*parsed), R"({"k":[1.0]})");
}

TEST(ParseJsonFile, MissingFileIsAnIoError) {
  const auto parsed = parse_json_file(scratch_dir() / "absent.json");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::Io);
  EXPECT_EQ(parsed.error().message, "No such file or directory");
  EXPECT_EQ(parsed.error().line, 0U);
}

TEST(ParseJsonFile, DirectoryIsAnIoError) {
  const auto parsed = parse_json_file(scratch_dir());
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::Io);
  EXPECT_EQ(parsed.error().message, "Is a directory");
}

TEST(ParseJsonFile, MalformedFileReportsPosition) {
  const auto path = scratch_dir() / "bad.json";
  std::ofstream(path) << "{\n  \"a\": tru\n}\n";
  const auto parsed = parse_json_file(path);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::Syntax);
  EXPECT_EQ(parsed.error().line, 2U);
}

// Defect 6 (issue 15): `contract validate /dev/zero` grew ~1 GB/s. A device is refused from its
// type alone, before any read.
TEST(ParseJsonFile, InputSizeDefectRefusesADeviceWithoutReadingIt) {
  const auto parsed = parse_json_file("/dev/zero");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::Io);
  EXPECT_EQ(parsed.error().message, "not a regular file (character device)");
}

TEST(ParseJsonFile, InputSizeDefectRefusesAFifoWithoutBlocking) {
  const auto fifo = scratch_dir() / "pipe.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto parsed = parse_json_file(fifo);  // would block in open() if it were opened
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().message, "not a regular file (FIFO)");
}

TEST(ParseJsonFile, InputSizeDefectRefusesAFileLargerThanTheLimitNamingIt) {
  const auto path = scratch_dir() / "big.json";
  std::ofstream(path) << "[" << std::string(100, ' ') << "]";
  const auto parsed = parse_json_file(path, 64);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::TooLarge);
  EXPECT_EQ(parsed.error().message, "file is 102 bytes, larger than the limit of 64 bytes");
  EXPECT_TRUE(parse_json_file(path, 102).has_value());
}

TEST(ParseJsonFile, InputSizeDefectLimitIsCheckedBeforeReadingASparseFile) {
  // 1 TiB apparent size, no blocks: refused from stat, nothing is read.
  const auto path = scratch_dir() / "sparse.json";
  std::ofstream(path).close();
  std::filesystem::resize_file(path, std::uintmax_t{1} << 40);
  const auto parsed = parse_json_file(path);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, JsonParseError::Kind::TooLarge);
  EXPECT_NE(parsed.error().message.find(std::to_string(kDefaultMaxDocumentBytes)),
            std::string::npos)
      << parsed.error().message;
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
  ASSERT_TRUE(read.has_value()) << read.error();
  EXPECT_EQ(*read, bytes);
}

}  // namespace
}  // namespace traverse
