#include "cli_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

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
    case Style::Dim:
      code = "\x1b[2m";
      break;
    case Style::Plain:
      break;
  }
  std::string out(code);
  out += text;
  out += "\x1b[0m";
  return out;
}

void append_hex_escape(std::string& out, std::string_view prefix, unsigned value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    out += kHex[(value >> static_cast<unsigned>(shift)) & 0xFU];
  }
}

// Length of the well-formed UTF-8 sequence starting at text[i], or 0.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    return 1;
  }
  if (b0 < 0xC2 || b0 > 0xF4) {
    return 0;
  }
  const std::size_t len = b0 < 0xE0 ? 2 : (b0 < 0xF0 ? 3 : 4);
  if (i + len > text.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0U) != 0x80U) {
      return 0;
    }
  }
  const auto b1 = static_cast<unsigned char>(text[i + 1]);
  if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) || (b0 == 0xF0 && b1 < 0x90) ||
      (b0 == 0xF4 && b1 > 0x8F)) {
    return 0;
  }
  return len;
}

unsigned code_point(std::string_view sequence) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(sequence[k]); };
  switch (sequence.size()) {
    case 1:
      return byte(0);
    case 2:
      return ((byte(0) & 0x1FU) << 6) | (byte(1) & 0x3FU);
    case 3:
      return ((byte(0) & 0x0FU) << 12) | ((byte(1) & 0x3FU) << 6) | (byte(2) & 0x3FU);
    default:
      return ((byte(0) & 0x07U) << 18) | ((byte(1) & 0x3FU) << 12) | ((byte(2) & 0x3FU) << 6) |
             (byte(3) & 0x3FU);
  }
}

}  // namespace

std::string escape_terminal_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7F) {
      switch (byte) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          append_hex_escape(out, "\\x", byte, 2);
      }
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      append_hex_escape(out, "\\x", byte, 2);
      ++i;
      continue;
    }
    const std::string_view sequence = text.substr(i, len);
    const unsigned cp = code_point(sequence);
    if ((cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
        (cp >= 0x2066 && cp <= 0x2069)) {
      append_hex_escape(out, "\\u", cp, 4);
    } else {
      out += sequence;
    }
    i += len;
  }
  return out;
}

std::string exit_code_help() {
  return "Exit codes: 0 ok, 1 execution failed, 2 validation failed, 3 registration conflict,\n"
         "4 I/O error (a file named on the command line cannot be read), 5 usage error.\n"
         "--help and --version exit 0. Results go to stdout, errors to stderr; --json prints\n"
         "exactly one JSON document on stdout. Set NO_COLOR to turn colour off.";
}

CliContext::CliContext(std::ostream& out, std::ostream& err, bool colour_out, bool colour_err)
    : out_(out), err_(err), colour_out_(colour_out), colour_err_(colour_err) {}

CliContext CliContext::from_process() {
  CliContext context(std::cout, std::cerr, colour_allowed(STDOUT_FILENO),
                     colour_allowed(STDERR_FILENO));
  context.set_terminals(isatty(STDOUT_FILENO) == 1, isatty(STDERR_FILENO) == 1);
  return context;
}

void CliContext::set_terminals(bool out_is_tty, bool err_is_tty) {
  out_is_tty_ = out_is_tty;
  err_is_tty_ = err_is_tty;
}

void CliContext::progress(std::string_view text) {
  if (!progress_enabled()) {
    return;
  }
  err_ << "\r\x1b[K" << paint_err(text, Style::Dim) << std::flush;
  progress_shown_ = true;
}

void CliContext::clear_progress() {
  if (progress_shown_) {
    err_ << "\r\x1b[K" << std::flush;
    progress_shown_ = false;
  }
}

void CliContext::note(std::string_view text) {
  if (verbose()) {
    clear_progress();
    err_ << escape_terminal_text(text) << '\n';
  }
}

void CliContext::warning(std::string_view text) {
  clear_progress();
  err_ << paint_err("warning: ", Style::Yellow) << escape_terminal_text(text) << '\n';
}

void CliContext::fail(const CommandFailure& failure, bool json) {
  clear_progress();
  report(failure.errors);
  if (json) {
    this->json(Value{{"exit_code", static_cast<int>(failure.code)},
                     {"errors", errors_to_json(failure.errors)}});
  }
  finish(failure.code);
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
  clear_progress();
  err_ << paint_err(escape_terminal_text(text), Style::Red) << '\n';
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
    out.push_back(Value{{"code", error.code()},
                        {"path", error.path()},
                        {"message", error.message()},
                        {"file", error.file()}});
  }
  return out;
}

CommandFailure failure(ExitCode code, std::string error_code, std::string message, std::string file,
                       std::string path) {
  return CommandFailure{code, ValidationErrors{ValidationError{
                                  std::move(error_code), path.empty() ? "$" : std::move(path),
                                  std::move(message), std::move(file)}}};
}

ExitCode load_failure_code(const ValidationErrors& errors, const std::string& file) {
  for (const auto& error : errors) {
    if (error.kind() == ValidationErrorKind::Unreadable &&
        (error.file().empty() || error.file() == file)) {
      return ExitCode::IoError;
    }
  }
  return ExitCode::ValidationFailed;
}

namespace {

// Display width of UTF-8 text: code points, not bytes (the tables hold ids, times and numbers).
std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
      ++width;
    }
  }
  return width;
}

}  // namespace

std::string format_table(const CliContext& context, const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(headers.size(), 0);
  for (std::size_t i = 0; i < headers.size(); ++i) {
    widths[i] = display_width(headers[i]);
  }
  std::vector<std::vector<std::string>> escaped_rows;
  escaped_rows.reserve(rows.size());
  for (const auto& row : rows) {
    std::vector<std::string> escaped;
    escaped.reserve(row.size());
    for (const auto& cell : row) {
      escaped.push_back(escape_terminal_text(cell));
    }
    escaped_rows.push_back(std::move(escaped));
  }
  for (const auto& row : escaped_rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  const auto render = [&](const std::vector<std::string>& cells, bool header) {
    std::string line;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : std::string();
      std::string padded = cell;
      if (i + 1 < widths.size()) {
        padded.append(widths[i] - display_width(cell) + 2, ' ');
      }
      line += padded;
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    return header ? context.paint_out(line, Style::Bold) : line;
  };
  std::string out = render(headers, true);
  out += '\n';
  for (const auto& row : escaped_rows) {
    out += render(row, false);
    out += '\n';
  }
  return out;
}

std::string format_duration_ms(std::uint64_t milliseconds) {
  if (milliseconds < 1000) {
    return std::to_string(milliseconds) + " ms";
  }
  if (milliseconds < 60'000) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f s", static_cast<double>(milliseconds) / 1000.0);
    return buffer;
  }
  const std::uint64_t seconds = milliseconds / 1000;
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%llu min %02llu s",
                static_cast<unsigned long long>(seconds / 60),
                static_cast<unsigned long long>(seconds % 60));
  return buffer;
}

}  // namespace traverse::cli
