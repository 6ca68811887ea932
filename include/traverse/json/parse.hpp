// traverse/json/parse.hpp — strict JSON parsing that never throws.
//
// Thread safety: pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "traverse/json/value.hpp"

namespace traverse {

// Why text could not become a Value. Value type; thread-compatible.
class JsonParseError {
 public:
  // Io: the file could not be read, or is not a regular file (a directory, a device, a FIFO).
  // TooLarge: the file is larger than the document size limit (see max_document_bytes()).
  // DuplicateKey: an object has the same key twice; `path` is the JSON path of the second one.
  // OverBudget: the parsed Value would take more memory than the parse memory budget; `path` is
  // the JSON path of the value the parser had reached when it stopped.
  enum class Kind { Syntax, TooDeep, Io, TooLarge, DuplicateKey, OverBudget };

  JsonParseError(Kind kind, std::string message, std::size_t line = 0, std::size_t column = 0,
                 std::string path = {})
      : kind_(kind),
        message_(std::move(message)),
        line_(line),
        column_(column),
        path_(std::move(path)) {}

  [[nodiscard]] Kind kind() const { return kind_; }
  // Human text, e.g. "syntax error at line 3, column 7: unexpected '}'".
  [[nodiscard]] const std::string& message() const { return message_; }
  // 1-based position of the offending byte; 0 when unknown (e.g. I/O).
  [[nodiscard]] std::size_t line() const { return line_; }
  [[nodiscard]] std::size_t column() const { return column_; }
  // DuplicateKey, OverBudget: e.g. "$.steps[2].kind"; empty otherwise.
  [[nodiscard]] const std::string& path() const { return path_; }
  // "<Kind>: <message>", e.g. "Syntax: syntax error at line 3, column 7: unexpected '}'".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const JsonParseError&, const JsonParseError&) = default;

 private:
  Kind kind_;
  std::string message_;
  std::size_t line_;
  std::size_t column_;
  std::string path_;
};

// "Syntax", "TooDeep", "Io", "TooLarge", "DuplicateKey", "OverBudget".
[[nodiscard]] std::string_view to_string(JsonParseError::Kind kind);

// Nesting deeper than this is rejected (TooDeep) before it can exhaust the stack.
inline constexpr std::size_t kMaxJsonDepth = 256;

// The default largest document file parse_json_file (and so every artifact loader and request
// reader) accepts: 64 MiB.
inline constexpr std::uint64_t kDefaultMaxDocumentBytes = std::uint64_t{64} << 20;

// The document size limit in effect: the environment variable TRAVERSE_MAX_DOCUMENT_BYTES when it
// holds a positive byte count (digits, optionally followed by K, M or G for KiB, MiB, GiB, e.g.
// "256M"), else kDefaultMaxDocumentBytes. Read on every call (no caching).
[[nodiscard]] std::uint64_t max_document_bytes();

// The parse memory budget: the heap a parsed Value may take (dom_memory.hpp counts it the way
// glibc malloc does) is at most kParseMemoryFactor times the document's size plus
// kParseMemoryFloor. Realistic documents (the examples' contracts, workflows, bundles and
// requests, a 1 MB request of records with strings) take 3.4-5.3x their text; only pathological
// shapes need more (`[{},{},...]` ~29x, `["",...]` ~24x, `[[],...]` ~19x, `[{"x":1,"y":2},...]`
// ~20x, `[0,0,...]` 8-16x). With the default 64 MiB document cap, a Value never takes more than
// 1 GiB + 16 MiB.
inline constexpr std::uint64_t kParseMemoryFactor = 16;
inline constexpr std::uint64_t kParseMemoryFloor = std::uint64_t{16} << 20;

// kParseMemoryFactor * text_bytes + kParseMemoryFloor (saturating).
[[nodiscard]] constexpr std::uint64_t parse_memory_budget(std::uint64_t text_bytes) {
  constexpr std::uint64_t kMax = ~std::uint64_t{0};
  if (text_bytes > (kMax - kParseMemoryFloor) / kParseMemoryFactor) {
    return kMax;
  }
  return text_bytes * kParseMemoryFactor + kParseMemoryFloor;
}

// Parses exactly one JSON document (RFC 8259; surrounding whitespace allowed, trailing bytes,
// comments, invalid UTF-8 and lone surrogate escapes rejected). Never throws.
// - Numbers: integers fitting int64/uint64 stay integers; larger ones become doubles (like the
//   reference); the literal `-0` becomes the double -0.0 (reference rule); a float overflowing
//   double (`1e400`) is a Syntax error.
// - Duplicate object keys are rejected (DuplicateKey, with the JSON path of the second occurrence,
//   e.g. "$.a.b" or "$.items[3].kind"; line and column are 0). A UTF-8 byte order mark at the
//   very start is skipped.
// - Memory: the Value is built under the parse memory budget, parse_memory_budget(text.size())
//   bytes of heap. The account is kept as the Value grows (each string, container, member and
//   element buffer, checked before it is allocated, element buffers at their growth peak), so a
//   document whose Value would outgrow the budget is refused (OverBudget, with the JSON path
//   reached and the budget in the message) having allocated at most the budget, and freed.
// - Errors: Syntax with the 1-based line and byte column of the offending byte (the end of input
//   for truncated text) and a message "syntax error at line L, column C: <what>"; TooDeep (at
//   the bracket that opens level kMaxJsonDepth + 1) when nesting exceeds kMaxJsonDepth.
[[nodiscard]] std::expected<Value, JsonParseError> parse_json(std::string_view text);

// parse_json with an explicit budget: the Value may take at most `max_heap_bytes` of heap (as
// dom_heap_bytes counts it).
[[nodiscard]] std::expected<Value, JsonParseError> parse_json(std::string_view text,
                                                              std::uint64_t max_heap_bytes);

// Reads and parses a file of at most `max_bytes` bytes. An unreadable file (missing, a directory,
// no permission) is Kind::Io with only the OS reason in `message` (e.g. "No such file or
// directory"); a file that is not a regular file (a device such as /dev/zero, a FIFO, a socket)
// is Kind::Io "not a regular file (<type>)" and is never read; a larger file is Kind::TooLarge,
// refused before any byte is read, with a message naming its size and the limit. The text is
// parsed by parse_json (its memory budget included). Callers add the path.
[[nodiscard]] std::expected<Value, JsonParseError> parse_json_file(
    const std::filesystem::path& path, std::uint64_t max_bytes = max_document_bytes());

// Why read_regular_file failed; `message()` never names the path (callers add it). Value type;
// thread-compatible.
class FileReadError {
 public:
  enum class Kind { Io, NotRegularFile, TooLarge };

  FileReadError(Kind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  [[nodiscard]] Kind kind() const { return kind_; }
  // The OS reason, "not a regular file (character device)", or "file is N bytes, larger than the
  // limit of M bytes".
  [[nodiscard]] const std::string& message() const { return message_; }
  // "<Kind>: <message>".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const FileReadError&, const FileReadError&) = default;

 private:
  Kind kind_;
  std::string message_;
};

// "Io", "NotRegularFile", "TooLarge".
[[nodiscard]] std::string_view to_string(FileReadError::Kind kind);

// Reads a whole regular file of at most `max_bytes` bytes into memory. The file's type and size
// are checked (stat) before it is opened, so a device, FIFO or socket is never read and never
// blocks; a file that grows past `max_bytes` while being read is TooLarge too. A directory is Io
// "Is a directory".
[[nodiscard]] std::expected<std::string, FileReadError> read_regular_file(
    const std::filesystem::path& path, std::uint64_t max_bytes);

// read_regular_file with the document size limit as the default bound.
[[nodiscard]] std::expected<std::string, FileReadError> read_file(
    const std::filesystem::path& path, std::uint64_t max_bytes = max_document_bytes());

}  // namespace traverse
