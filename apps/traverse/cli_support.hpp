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

#include <iosfwd>
#include <string>
#include <string_view>

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

// The help footer listing the exit codes.
[[nodiscard]] std::string exit_code_help();

enum class Style { Plain, Bold, Green, Red, Yellow };

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

  // One result line on stdout.
  void line(std::string_view text);
  // One error line on stderr ("traverse: error: " is not added: lines name their file).
  void error_line(std::string_view text);
  // Every error as "file: $.path: Code: message" on stderr.
  void report(const ValidationErrors& errors);
  // One JSON document on stdout (pretty, sorted keys, trailing newline).
  void json(const Value& document);

  // Records the command's outcome; the most severe (highest) code wins if called twice.
  void finish(ExitCode code);
  [[nodiscard]] int exit_code() const { return exit_code_; }

 private:
  std::ostream& out_;
  std::ostream& err_;
  bool colour_out_;
  bool colour_err_;
  int exit_code_ = 0;
};

// {code, path, message, file} objects for --json reports.
[[nodiscard]] Value errors_to_json(const ValidationErrors& errors);

}  // namespace traverse::cli
