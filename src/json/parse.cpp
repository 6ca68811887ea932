// Strict, non-throwing JSON parsing with a nesting limit.
//
// nlohmann's SAX interface is driven with a DOM-building handler that counts nesting and stops
// the parser (by returning false) as soon as a container would exceed kMaxJsonDepth, so neither
// the parser nor anything that later walks the Value recursively can be handed a document deep
// enough to exhaust the stack. Syntax errors arrive through the handler's parse_error() instead
// of as exceptions.
#include "traverse/json/parse.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

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

class DepthLimitedDomBuilder : public nlohmann::detail::json_sax_dom_parser<Value> {
  using Base = nlohmann::detail::json_sax_dom_parser<Value>;

 public:
  explicit DepthLimitedDomBuilder(Value& result) : Base(result, /*allow_exceptions=*/false) {}

  bool start_object(std::size_t elements) {
    if (++depth_ > kMaxJsonDepth) {
      too_deep_ = true;
      return false;
    }
    return Base::start_object(elements);
  }
  bool end_object() {
    --depth_;
    return Base::end_object();
  }
  bool start_array(std::size_t elements) {
    if (++depth_ > kMaxJsonDepth) {
      too_deep_ = true;
      return false;
    }
    return Base::start_array(elements);
  }
  bool end_array() {
    --depth_;
    return Base::end_array();
  }
  // nlohmann reports every non-negative integer through number_unsigned, so a signed zero here
  // can only be the literal `-0`. The reference keeps it as the float -0.0; so do we.
  bool number_integer(number_integer_t value) {
    if (value == 0) {
      return Base::number_float(-0.0, "-0");
    }
    return Base::number_integer(value);
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& /*last_token*/, const Exception& ex) {
    error_position_ = position;
    error_detail_ = diagnostic_detail(ex.what());
    return false;
  }

  [[nodiscard]] bool too_deep() const { return too_deep_; }
  [[nodiscard]] std::size_t error_position() const { return error_position_; }
  [[nodiscard]] const std::string& error_detail() const { return error_detail_; }

 private:
  std::size_t depth_ = 0;
  bool too_deep_ = false;
  std::size_t error_position_ = 0;
  std::string error_detail_;
};

}  // namespace

std::expected<Value, JsonParseError> parse_json(std::string_view text) {
  Value result;
  DepthLimitedDomBuilder builder(result);
  const bool ok = Value::sax_parse(text.data(), text.data() + text.size(), &builder,
                                   nlohmann::detail::input_format_t::json, /*strict=*/true);
  if (ok) {
    return result;
  }

  JsonParseError error;
  if (builder.too_deep()) {
    const Position pos = position_of(text, offset_of_level(text, kMaxJsonDepth + 1));
    error.kind = JsonParseError::Kind::TooDeep;
    error.line = pos.line;
    error.column = pos.column;
    error.message = "nesting too deep at line " + std::to_string(pos.line) + ", column " +
                    std::to_string(pos.column) + ": more than " + std::to_string(kMaxJsonDepth) +
                    " nested arrays/objects";
    return std::unexpected(std::move(error));
  }
  // nlohmann's position counts the bytes read, including the offending one.
  const std::size_t offset = builder.error_position() == 0 ? 0 : builder.error_position() - 1;
  const Position pos = position_of(text, offset);
  error.kind = JsonParseError::Kind::Syntax;
  error.line = pos.line;
  error.column = pos.column;
  error.message = "syntax error at line " + std::to_string(pos.line) + ", column " +
                  std::to_string(pos.column) + ": " + builder.error_detail();
  return std::unexpected(std::move(error));
}

std::expected<Value, JsonParseError> parse_json_file(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) {
    JsonParseError error;
    error.kind = JsonParseError::Kind::Io;
    error.message = std::move(text.error());
    return std::unexpected(std::move(error));
  }
  return parse_json(*text);
}

std::expected<std::string, std::string> read_file(const std::filesystem::path& path) {
  const auto os_reason = [](int err) { return std::system_category().message(err); };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::unexpected(os_reason(errno));
  }

  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int err = errno;
    ::close(fd);
    return std::unexpected(os_reason(err));
  }
  if (S_ISDIR(info.st_mode)) {
    ::close(fd);
    return std::unexpected(os_reason(EISDIR));
  }

  std::string contents;
  if (S_ISREG(info.st_mode) && info.st_size > 0) {
    contents.reserve(static_cast<std::size_t>(info.st_size));
  }
  char buffer[64 * 1024];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int err = errno;
      ::close(fd);
      return std::unexpected(os_reason(err));
    }
    if (got == 0) {
      break;
    }
    contents.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return contents;
}

}  // namespace traverse
