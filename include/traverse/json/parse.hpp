// traverse/json/parse.hpp — strict JSON parsing that never throws.
//
// Thread safety: pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

#include "traverse/json/value.hpp"

namespace traverse {

// Why text could not become a Value. `line`/`column` are 1-based; 0 when unknown (e.g. I/O).
struct JsonParseError {
  enum class Kind { Syntax, TooDeep, Io };
  Kind kind = Kind::Syntax;
  std::string message;  // human text, e.g. "syntax error at line 3, column 7: unexpected '}'"
  std::size_t line = 0;
  std::size_t column = 0;
};

// Nesting deeper than this is rejected (TooDeep) before it can exhaust the stack.
inline constexpr std::size_t kMaxJsonDepth = 256;

// Parses exactly one JSON document (RFC 8259; surrounding whitespace allowed, trailing bytes,
// comments, invalid UTF-8 and lone surrogate escapes rejected). Never throws.
// - Numbers: integers fitting int64/uint64 stay integers; larger ones become doubles (like the
//   reference); the literal `-0` becomes the double -0.0 (reference rule); a float overflowing
//   double (`1e400`) is a Syntax error.
// - Duplicate object keys: the last one wins. A UTF-8 byte order mark at the very start is skipped.
// - Errors: Syntax with the 1-based line and byte column of the offending byte (the end of input
//   for truncated text) and a message "syntax error at line L, column C: <what>"; TooDeep (at
//   the bracket that opens level kMaxJsonDepth + 1) when nesting exceeds kMaxJsonDepth.
[[nodiscard]] std::expected<Value, JsonParseError> parse_json(std::string_view text);

// Reads and parses a file; an unreadable file (missing, a directory, no permission) is Kind::Io
// with only the OS reason in `message` (e.g. "No such file or directory"); callers add the path.
[[nodiscard]] std::expected<Value, JsonParseError> parse_json_file(
    const std::filesystem::path& path);

// Reads a whole file into memory; std::unexpected carries the OS reason.
[[nodiscard]] std::expected<std::string, std::string> read_file(const std::filesystem::path& path);

}  // namespace traverse
