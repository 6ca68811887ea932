#include "input_source.hpp"

#include <cstddef>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <utility>

#include "session.hpp"
#include "traverse/json/parse.hpp"

namespace traverse::cli {
namespace {

bool is_inline(const std::string& argument) {
  const auto first = argument.find_first_not_of(" \t\r\n");
  return first != std::string::npos && (argument[first] == '{' || argument[first] == '[');
}

struct DirectText {
  std::string text;
  std::string name;  // what errors call it: "<stdin>" or "<inline>"
};

// The text of `argument` when it is "-" (stdin, read up to the document size limit: a stream
// such as /dev/zero must not grow memory without end) or inline JSON; nullopt for a file path.
std::optional<std::expected<DirectText, CommandFailure>> direct_text(const std::string& argument) {
  if (argument == "-") {
    const std::uint64_t limit = max_document_bytes();
    std::string text;
    char buffer[64 * 1024];
    while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
      const auto got = static_cast<std::size_t>(std::cin.gcount());
      if (text.size() + got > limit) {
        return std::unexpected(failure(ExitCode::ValidationFailed, "DocumentTooLarge",
                                       "standard input is more than " + std::to_string(limit) +
                                           " bytes, larger than the limit of " +
                                           std::to_string(limit) +
                                           " bytes (TRAVERSE_MAX_DOCUMENT_BYTES sets the limit)",
                                       "<stdin>"));
      }
      text.append(buffer, got);
    }
    return DirectText{std::move(text), "<stdin>"};
  }
  if (is_inline(argument)) {
    return DirectText{argument, "<inline>"};
  }
  return std::nullopt;
}

// The failure for text that parse_json refused: DocumentTooLarge when its parsed form would
// outgrow the parse memory budget, InvalidJson otherwise.
CommandFailure parse_failure(const JsonParseError& error, const std::string& name) {
  const bool budget = error.kind() == JsonParseError::Kind::OverBudget;
  return failure(ExitCode::ValidationFailed, budget ? "DocumentTooLarge" : "InvalidJson",
                 error.message(), name);
}

}  // namespace

std::expected<Value, CommandFailure> read_json_argument(const std::string& argument) {
  auto direct = direct_text(argument);
  if (!direct) {
    return read_json_input(argument);
  }
  if (!*direct) {
    return std::unexpected(std::move(direct->error()));
  }
  auto value = parse_json((*direct)->text);
  if (!value) {
    return std::unexpected(parse_failure(value.error(), (*direct)->name));
  }
  return std::move(*value);
}

std::expected<RuntimeRequest, CommandFailure> read_request_argument(const std::string& argument) {
  auto direct = direct_text(argument);
  if (!direct) {
    return read_runtime_request(argument);
  }
  if (!*direct) {
    return std::unexpected(std::move(direct->error()));
  }
  auto document = parse_json((*direct)->text);
  if (!document) {
    return std::unexpected(parse_failure(document.error(), (*direct)->name));
  }
  auto request = parse_runtime_request(*document);
  if (!request) {
    auto errors = std::move(request.error());
    attach_file(errors, (*direct)->name);
    return std::unexpected(CommandFailure{ExitCode::ValidationFailed, std::move(errors)});
  }
  return std::move(*request);
}

}  // namespace traverse::cli
