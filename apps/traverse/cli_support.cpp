#include "cli_support.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace traverse::cli {
namespace {

bool colour_allowed(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') {
    return false;
  }
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") {
    return false;
  }
  return isatty(fd) == 1;
}

std::string paint(std::string_view text, Style style, bool enabled) {
  if (!enabled || style == Style::Plain) {
    return std::string(text);
  }
  std::string_view code;
  switch (style) {
    case Style::Bold:
      code = "\x1b[1m";
      break;
    case Style::Green:
      code = "\x1b[32m";
      break;
    case Style::Red:
      code = "\x1b[31m";
      break;
    case Style::Yellow:
      code = "\x1b[33m";
      break;
    case Style::Plain:
      break;
  }
  std::string out(code);
  out += text;
  out += "\x1b[0m";
  return out;
}

}  // namespace

std::string exit_code_help() {
  return "Exit codes: 0 ok, 1 execution failed, 2 validation failed, 3 registration conflict,\n"
         "4 I/O error (a file named on the command line cannot be read), 5 usage error.\n"
         "--help and --version exit 0. Results go to stdout, errors to stderr; --json prints\n"
         "exactly one JSON document on stdout. Set NO_COLOR to turn colour off.";
}

CliContext::CliContext(std::ostream& out, std::ostream& err, bool colour_out, bool colour_err)
    : out_(out), err_(err), colour_out_(colour_out), colour_err_(colour_err) {}

CliContext CliContext::from_process() {
  return CliContext(std::cout, std::cerr, colour_allowed(STDOUT_FILENO),
                    colour_allowed(STDERR_FILENO));
}

std::string CliContext::paint_out(std::string_view text, Style style) const {
  return paint(text, style, colour_out_);
}

std::string CliContext::paint_err(std::string_view text, Style style) const {
  return paint(text, style, colour_err_);
}

void CliContext::line(std::string_view text) {
  out_ << text << '\n';
}

void CliContext::error_line(std::string_view text) {
  err_ << paint_err(text, Style::Red) << '\n';
}

void CliContext::report(const ValidationErrors& errors) {
  for (const auto& error : errors) {
    error_line(to_string(error));
  }
}

void CliContext::json(const Value& document) {
  out_ << pretty_dump(document) << '\n';
}

void CliContext::finish(ExitCode code) {
  const int value = static_cast<int>(code);
  if (value > exit_code_) {
    exit_code_ = value;
  }
}

Value errors_to_json(const ValidationErrors& errors) {
  Value out = Value::array();
  for (const auto& error : errors) {
    out.push_back(Value{{"code", error.code},
                        {"path", error.path},
                        {"message", error.message},
                        {"file", error.file}});
  }
  return out;
}

}  // namespace traverse::cli
