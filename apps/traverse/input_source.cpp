#include "input_source.hpp"

#include <iostream>
#include <iterator>
#include <optional>
#include <utility>

#include "session.hpp"
#include "traverse/json/parse.hpp"

namespace traverse::cli {
namespace {

bool is_inline(const std::string& argument) {
  const auto first = argument.find_first_not_of(" \t\r\n");
  return first != std::string::npos && (argument[first] == '{' || argument[first] == '[');
}

// The text of `argument` when it is "-" or inline JSON, with the name errors give it; nullopt
// for a file path.
std::optional<std::pair<std::string, std::string>> direct_text(const std::string& argument) {
  if (argument == "-") {
    std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    return std::pair{std::move(text), std::string("<stdin>")};
  }
  if (is_inline(argument)) {
    return std::pair{argument, std::string("<inline>")};
  }
  return std::nullopt;
}

}  // namespace

std::expected<Value, CommandFailure> read_json_argument(const std::string& argument) {
  const auto direct = direct_text(argument);
  if (!direct) {
    return read_json_input(argument);
  }
  auto value = parse_json(direct->first);
  if (!value) {
    return std::unexpected(
        failure(ExitCode::ValidationFailed, "InvalidJson", value.error().message, direct->second));
  }
  return std::move(*value);
}

std::expected<RuntimeRequest, CommandFailure> read_request_argument(const std::string& argument) {
  const auto direct = direct_text(argument);
  if (!direct) {
    return read_runtime_request(argument);
  }
  auto document = parse_json(direct->first);
  if (!document) {
    return std::unexpected(failure(ExitCode::ValidationFailed, "InvalidJson",
                                   document.error().message, direct->second));
  }
  auto request = parse_runtime_request(*document);
  if (!request) {
    auto errors = std::move(request.error());
    attach_file(errors, direct->second);
    return std::unexpected(CommandFailure{ExitCode::ValidationFailed, std::move(errors)});
  }
  return std::move(*request);
}

}  // namespace traverse::cli
