// Canonical and pretty JSON serialisation (docs/formats.md "Canonical JSON").
//
// Both forms are written by one iterative walker (an explicit stack, no recursion), so a
// programmatically built Value of any depth serialises without exhausting the call stack.
#include "traverse/json/value.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace traverse {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when the bytes there are not well-formed.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  const std::size_t left = s.size() - i;
  const auto cont = [&](std::size_t k) { return (byte(k) & 0xC0U) == 0x80U; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    return left >= 2 && cont(i + 1) ? 2 : 0;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || !cont(i + 1) || !cont(i + 2)) {
      return 0;
    }
    const unsigned char b1 = byte(i + 1);
    if (b0 == 0xE0 && b1 < 0xA0) {  // overlong
      return 0;
    }
    if (b0 == 0xED && b1 > 0x9F) {  // UTF-16 surrogate
      return 0;
    }
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || !cont(i + 1) || !cont(i + 2) || !cont(i + 3)) {
      return 0;
    }
    const unsigned char b1 = byte(i + 1);
    if (b0 == 0xF0 && b1 < 0x90) {  // overlong
      return 0;
    }
    if (b0 == 0xF4 && b1 > 0x8F) {  // above U+10FFFF
      return 0;
    }
    return 4;
  }
  return 0;
}

// Quoted JSON string. Escapes only `"`, `\` and U+0000..U+001F (`\b \t \n \f \r` by name, the
// rest as `\u00XX` with lowercase hex); other bytes are copied. A byte that does not start a
// well-formed UTF-8 sequence (only possible in a Value built in code, never in a parsed one) is
// written as U+FFFD, so the output is always valid UTF-8 JSON.
void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    // Copy the longest run of bytes that need no attention in one go.
    std::size_t run = i;
    while (run < s.size()) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
        break;
      }
      ++run;
    }
    out.append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) {
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence_length(s, i);
      if (len == 0) {
        out.append(kReplacementCharacter);
        ++i;
      } else {
        out.append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4U]);
        out.push_back(kHex[c & 0x0FU]);
        break;
    }
    ++i;
  }
  out.push_back('"');
}

template <typename Int>
void append_integer(std::string& out, Int value) {
  std::array<char, 24> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), result.ptr);
}

// Shortest round-trip digits in the reference layout. With digits d1..dn and exponent k
// (value = 0.d1..dn x 10^k): 0 < k <= 16 fixed (".0" when integral); -5 < k <= 0 "0." + -k
// zeros + digits; otherwise d1[.d2..dn]e(k-1). NaN and infinities cannot come from parsing;
// they are written as `null`, as the reference's serializer does.
void append_double(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out.append("null");
    return;
  }
  std::array<char, 64> buf{};
  const auto result =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
  const std::string_view text(buf.data(), static_cast<std::size_t>(result.ptr - buf.data()));
  // text is "[-]d[.ddd]e(+|-)XX".
  std::size_t pos = 0;
  if (text[pos] == '-') {
    out.push_back('-');
    ++pos;
  }
  std::array<char, 32> digits{};
  std::size_t n = 0;
  while (pos < text.size() && text[pos] != 'e') {
    if (text[pos] != '.') {
      digits[n++] = text[pos];
    }
    ++pos;
  }
  int exponent = 0;
  ++pos;  // 'e'
  const bool negative_exponent = text[pos] == '-';
  ++pos;  // sign
  std::from_chars(text.data() + pos, text.data() + text.size(), exponent);
  if (negative_exponent) {
    exponent = -exponent;
  }

  const int k = exponent + 1;
  const auto count = static_cast<int>(n);
  if (k > 0 && k <= 16) {
    if (count <= k) {
      out.append(digits.data(), n);
      out.append(static_cast<std::size_t>(k - count), '0');
      out.append(".0");
    } else {
      out.append(digits.data(), static_cast<std::size_t>(k));
      out.push_back('.');
      out.append(digits.data() + k, static_cast<std::size_t>(count - k));
    }
  } else if (k > -5 && k <= 0) {
    out.append("0.");
    out.append(static_cast<std::size_t>(-k), '0');
    out.append(digits.data(), n);
  } else {
    out.push_back(digits[0]);
    if (n > 1) {
      out.push_back('.');
      out.append(digits.data() + 1, n - 1);
    }
    out.push_back('e');
    append_integer(out, k - 1);
  }
}

void append_scalar(std::string& out, const Value& value) {
  switch (value.type()) {
    case Value::value_t::null:
    case Value::value_t::discarded:
      out.append("null");
      break;
    case Value::value_t::boolean:
      out.append(value.get<bool>() ? "true" : "false");
      break;
    case Value::value_t::number_integer:
      append_integer(out, value.get<std::int64_t>());
      break;
    case Value::value_t::number_unsigned:
      append_integer(out, value.get<std::uint64_t>());
      break;
    case Value::value_t::number_float:
      append_double(out, value.get<double>());
      break;
    case Value::value_t::string:
      append_string(out, value.get_ref<const std::string&>());
      break;
    case Value::value_t::binary: {
      // Not producible from JSON text; written as an array of byte values.
      out.push_back('[');
      bool first = true;
      for (const auto byte : value.get_binary()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        append_integer(out, static_cast<unsigned>(byte));
      }
      out.push_back(']');
      break;
    }
    case Value::value_t::object:
    case Value::value_t::array:
      break;  // handled by the walker
  }
}

// `indent` < 0: compact. Otherwise pretty with `indent` spaces per level.
std::string dump(const Value& root, int indent) {
  struct Frame {
    const Value* container;
    Value::const_iterator it;
    bool first;
  };
  const bool pretty = indent >= 0;
  std::string out;
  std::vector<Frame> stack;

  const auto newline = [&](std::size_t depth) {
    out.push_back('\n');
    out.append(depth * static_cast<std::size_t>(indent), ' ');
  };
  // Writes a scalar or an empty container, or opens a non-empty one (pushing a frame).
  const auto begin_value = [&](const Value& value) {
    if (value.is_object() || value.is_array()) {
      const char open = value.is_object() ? '{' : '[';
      const char close = value.is_object() ? '}' : ']';
      out.push_back(open);
      if (value.empty()) {
        out.push_back(close);
      } else {
        stack.push_back(Frame{&value, value.cbegin(), true});
      }
      return;
    }
    append_scalar(out, value);
  };

  begin_value(root);
  while (!stack.empty()) {
    Frame& frame = stack.back();
    if (frame.it == frame.container->cend()) {
      const char close = frame.container->is_object() ? '}' : ']';
      stack.pop_back();
      if (pretty) {
        newline(stack.size());
      }
      out.push_back(close);
      continue;
    }
    if (!frame.first) {
      out.push_back(',');
    }
    frame.first = false;
    if (pretty) {
      newline(stack.size());
    }
    if (frame.container->is_object()) {
      append_string(out, frame.it.key());
      out.append(pretty ? ": " : ":");
    }
    const Value& child = *frame.it;
    ++frame.it;
    begin_value(child);  // may push, invalidating `frame`
  }
  return out;
}

}  // namespace

std::string canonical_dump(const Value& value) {
  return dump(value, -1);
}

std::string pretty_dump(const Value& value) {
  return dump(value, 2);
}

}  // namespace traverse
