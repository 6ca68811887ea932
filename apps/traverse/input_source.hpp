// apps/traverse/input_source.hpp — where a command's JSON input comes from: a file, stdin ("-")
// or the argument itself (inline JSON: text starting with '{' or '[').
#pragma once

#include <expected>
#include <string>

#include "cli_support.hpp"
#include "traverse/contracts/runtime_request.hpp"
#include "traverse/json/value.hpp"

namespace traverse::cli {

// A JSON value from `argument`. Failure: 4 when the file cannot be read, 2 when the text is not
// JSON or is too large (DocumentTooLarge: a file or stdin over max_document_bytes(), or a value
// over the parse memory budget); the error names the file, "<stdin>" or "<inline>".
[[nodiscard]] std::expected<Value, CommandFailure> read_json_argument(const std::string& argument);

// A runtime_request from `argument` (file, "-" or inline). Failure: 4 unreadable, 2 invalid.
[[nodiscard]] std::expected<RuntimeRequest, CommandFailure> read_request_argument(
    const std::string& argument);

// The help suffix of options that take such an argument.
inline constexpr const char* kJsonArgumentHelp =
    " (a JSON file, - for stdin, or inline JSON such as '{\"text\": \"hi\"}')";

}  // namespace traverse::cli
