// apps/traverse/cli_support.hpp — the output conventions every `traverse` subcommand follows.
//
// - Results go to stdout, errors to stderr, one line each.
// - `--json`: stdout carries exactly one JSON document (pretty, keys sorted), also on failure
//   ({"exit_code": N, "errors": [...]}); the human error lines still go to stderr.
// - Colour (ANSI) only when the stream is a terminal, never when NO_COLOR is set (no-color.org)
//   or TERM is "dumb".
// - Exit codes: see ExitCode. A subcommand records its outcome with CliContext::finish().
// Thread safety: confine to the main thread.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "traverse/contracts/validation_error.hpp"
#include "traverse/json/value.hpp"

namespace traverse::cli {

enum class ExitCode : int {
  Ok = 0,
  ExecutionFailed = 1,       // a capability or workflow ran and failed
  ValidationFailed = 2,      // an artifact or input is invalid
  RegistrationConflict = 3,  // registering would change an immutable id@version
  IoError = 4,               // a file named on the command line cannot be read or written
  Usage = 5,                 // bad command line (unknown option, missing argument, ...)
};

// `text` made safe to print on a terminal: every control character becomes a visible escape, so
// text from guests, artifacts, traces or requests cannot forge output lines, move the cursor,
// retitle the terminal or inject colour. C0 controls and DEL become "\n", "\r", "\t" or "\xHH"
// (ESC -> "\x1b"); C1 controls (U+0080..U+009F) and bidirectional overrides (U+202A..U+202E,
// U+2066..U+2069) become "\u00HH"/"\u20HH"; bytes that are not well-formed UTF-8 become "\xHH".
// Printable text, including any other UTF-8, is kept as is. The one place human-readable output
// escapes untrusted text; JSON output never goes through it (JSON escaping is exact already).
[[nodiscard]] std::string escape_terminal_text(std::string_view text);

// The help footer listing the exit codes.
[[nodiscard]] std::string exit_code_help();

enum class Style { Plain, Bold, Green, Red, Yellow, Dim };

// --quiet / --verbose (global flags). Quiet: only the command's essential result (no progress, no
// step tables, no event lines, no trace location). Verbose: extra detail on stderr.
enum class Verbosity { Quiet, Normal, Verbose };

// Why a command failed: its exit code and every error (file, JSON path, code, message).
struct CommandFailure {
  ExitCode code = ExitCode::ExecutionFailed;
  ValidationErrors errors;
};

// A failure with one error.
[[nodiscard]] CommandFailure failure(ExitCode code, std::string error_code, std::string message,
                                     std::string file = {}, std::string path = {});

// Exit code for errors from loading a file named on the command line: 4 when `file` itself
// cannot be read (IoError on it), else 2 (its content, or an artifact it names, is invalid).
[[nodiscard]] ExitCode load_failure_code(const ValidationErrors& errors, const std::string& file);

class CliContext {
 public:
  CliContext(std::ostream& out, std::ostream& err, bool colour_out, bool colour_err);
  // stdout/stderr, with colour decided from isatty() and the environment.
  [[nodiscard]] static CliContext from_process();

  [[nodiscard]] std::ostream& out() { return out_; }
  [[nodiscard]] std::ostream& err() { return err_; }

  // `text` wrapped in the style's ANSI codes when colour is on for that stream.
  [[nodiscard]] std::string paint_out(std::string_view text, Style style) const;
  [[nodiscard]] std::string paint_err(std::string_view text, Style style) const;

  // One result line on stdout. `text` is written as given (it may carry this context's colour):
  // callers pass untrusted parts through escape_terminal_text().
  void line(std::string_view text);
  // One error line on stderr ("traverse: error: " is not added: lines name their file). The text
  // is escaped (escape_terminal_text) before it is painted: error text quotes untrusted input.
  void error_line(std::string_view text);
  // Every error as "file: $.path: Code: message" on stderr (escaped as error_line).
  void report(const ValidationErrors& errors);
  // One JSON document on stdout (pretty, sorted keys, trailing newline).
  void json(const Value& document);

  // Reports `failure`: every error on stderr and, with `json`, the document {exit_code, errors}
  // on stdout; then finish(failure.code).
  void fail(const CommandFailure& failure, bool json);

  // Whether stdout / stderr is a terminal (decided at startup).
  void set_terminals(bool out_is_tty, bool err_is_tty);
  [[nodiscard]] bool out_is_tty() const { return out_is_tty_; }
  [[nodiscard]] bool err_is_tty() const { return err_is_tty_; }

  // How the program was invoked (argv[0]), for copy-pasteable hints such as
  // "<program> trace show <id>". Default "traverse".
  void set_program(std::string program) { program_ = std::move(program); }
  [[nodiscard]] const std::string& program() const { return program_; }

  void set_verbosity(Verbosity verbosity) { verbosity_ = verbosity; }
  [[nodiscard]] Verbosity verbosity() const { return verbosity_; }
  [[nodiscard]] bool quiet() const { return verbosity_ == Verbosity::Quiet; }
  [[nodiscard]] bool verbose() const { return verbosity_ == Verbosity::Verbose; }

  // Progress is shown only on a terminal (stderr) and never with --quiet.
  [[nodiscard]] bool progress_enabled() const { return err_is_tty_ && !quiet(); }
  // Replaces the progress line on stderr (no-op unless progress_enabled()).
  void progress(std::string_view text);
  // Erases the progress line, if one is shown.
  void clear_progress();
  // An informational line on stderr, printed only with --verbose (escaped as error_line).
  void note(std::string_view text);
  // A warning line on stderr (always, even with --quiet; escaped as error_line).
  void warning(std::string_view text);

  // Records the command's outcome; the most severe (highest) code wins if called twice.
  void finish(ExitCode code);
  [[nodiscard]] int exit_code() const { return exit_code_; }

 private:
  std::ostream& out_;
  std::ostream& err_;
  bool colour_out_;
  bool colour_err_;
  bool out_is_tty_ = false;
  bool err_is_tty_ = false;
  bool progress_shown_ = false;
  Verbosity verbosity_ = Verbosity::Normal;
  std::string program_ = "traverse";
  int exit_code_ = 0;
};

// {code, path, message, file} objects for --json reports.
[[nodiscard]] Value errors_to_json(const ValidationErrors& errors);

// A text table: the header row (bold when `context` colours stdout), then one line per row,
// columns left-aligned and separated by two spaces; trailing spaces trimmed. Cells are escaped
// (escape_terminal_text).
[[nodiscard]] std::string format_table(const CliContext& context,
                                       const std::vector<std::string>& headers,
                                       const std::vector<std::vector<std::string>>& rows);

// "12 ms", "1.25 s", "2 min 05 s".
[[nodiscard]] std::string format_duration_ms(std::uint64_t milliseconds);

}  // namespace traverse::cli
