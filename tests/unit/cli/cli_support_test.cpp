// Governing spec: 040-cli
//
// Defect 5 of issue 15 (untrusted text reaches the terminal raw): escape_terminal_text and the
// CliContext sinks that apply it.
#include "cli_support.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace traverse::cli {
namespace {

TEST(EscapeTerminalText, UntrustedTextDefectEscapesNewlinesAndEscapeSequences) {
  EXPECT_EQ(escape_terminal_text("req\n\x1b[31mFORGED"), "req\\n\\x1b[31mFORGED");
  EXPECT_EQ(escape_terminal_text("\x1b]0;pwned\x07title"), "\\x1b]0;pwned\\x07title");
  EXPECT_EQ(escape_terminal_text("a\rb\tc"), "a\\rb\\tc");
  EXPECT_EQ(escape_terminal_text(std::string("nul\0del\x7f", 8)), "nul\\x00del\\x7f");
}

TEST(EscapeTerminalText, KeepsPrintableUtf8AndPlainText) {
  EXPECT_EQ(escape_terminal_text("plain text: $.a[0] {\"k\"}"), "plain text: $.a[0] {\"k\"}");
  EXPECT_EQ(escape_terminal_text("Gouter \xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8f\x94"),
            "Gouter \xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8f\x94");
  EXPECT_EQ(escape_terminal_text(""), "");
}

TEST(EscapeTerminalText, EscapesC1ControlsBidiOverridesAndInvalidUtf8) {
  EXPECT_EQ(escape_terminal_text("\xc2\x9b"
                                 "31m"),
            "\\u009b31m");  // U+009B, the 8-bit CSI
  EXPECT_EQ(escape_terminal_text("abc\xe2\x80\xae"
                                 "fed"),
            "abc\\u202efed");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(escape_terminal_text("raw \x9b byte"), "raw \\x9b byte");
  EXPECT_EQ(escape_terminal_text("cut \xe2\x9c"), "cut \\xe2\\x9c");
}

TEST(CliContextOutput, UntrustedTextDefectErrorWarningAndReportLinesAreEscaped) {
  std::ostringstream out;
  std::ostringstream err;
  CliContext context(out, err, /*colour_out=*/false, /*colour_err=*/false);
  context.error_line("bad\n\x1b[2Jinput");
  context.warning("w\x1b]0;t\x07");
  context.report({ValidationError{"InvalidJson", "$.a\nb", "m\x1b", "f.json"}});
  EXPECT_EQ(err.str().find('\x1b'), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("bad\\n\\x1b[2Jinput\n"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("warning: w\\x1b]0;t\\x07\n"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("$.a\\nb"), std::string::npos) << err.str();
}

TEST(CliContextOutput, ColourCodesOfTheContextItselfStay) {
  std::ostringstream out;
  std::ostringstream err;
  CliContext context(out, err, /*colour_out=*/true, /*colour_err=*/true);
  context.error_line("boom\x1b[0m");
  EXPECT_EQ(err.str(), "\x1b[31mboom\\x1b[0m\x1b[0m\n");
}

TEST(FormatTable, UntrustedTextDefectCellsAreEscaped) {
  std::ostringstream out;
  std::ostringstream err;
  const CliContext context(out, err, false, false);
  const std::string table = format_table(context, {"ID", "X"}, {{"a\nb\x1b[1m", "c"}});
  EXPECT_EQ(table, "ID           X\na\\nb\\x1b[1m  c\n");
}

}  // namespace
}  // namespace traverse::cli
