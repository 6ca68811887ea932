// Governing spec: 040-cli
//
// Issue 15's hostile-input defects, as a user meets them through the `traverse` binary:
// untrusted text on the terminal (defect 5), no input size limit (6), duplicate keys (7) and the
// .wasm decoder's verdict (1).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_support.hpp"

namespace traverse::cli_test {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The expedition request with `request_id` replaced by `id` (JSON-escaped by the caller).
std::string request_with_id(const TempDir& dir, const std::string& json_id) {
  std::string text = read_text(example("requests/plan-expedition.json"));
  const std::string original = "\"expedition-plan-001\"";
  text.replace(text.find(original), original.size(), json_id);
  return dir.write("request.json", text);
}

TEST(CliHardening, UntrustedTextDefectRequestIdIsEscapedInRunAndTraceShow) {
  TempDir dir;
  const std::string request =
      request_with_id(dir, R"("evil\n\u001b[31mFORGED\u001b]0;pwned\u0007")");
  const std::string db = dir.file("traces.db");
  const auto run = run_cli(concat({"run", example("bundle.json"), request, "--trace-db", db},
                                  expedition_package_args()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("\nFORGED"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("request_id: evil\\n\\x1b[31mFORGED\\x1b]0;pwned\\x07\n"),
            std::string::npos)
      << run.out;

  // --json stays exact JSON: the id round-trips unchanged.
  const auto json =
      run_cli(concat({"run", example("bundle.json"), request, "--trace-db", db, "--json"},
                     expedition_package_args()));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json_of(json)["request_id"], "evil\n\x1b[31mFORGED\x1b]0;pwned\x07");

  const auto list = run_cli({"trace", "list", "--trace-db", db, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const Value listed = json_of(list);
  ASSERT_TRUE(listed.contains("entries")) << list.out;
  for (const auto& entry : listed["entries"]) {
    const auto show =
        run_cli({"trace", "show", entry.value("id", std::string()), "--trace-db", db});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_EQ(show.out.find('\x1b'), std::string::npos) << show.out;
  }
  const auto table = run_cli({"trace", "list", "--trace-db", db});
  EXPECT_EQ(table.out.find('\x1b'), std::string::npos) << table.out;
}

TEST(CliHardening, UntrustedTextDefectErrorsQuotingInputAreEscaped) {
  TempDir dir;
  const std::string file = dir.write("evil.json",
                                     "{\"a\": 1, \"a\\u001b]0;x\\u0007\": 2, "
                                     "\"a\\u001b]0;x\\u0007\": 3}");
  const auto run = run_cli({"contract", "validate", file});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_EQ(run.err.find('\x1b'), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("a\\x1b]0;x\\x07"), std::string::npos) << run.err;
}

TEST(CliHardening, InputSizeDefectContractValidateRefusesDevZero) {
  const auto run =
      run_cli({"contract", "validate", "/dev/zero"}, {.timeout = std::chrono::seconds(30)});
  EXPECT_EQ(run.exit_code, 4) << run.err;
  EXPECT_NE(run.err.find("/dev/zero: $: IoError: cannot read file: not a regular file "
                         "(character device)"),
            std::string::npos)
      << run.err;
}

TEST(CliHardening, InputSizeDefectOversizedDocumentNamesTheLimitAndTheFile) {
  TempDir dir;
  const std::string file = dir.write("big.json", "[" + std::string(2000, ' ') + "]");
  ::setenv("TRAVERSE_MAX_DOCUMENT_BYTES", "1K", 1);  // inherited by the child
  const auto run = run_cli({"contract", "validate", file});
  ::unsetenv("TRAVERSE_MAX_DOCUMENT_BYTES");
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find(file + ": $: DocumentTooLarge: file is 2002 bytes, larger than the "
                                "limit of 1024 bytes (TRAVERSE_MAX_DOCUMENT_BYTES sets the limit)"),
            std::string::npos)
      << run.err;
}

TEST(CliHardening, InputSizeDefectADocumentWhoseParsedFormOutgrowsTheBudgetIsRefusedAtItsPath) {
  // 3 MB of empty objects: well under the 64 MiB document cap, but its Value would take ~30x
  // the text; the parse memory budget (16 x 3 MB + 16 MiB) stops it part way.
  TempDir dir;
  std::string text = "[{}";
  for (int i = 1; i < 1000000; ++i) {
    text += ",{}";
  }
  text += "]";
  const std::string file = dir.write("empty-objects.json", text);
  const auto run = run_cli({"contract", "validate", file});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find(file + ": $["), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("]: DocumentTooLarge: document too large to parse: at $["),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("its parsed form would take more than the parse memory budget of " +
                         std::to_string(16 * text.size() + (16 << 20)) +
                         " bytes (16 x the "
                         "text's " +
                         std::to_string(text.size()) + " bytes + 16777216)"),
            std::string::npos)
      << run.err;
}

TEST(CliHardening, InputSizeDefectStdinIsReadOnlyUpToTheDocumentLimit) {
  ::setenv("TRAVERSE_MAX_DOCUMENT_BYTES", "1M", 1);  // inherited by the child
  const auto run =
      run_cli({"workflow", "run", example("bundle.json"), "plan-expedition", "--input", "-"},
              {.timeout = std::chrono::seconds(30), .stdin_file = "/dev/zero"});
  ::unsetenv("TRAVERSE_MAX_DOCUMENT_BYTES");
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("<stdin>"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("DocumentTooLarge: standard input is more than 1048576 bytes, larger "
                         "than the limit of 1048576 bytes (TRAVERSE_MAX_DOCUMENT_BYTES sets the "
                         "limit)"),
            std::string::npos)
      << run.err;
}

TEST(CliHardening, DuplicateKeyDefectAnArtifactWithTwoKindsIsRejectedAtThePath) {
  TempDir dir;
  std::string text = read_text(example("workflows/plan-expedition.json"));
  text.insert(text.find('{') + 1, "\n  \"kind\": \"runtime_request\",");
  const std::string file = dir.write("two-kinds.json", text);
  const auto run = run_cli({"contract", "validate", file, "--json"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find(file + ": $.kind: DuplicateKey: duplicate key \"kind\" at $.kind"),
            std::string::npos)
      << run.err;
  const auto document = json_of(run);
  EXPECT_EQ(document["files"][0]["errors"][0]["path"], "$.kind") << document.dump();
}

TEST(CliHardening, WasmDecodeDefectVerifyReportsTheDecodersVerdict) {
  TempDir dir;
  const std::string file =
      dir.write("zeros.wasm", std::string("\0asm\x01\x00\x00\x00", 8) + std::string(1 << 20, '\0'));
  const auto run = run_cli({"wasm", "verify", file});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_EQ(run.out.find("passed"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("custom section name extends past its section"), std::string::npos)
      << run.err;
}

}  // namespace
}  // namespace traverse::cli_test
