// Strict, non-throwing JSON parsing with a nesting limit.
//
// nlohmann's SAX interface is driven with a DOM-building handler that counts nesting and stops
// the parser (by returning false) as soon as a container would exceed kMaxJsonDepth, so neither
// the parser nor anything that later walks the Value recursively can be handed a document deep
// enough to exhaust the stack, and as soon as an object repeats a key (DuplicateKey: a second
// `kind` must not silently change what an artifact is). Syntax errors arrive through the
// handler's parse_error() instead of as exceptions. The same handler keeps the account of the
// heap the Value takes (dom_memory.hpp) and stops the parser before an allocation would take it
// past the budget, so a document of tiny values cannot turn 64 MiB of text into gigabytes.
#include "traverse/json/parse.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "traverse/json/dom_memory.hpp"

namespace traverse {
namespace {

// Longest excerpt of nlohmann's diagnostic kept in a message (its "last read" part can quote an
// entire multi-megabyte string token).
constexpr std::size_t kMaxDetailBytes = 160;

struct Position {
  std::size_t line = 1;
  std::size_t column = 1;
};

// 1-based line and byte column of the byte at `offset` (clamped to the end of the text).
Position position_of(std::string_view text, std::size_t offset) {
  if (offset > text.size()) {
    offset = text.size();
  }
  Position pos;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      line_start = i + 1;
    }
  }
  pos.column = offset - line_start + 1;
  return pos;
}

// Byte offset of the bracket that opens nesting level `level` (1-based), scanning a prefix that
// the parser has already accepted, so strings are the only thing to skip.
std::size_t offset_of_level(std::string_view text, std::size_t level) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth == level) {
        return i;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return text.size();
}

// `text` with every byte that does not start a well-formed UTF-8 sequence replaced by '?'. The
// parser quotes the token it choked on, which may be the very bytes that were not UTF-8; error
// messages must stay printable and serialisable.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    if (b0 < 0x80) {
      len = 1;
    } else if (b0 >= 0xC2 && b0 <= 0xF4) {
      len = b0 < 0xE0 ? 2 : (b0 < 0xF0 ? 3 : 4);
      if (i + len > text.size()) {
        len = 0;
      }
      for (std::size_t k = 1; k < len; ++k) {
        if ((static_cast<unsigned char>(text[i + k]) & 0xC0U) != 0x80U) {
          len = 0;
        }
      }
      if (len >= 3) {
        const auto b1 = static_cast<unsigned char>(text[i + 1]);
        if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) || (b0 == 0xF0 && b1 < 0x90) ||
            (b0 == 0xF4 && b1 > 0x8F)) {
          len = 0;
        }
      }
    }
    if (len == 0) {
      out.push_back('?');
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

// nlohmann's what() without its "[json.exception.x.N] " tag and "parse error at line L, column
// C: " prefix (we compute the position ourselves) and its "syntax error while parsing value - "
// lead-in, made valid UTF-8 and truncated to kMaxDetailBytes.
std::string diagnostic_detail(const char* what) {
  std::string_view text(what);
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("] ");
    if (close != std::string_view::npos) {
      text.remove_prefix(close + 2);
    }
  }
  if (text.starts_with("parse error")) {
    const auto colon = text.find(": ");
    if (colon != std::string_view::npos) {
      text.remove_prefix(colon + 2);
    }
  }
  if (text.starts_with("syntax error while parsing ")) {
    const auto dash = text.find(" - ");
    if (dash != std::string_view::npos) {
      text.remove_prefix(dash + 3);
    }
  }
  std::string detail = valid_utf8(text.substr(0, kMaxDetailBytes));
  if (text.size() > kMaxDetailBytes) {
    detail += "...";
  }
  return detail;
}

// Builds the Value from nlohmann's SAX events. Unlike nlohmann's own DOM builder it refuses a
// key already present in the object being built (recording the JSON path of the second
// occurrence), a container that would open nesting level kMaxJsonDepth + 1, and any allocation
// that would take the Value's heap (as dom_heap_bytes counts it) past `max_heap_bytes`; each
// stops the parser by returning false.
class StrictDomBuilder {
 public:
  using number_integer_t = Value::number_integer_t;
  using number_unsigned_t = Value::number_unsigned_t;
  using number_float_t = Value::number_float_t;
  using string_t = Value::string_t;
  using binary_t = Value::binary_t;

  StrictDomBuilder(Value& result, std::uint64_t max_heap_bytes)
      : root_(result), max_heap_bytes_(max_heap_bytes) {}

  bool null() { return place(Value(nullptr), 0) != nullptr; }
  bool boolean(bool value) { return place(Value(value), 0) != nullptr; }
  // nlohmann reports every non-negative integer through number_unsigned, so a signed zero here
  // can only be the literal `-0`. The reference keeps it as the float -0.0; so do we.
  bool number_integer(number_integer_t value) {
    return value == 0 ? place(Value(-0.0), 0) != nullptr : place(Value(value), 0) != nullptr;
  }
  bool number_unsigned(number_unsigned_t value) { return place(Value(value), 0) != nullptr; }
  bool number_float(number_float_t value, const string_t& /*text*/) {
    return place(Value(value), 0) != nullptr;
  }
  bool string(string_t& value) {
    // Moving keeps the buffer (and its capacity) the parser filled, so it is counted as is.
    const std::uint64_t cost = string_value_heap_bytes(value);
    if (!fits(cost, nullptr)) {
      return false;
    }
    return place(Value(std::move(value)), cost) != nullptr;
  }
  bool binary(binary_t& value) {
    const std::uint64_t cost =
        heap_block_bytes(sizeof(binary_t)) + heap_block_bytes(value.capacity());
    if (!fits(cost, nullptr)) {
      return false;
    }
    return place(Value::binary(std::move(value)), cost) != nullptr;
  }

  bool start_object(std::size_t /*elements*/) {
    return open(Value::value_t::object, object_container_heap_bytes());
  }
  bool start_array(std::size_t /*elements*/) {
    return open(Value::value_t::array, array_container_heap_bytes());
  }
  bool end_object() {
    stack_.pop_back();
    return true;
  }
  bool end_array() {
    stack_.pop_back();
    return true;
  }

  bool key(string_t& name) {
    Frame& frame = stack_.back();
    // The map node (key object, member slot, links) plus the key's buffer when it is long.
    const std::uint64_t cost = object_member_heap_bytes() + string_buffer_heap_bytes(name);
    if (!fits(cost, &name)) {
      return false;
    }
    auto& members = *frame.container->get_ptr<Value::object_t*>();
    const auto [it, inserted] = members.try_emplace(std::move(name));
    if (!inserted) {
      duplicate_key_ = it->first;
      duplicate_path_ = path_of_open_container() + "." + it->first;
      return false;
    }
    heap_bytes_ += cost;
    frame.member = &it->second;
    frame.key = &it->first;
    return true;
  }

  template <class Exception>
  bool parse_error(std::size_t position, const std::string& /*last_token*/, const Exception& ex) {
    error_position_ = position;
    error_detail_ = diagnostic_detail(ex.what());
    return false;
  }

  [[nodiscard]] bool too_deep() const { return too_deep_; }
  [[nodiscard]] const std::string& duplicate_key() const { return duplicate_key_; }
  [[nodiscard]] const std::string& duplicate_path() const { return duplicate_path_; }
  [[nodiscard]] bool over_budget() const { return over_budget_; }
  [[nodiscard]] const std::string& over_budget_path() const { return over_budget_path_; }
  [[nodiscard]] std::size_t error_position() const { return error_position_; }
  [[nodiscard]] const std::string& error_detail() const { return error_detail_; }

 private:
  struct Frame {
    Value* container;
    Value* member = nullptr;           // objects: the value of the current key
    const std::string* key = nullptr;  // objects: the current key (owned by the map node)
  };

  // Whether `extra` more heap bytes (on top of what the Value holds) stay within the budget; if
  // not, records where the parser is (the member named `key` of the open object when given,
  // else the next value's place) and returns false.
  bool fits(std::uint64_t extra, const std::string* key) {
    if (extra <= max_heap_bytes_ && heap_bytes_ <= max_heap_bytes_ - extra) [[likely]] {
      return true;
    }
    refuse_over_budget(key);
    return false;
  }

  // Out of line and cold: keeps the per-value path small (measured: inlined here, it costs the
  // parser's lexer its inlining, ~15% more instructions per document).
  [[gnu::noinline, gnu::cold]] void refuse_over_budget(const std::string* key) {
    over_budget_ = true;
    over_budget_path_ = key != nullptr ? path_of_open_container() + "." + *key : path_of_next();
  }

  // Stores `value`, whose own heap is `cost` bytes (already checked against the budget by the
  // caller), where the parser is (the root, the end of the open array, or the current member of
  // the open object) and returns where it now lives; nullptr when the open array's element
  // buffer cannot grow within the budget.
  Value* place(Value&& value, std::uint64_t cost) {
    if (stack_.empty()) {
      heap_bytes_ += cost;
      root_ = std::move(value);
      return &root_;
    }
    Frame& frame = stack_.back();
    if (frame.container->is_array()) {
      auto& items = *frame.container->get_ptr<Value::array_t*>();
      const std::size_t old_capacity = items.capacity();
      if (items.size() == old_capacity) {
        // push_back doubles the buffer (at least 1 slot); the old one is freed only after the
        // elements moved, so both count at the peak.
        const std::size_t grown = old_capacity == 0 ? 1 : 2 * old_capacity;
        if (!fits(array_buffer_heap_bytes(grown) + cost, nullptr)) {
          return nullptr;
        }
      }
      items.push_back(std::move(value));
      heap_bytes_ +=
          cost + array_buffer_heap_bytes(items.capacity()) - array_buffer_heap_bytes(old_capacity);
      return &items.back();
    }
    heap_bytes_ += cost;
    *frame.member = std::move(value);
    return frame.member;
  }

  bool open(Value::value_t type, std::uint64_t cost) {
    if (stack_.size() >= kMaxJsonDepth) {
      too_deep_ = true;
      return false;
    }
    if (!fits(cost, nullptr)) {
      return false;
    }
    Value* container = place(Value(type), cost);
    if (container == nullptr) {
      return false;
    }
    stack_.push_back(Frame{container});
    return true;
  }

  // "$", "$.a", "$.a[2]": where the innermost open container sits in the document.
  [[nodiscard]] std::string path_of_open_container() const {
    std::string path = "$";
    for (std::size_t i = 1; i < stack_.size(); ++i) {
      const Frame& parent = stack_[i - 1];
      if (parent.container->is_array()) {
        path += '[';
        path += std::to_string(parent.container->size() - 1);
        path += ']';
      } else {
        path += '.';
        path += *parent.key;
      }
    }
    return path;
  }

  // Where the next value goes: "$" (the root), "$.a[3]" (the next element of the open array) or
  // "$.a.b" (the current member of the open object).
  [[nodiscard]] std::string path_of_next() const {
    if (stack_.empty()) {
      return "$";
    }
    const Frame& frame = stack_.back();
    if (frame.container->is_array()) {
      return path_of_open_container() + "[" + std::to_string(frame.container->size()) + "]";
    }
    return path_of_open_container() + "." + (frame.key != nullptr ? *frame.key : std::string());
  }

  Value& root_;
  std::uint64_t max_heap_bytes_;
  std::uint64_t heap_bytes_ = 0;  // what the Value holds now, by dom_memory.hpp's model
  std::vector<Frame> stack_;
  bool too_deep_ = false;
  std::string duplicate_key_;
  std::string duplicate_path_;
  bool over_budget_ = false;
  std::string over_budget_path_;
  std::size_t error_position_ = 0;
  std::string error_detail_;
};

// The common case, parsed without nlohmann's lexer (which reads a character at a time through
// an input adapter: about 100 instructions per byte of a request; with this parser a whole
// parse, building the Value included, takes about half the time). It accepts a subset of what the
// full parser accepts and builds the same Value: objects, arrays, literals, strings of valid UTF-8
// with the short escapes, integers of up to 18 digits and decimals std::from_chars converts
// exactly. On anything else — an error of any kind, a \u escape, a byte order mark, a repeated key,
// nesting past kMaxJsonDepth, a number it does not convert itself — it gives up and the full parser
// reads the text from the start, so errors, their positions and messages, and every unusual form
// keep exactly one implementation. A text given up late costs the fast parser's work on top of the
// full parse, at most about half again.
class FastParser {
 public:
  explicit FastParser(std::string_view text) : at_(text.data()), end_(text.data() + text.size()) {}

  std::optional<Value> parse() {
    skip_whitespace();
    Value result;
    if (!value(result, 0)) {
      return std::nullopt;
    }
    skip_whitespace();
    if (at_ != end_) {
      return std::nullopt;
    }
    return result;
  }

 private:
  void skip_whitespace() {
    while (at_ != end_ && (*at_ == ' ' || *at_ == '\n' || *at_ == '\r' || *at_ == '\t')) {
      ++at_;
    }
  }

  bool value(Value& out, std::size_t depth) {
    if (at_ == end_) {
      return false;
    }
    switch (*at_) {
      case '{':
        return object(out, depth + 1);
      case '[':
        return array(out, depth + 1);
      case '"': {
        std::string text;
        if (!string(text)) {
          return false;
        }
        out = Value(std::move(text));
        return true;
      }
      case 't':
        return literal("true", Value(true), out);
      case 'f':
        return literal("false", Value(false), out);
      case 'n':
        return literal("null", Value(nullptr), out);
      default:
        return number(out);
    }
  }

  bool literal(std::string_view word, Value&& literal_value, Value& out) {
    if (static_cast<std::size_t>(end_ - at_) < word.size() ||
        std::string_view(at_, word.size()) != word) {
      return false;
    }
    at_ += word.size();
    out = std::move(literal_value);
    return true;
  }

  bool object(Value& out, std::size_t depth) {
    if (depth > kMaxJsonDepth) {
      return false;
    }
    ++at_;  // '{'
    out = Value::object();
    auto& members = *out.get_ptr<Value::object_t*>();
    return elements('}', [&] {
      std::string key;
      if (at_ == end_ || *at_ != '"' || !string(key)) {
        return false;
      }
      skip_whitespace();
      if (!take(':')) {
        return false;
      }
      skip_whitespace();
      const auto [member, inserted] = members.try_emplace(std::move(key));
      // A repeated key is the full parser's to report, with its path.
      return inserted && value(member->second, depth);
    });
  }

  bool array(Value& out, std::size_t depth) {
    if (depth > kMaxJsonDepth) {
      return false;
    }
    ++at_;  // '['
    out = Value::array();
    auto& items = *out.get_ptr<Value::array_t*>();
    return elements(']', [&] { return value(items.emplace_back(), depth); });
  }

  // The members of an object or the items of an array, after the opening bracket: `element`
  // reads one; then `close` ends the container, or a comma comes before the next one.
  template <typename Element>
  bool elements(char close, Element element) {
    skip_whitespace();
    if (take(close)) {
      return true;
    }
    while (true) {
      if (!element()) {
        return false;
      }
      skip_whitespace();
      if (take(close)) {
        return true;
      }
      if (!take(',')) {
        return false;
      }
      skip_whitespace();
    }
  }

  // Steps over `expected` when it is the next byte.
  bool take(char expected) {
    if (at_ == end_ || *at_ != expected) {
      return false;
    }
    ++at_;
    return true;
  }

  // A string token (at_ on its opening quote) into `out`.
  bool string(std::string& out) {
    ++at_;  // '"'
    while (true) {
      // The run of bytes that need no attention is copied at once.
      const char* run = at_;
      while (at_ != end_ && static_cast<unsigned char>(*at_) >= 0x20 &&
             static_cast<unsigned char>(*at_) < 0x80 && *at_ != '"' && *at_ != '\\') {
        ++at_;
      }
      out.append(run, at_);
      if (at_ == end_) {
        return false;
      }
      const auto byte = static_cast<unsigned char>(*at_);
      if (byte == '"') {
        ++at_;
        return true;
      }
      if (byte == '\\') {
        if (!escape(out)) {
          return false;
        }
      } else if (byte >= 0x80) {
        if (!utf8_sequence(out)) {
          return false;
        }
      } else {
        return false;  // a control character: not allowed unescaped
      }
    }
  }

  bool escape(std::string& out) {
    if (end_ - at_ < 2) {
      return false;
    }
    char decoded = 0;
    switch (at_[1]) {
      case '"':
        decoded = '"';
        break;
      case '\\':
        decoded = '\\';
        break;
      case '/':
        decoded = '/';
        break;
      case 'b':
        decoded = '\b';
        break;
      case 'f':
        decoded = '\f';
        break;
      case 'n':
        decoded = '\n';
        break;
      case 'r':
        decoded = '\r';
        break;
      case 't':
        decoded = '\t';
        break;
      default:
        return false;  // \u (surrogate pairs and their errors) is the full parser's
    }
    out.push_back(decoded);
    at_ += 2;
    return true;
  }

  // One well-formed UTF-8 sequence of 2 to 4 bytes (RFC 3629: no overlong forms, no surrogates,
  // nothing above U+10FFFF), as the full parser checks them.
  bool utf8_sequence(std::string& out) {
    const auto b0 = static_cast<unsigned char>(at_[0]);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      length = 3;
      low = b0 == 0xE0 ? 0xA0 : 0x80;
      high = b0 == 0xED ? 0x9F : 0xBF;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      length = 4;
      low = b0 == 0xF0 ? 0x90 : 0x80;
      high = b0 == 0xF4 ? 0x8F : 0xBF;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end_ - at_) < length) {
      return false;
    }
    const auto b1 = static_cast<unsigned char>(at_[1]);
    if (b1 < low || b1 > high) {
      return false;
    }
    for (std::size_t i = 2; i < length; ++i) {
      if ((static_cast<unsigned char>(at_[i]) & 0xC0U) != 0x80U) {
        return false;
      }
    }
    out.append(at_, length);
    at_ += length;
    return true;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? — the types the full parser gives: a
  // non-negative integer is unsigned, a negative one signed, `-0` the float -0.0 (as
  // StrictDomBuilder makes it), a fraction or exponent a double.
  bool number(Value& out) {
    const char* start = at_;
    const bool negative = *at_ == '-';
    if (negative) {
      ++at_;
    }
    const char* digits = at_;
    if (at_ == end_ || !is_digit(*at_)) {
      return false;
    }
    if (*at_ == '0') {
      ++at_;
    } else {
      while (at_ != end_ && is_digit(*at_)) {
        ++at_;
      }
    }
    const std::size_t integer_digits = static_cast<std::size_t>(at_ - digits);
    bool is_float = false;
    if (at_ != end_ && *at_ == '.') {
      is_float = true;
      ++at_;
      if (!skip_digits()) {
        return false;
      }
    }
    if (at_ != end_ && (*at_ == 'e' || *at_ == 'E')) {
      is_float = true;
      ++at_;
      if (at_ != end_ && (*at_ == '+' || *at_ == '-')) {
        ++at_;
      }
      if (!skip_digits()) {
        return false;
      }
    }
    if (is_float) {
      double parsed = 0;
      const auto [end, error] = std::from_chars(start, at_, parsed);
      if (error != std::errc() || end != at_) {
        return false;  // overflow and underflow are the full parser's to judge
      }
      out = Value(parsed);
      return true;
    }
    if (integer_digits > 18) {
      return false;  // may not fit 64 bits: the full parser decides between integer and float
    }
    std::uint64_t magnitude = 0;
    for (const char* digit = digits; digit != at_; ++digit) {
      magnitude = magnitude * 10 + static_cast<std::uint64_t>(*digit - '0');
    }
    if (!negative) {
      out = Value(magnitude);
    } else if (magnitude == 0) {
      out = Value(-0.0);
    } else {
      out = Value(-static_cast<std::int64_t>(magnitude));
    }
    return true;
  }

  bool skip_digits() {
    const char* first = at_;
    while (at_ != end_ && is_digit(*at_)) {
      ++at_;
    }
    return at_ != first;
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  const char* at_;
  const char* end_;
};

// No JSON text makes a Value that takes more than about 33 times its size on the heap (an
// element `{},` of an array: the object and its slot in a growing array); with this margin the
// parse memory budget cannot be reached by a text the fast parser reads, so it needs no account.
constexpr std::uint64_t kFastPathHeapFactor = 64;

}  // namespace

std::expected<Value, JsonParseError> parse_json(std::string_view text) {
  auto parsed = parse_json(text, parse_memory_budget(text.size()));
  if (!parsed && parsed.error().kind() == JsonParseError::Kind::OverBudget) {
    const JsonParseError& error = parsed.error();
    parsed = std::unexpected(JsonParseError(
        error.kind(),
        error.message() + " (" + std::to_string(kParseMemoryFactor) + " x the text's " +
            std::to_string(text.size()) + " bytes + " + std::to_string(kParseMemoryFloor) + ")",
        error.line(), error.column(), error.path()));
  }
  return parsed;
}

std::expected<Value, JsonParseError> parse_json(std::string_view text,
                                                std::uint64_t max_heap_bytes) {
  if (text.size() <= max_heap_bytes / kFastPathHeapFactor) {
    if (std::optional<Value> parsed = FastParser(text).parse()) {
      return std::move(*parsed);
    }
  }
  Value result;
  StrictDomBuilder builder(result, max_heap_bytes);
  const bool ok = Value::sax_parse(text.data(), text.data() + text.size(), &builder,
                                   nlohmann::detail::input_format_t::json, /*strict=*/true);
  if (ok) {
    return result;
  }

  if (builder.over_budget()) {
    const std::string& path = builder.over_budget_path();
    return std::unexpected(
        JsonParseError(JsonParseError::Kind::OverBudget,
                       "document too large to parse: at " + path +
                           " its parsed form would take more than the parse memory budget of " +
                           std::to_string(max_heap_bytes) + " bytes",
                       0, 0, path));
  }
  if (builder.too_deep()) {
    const Position pos = position_of(text, offset_of_level(text, kMaxJsonDepth + 1));
    return std::unexpected(JsonParseError(JsonParseError::Kind::TooDeep,
                                          "nesting too deep at line " + std::to_string(pos.line) +
                                              ", column " + std::to_string(pos.column) +
                                              ": more than " + std::to_string(kMaxJsonDepth) +
                                              " nested arrays/objects",
                                          pos.line, pos.column));
  }
  if (!builder.duplicate_path().empty()) {
    const std::string& path = builder.duplicate_path();
    return std::unexpected(JsonParseError(JsonParseError::Kind::DuplicateKey,
                                          "duplicate key \"" + builder.duplicate_key() + "\" at " +
                                              path + " (an object may not repeat a key)",
                                          0, 0, path));
  }
  // nlohmann's position counts the bytes read, including the offending one.
  const std::size_t offset = builder.error_position() == 0 ? 0 : builder.error_position() - 1;
  const Position pos = position_of(text, offset);
  return std::unexpected(JsonParseError(JsonParseError::Kind::Syntax,
                                        "syntax error at line " + std::to_string(pos.line) +
                                            ", column " + std::to_string(pos.column) + ": " +
                                            builder.error_detail(),
                                        pos.line, pos.column));
}

std::uint64_t max_document_bytes() {
  const char* text = std::getenv("TRAVERSE_MAX_DOCUMENT_BYTES");
  if (text == nullptr || *text == '\0') {
    return kDefaultMaxDocumentBytes;
  }
  std::uint64_t value = 0;
  const char* end = text + std::strlen(text);
  const auto [next, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || value == 0) {
    return kDefaultMaxDocumentBytes;
  }
  unsigned shift = 0;
  if (next != end) {
    if (next + 1 != end) {
      return kDefaultMaxDocumentBytes;
    }
    switch (*next) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      default:
        return kDefaultMaxDocumentBytes;
    }
  }
  if (value > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
    return kDefaultMaxDocumentBytes;
  }
  return value << shift;
}

std::expected<Value, JsonParseError> parse_json_file(const std::filesystem::path& path,
                                                     std::uint64_t max_bytes) {
  auto text = read_regular_file(path, max_bytes);
  if (!text) {
    return std::unexpected(JsonParseError(text.error().kind() == FileReadError::Kind::TooLarge
                                              ? JsonParseError::Kind::TooLarge
                                              : JsonParseError::Kind::Io,
                                          text.error().message()));
  }
  return parse_json(*text);
}

namespace {

std::string_view file_type_name(mode_t mode) {
  if (S_ISCHR(mode)) {
    return "character device";
  }
  if (S_ISBLK(mode)) {
    return "block device";
  }
  if (S_ISFIFO(mode)) {
    return "FIFO";
  }
  if (S_ISSOCK(mode)) {
    return "socket";
  }
  return "special file";
}

FileReadError too_large(std::uint64_t size, std::uint64_t max_bytes, bool at_least) {
  return FileReadError{FileReadError::Kind::TooLarge,
                       std::string("file is ") + (at_least ? "more than " : "") +
                           std::to_string(size) + " bytes, larger than the limit of " +
                           std::to_string(max_bytes) + " bytes"};
}

}  // namespace

std::expected<std::string, FileReadError> read_regular_file(const std::filesystem::path& path,
                                                            std::uint64_t max_bytes) {
  const auto os_error = [](int err) {
    return std::unexpected(
        FileReadError{FileReadError::Kind::Io, std::system_category().message(err)});
  };
  // Type and size first, without opening: opening a FIFO would block, reading a device would
  // never end.
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return os_error(errno);
  }
  if (S_ISDIR(info.st_mode)) {
    return os_error(EISDIR);
  }
  if (!S_ISREG(info.st_mode)) {
    return std::unexpected(
        FileReadError{FileReadError::Kind::NotRegularFile,
                      "not a regular file (" + std::string(file_type_name(info.st_mode)) + ")"});
  }
  if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
    return std::unexpected(too_large(static_cast<std::uint64_t>(info.st_size), max_bytes, false));
  }

  // O_NONBLOCK: if the path was swapped for a FIFO since stat, open must not block either.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return os_error(errno);
  }
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    const int err = errno;
    ::close(fd);
    if (!S_ISREG(info.st_mode)) {
      return std::unexpected(FileReadError{FileReadError::Kind::NotRegularFile,
                                           "not a regular file (replaced while being opened)"});
    }
    return os_error(err);
  }

  std::string contents;
  contents.reserve(static_cast<std::size_t>(
      std::min<std::uint64_t>(static_cast<std::uint64_t>(info.st_size), max_bytes)));
  char buffer[64 * 1024];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int err = errno;
      ::close(fd);
      return os_error(err);
    }
    if (got == 0) {
      break;
    }
    if (contents.size() + static_cast<std::size_t>(got) > max_bytes) {
      ::close(fd);
      return std::unexpected(too_large(max_bytes, max_bytes, true));
    }
    contents.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return contents;
}

std::expected<std::string, FileReadError> read_file(const std::filesystem::path& path,
                                                    std::uint64_t max_bytes) {
  return read_regular_file(path, max_bytes);
}

std::string_view to_string(JsonParseError::Kind kind) {
  switch (kind) {
    case JsonParseError::Kind::Syntax:
      return "Syntax";
    case JsonParseError::Kind::TooDeep:
      return "TooDeep";
    case JsonParseError::Kind::Io:
      return "Io";
    case JsonParseError::Kind::TooLarge:
      return "TooLarge";
    case JsonParseError::Kind::DuplicateKey:
      return "DuplicateKey";
    case JsonParseError::Kind::OverBudget:
      return "OverBudget";
  }
  return "Unknown";
}

std::string JsonParseError::to_string() const {
  return std::string(traverse::to_string(kind_)) + ": " + message_;
}

std::string_view to_string(FileReadError::Kind kind) {
  switch (kind) {
    case FileReadError::Kind::Io:
      return "Io";
    case FileReadError::Kind::NotRegularFile:
      return "NotRegularFile";
    case FileReadError::Kind::TooLarge:
      return "TooLarge";
  }
  return "Unknown";
}

std::string FileReadError::to_string() const {
  return std::string(traverse::to_string(kind_)) + ": " + message_;
}

}  // namespace traverse
