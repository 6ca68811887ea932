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

// Parses exactly one JSON document (surrounding whitespace allowed, trailing bytes rejected).
[[nodiscard]] std::expected<Value, JsonParseError> parse_json(std::string_view text);

// Reads and parses a file; an unreadable file is Kind::Io with the OS reason in `message`.
[[nodiscard]] std::expected<Value, JsonParseError> parse_json_file(const std::filesystem::path& path);

// Reads a whole file into memory; std::unexpected carries the OS reason.
[[nodiscard]] std::expected<std::string, std::string> read_file(const std::filesystem::path& path);

}  // namespace traverse
