// SchemaValidator: JSON Schema (docs/compatibility.md D5 keywords) compiled once into a flat node
// table.
//
// compile() walks the schema document once, breadth-first from a work list (no recursion), and
// produces `Compiled`: a vector of nodes addressed by index, each holding precomputed type masks
// and messages, sorted property tables, compiled regular expressions and the node indices of its
// subschemas. `$ref` targets are resolved at compile time to node indices (each distinct target
// is compiled once, so recursive references are just cycles in the index graph; cycles that
// never descend into the instance are rejected). validate() only reads that table.
//
// Choices the public header leaves open:
// - Instance paths: `$` root, `.key` for keys matching [A-Za-z_$][A-Za-z0-9_$-]*, otherwise
//   `["key"]` with the key JSON-escaped (e.g. `$["a b"][2]`); `[i]` for array items. Schema
//   paths in compile errors use the same notation, rooted at the schema document.
// - `$ref` is applied together with its sibling keywords (JSON Schema 2019-09+ behaviour).
// - `exclusiveMinimum`/`exclusiveMaximum` accept the number form (draft 6+) and the boolean
//   form modifying `minimum`/`maximum` (draft 4).
// - `pattern` uses ECMAScript std::regex in libstdc++'s polynomial (non-backtracking) mode, so
//   back-references are an InvalidSchema; strings longer than kMaxPatternSubjectBytes are
//   reported instead of matched (matching cost grows faster than linearly with length).
// - minLength/maxLength count Unicode code points.
// - Validation nesting (instance depth plus schema recursion) is capped at kMaxValidationDepth;
//   going deeper is reported as a violation rather than risking the stack. Schemas nested deeper
//   than kMaxJsonDepth (only possible when built in code) are an InvalidSchema.
// - enum/const/uniqueItems compare JSON values structurally with numbers by exact value
//   (1 == 1.0; 2^53 + 1 != 2^53).
#include "traverse/contracts/schema_validator.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <compare>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

// GCC 12 reports a false -Wmaybe-uninitialized inside <regex>'s NFA builder at -O1 and above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

#include "traverse/json/parse.hpp"

namespace traverse {
namespace schema_detail {

constexpr std::size_t kMaxValidationDepth = 512;
constexpr std::size_t kMaxPatternSubjectBytes = 4096;
constexpr std::size_t kMaxEqualityDepth = 1024;
constexpr std::size_t kMaxMessageValueBytes = 200;
constexpr std::size_t kMaxBranchDetails = 8;

constexpr std::string_view kInvalidSchema = "InvalidSchema";
constexpr std::string_view kSchemaViolation = "SchemaViolation";

using NodeId = std::uint32_t;
constexpr NodeId kNoNode = std::numeric_limits<NodeId>::max();

enum TypeBit : std::uint8_t {
  kNullBit = 1U << 0U,
  kBooleanBit = 1U << 1U,
  kObjectBit = 1U << 2U,
  kArrayBit = 1U << 3U,
  kNumberBit = 1U << 4U,   // any JSON number
  kIntegerBit = 1U << 5U,  // a JSON integer (not `1.0`)
  kStringBit = 1U << 6U,
};

enum class Format { None, DateTime, Date, Uuid, Uri };

struct NumericBound {
  Value limit;
  bool exclusive = false;
  std::string keyword;  // the keyword that set it, for messages
};

struct Node {
  std::string schema_path;     // where this node came from, for compile errors
  bool reject_all = false;     // the `false` schema
  std::uint8_t type_mask = 0;  // 0: any type
  std::string type_message;
  std::vector<std::string> required;
  std::vector<std::pair<std::string, NodeId>> properties;  // sorted by key
  bool additional_forbidden = false;
  NodeId additional = kNoNode;
  NodeId items = kNoNode;
  bool has_enum = false;
  std::vector<Value> enum_values;
  std::string enum_message;
  bool has_const = false;
  Value const_value;
  std::string const_message;
  Format format = Format::None;
  std::string format_name;
  std::optional<std::uint64_t> min_length;
  std::optional<std::uint64_t> max_length;
  std::optional<std::regex> pattern;
  std::string pattern_source;
  std::optional<NumericBound> lower;            // minimum (possibly draft-4 exclusive)
  std::optional<NumericBound> upper;            // maximum (possibly draft-4 exclusive)
  std::optional<NumericBound> exclusive_lower;  // exclusiveMinimum (number form)
  std::optional<NumericBound> exclusive_upper;  // exclusiveMaximum (number form)
  std::optional<std::uint64_t> min_items;
  std::optional<std::uint64_t> max_items;
  bool unique_items = false;
  std::vector<NodeId> all_of;
  std::vector<NodeId> any_of;
  std::vector<NodeId> one_of;
  NodeId not_schema = kNoNode;
  NodeId ref = kNoNode;
};

// ---------------------------------------------------------------------------------------------
// Paths

bool is_plain_key(std::string_view key) {
  if (key.empty()) {
    return false;
  }
  const auto ident_start = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
  };
  if (!ident_start(key.front())) {
    return false;
  }
  return std::all_of(key.begin() + 1, key.end(),
                     [&](char c) { return ident_start(c) || (c >= '0' && c <= '9') || c == '-'; });
}

void append_key(std::string& path, std::string_view key) {
  if (is_plain_key(key)) {
    path.push_back('.');
    path.append(key);
  } else {
    path.push_back('[');
    path.append(canonical_dump(Value(std::string(key))));
    path.push_back(']');
  }
}

void append_index(std::string& path, std::size_t index) {
  path.push_back('[');
  path.append(std::to_string(index));
  path.push_back(']');
}

std::string child_key(std::string path, std::string_view key) {
  append_key(path, key);
  return path;
}

std::string child_index(std::string path, std::size_t index) {
  append_index(path, index);
  return path;
}

// A value in a message, shortened when long.
std::string show(const Value& value) {
  std::string text = canonical_dump(value);
  if (text.size() > kMaxMessageValueBytes) {
    text.resize(kMaxMessageValueBytes);
    text += "...";
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Numbers and equality (JSON Schema semantics: 1 == 1.0, compared exactly)

std::partial_ordering compare_int_double(std::int64_t i, double d) {
  if (std::isnan(d)) {
    return std::partial_ordering::unordered;
  }
  if (d >= 9223372036854775808.0) {
    return std::partial_ordering::less;
  }
  if (d < -9223372036854775808.0) {
    return std::partial_ordering::greater;
  }
  const double floor_d = std::floor(d);
  const auto fi = static_cast<std::int64_t>(floor_d);
  if (i < fi) {
    return std::partial_ordering::less;
  }
  if (i > fi) {
    return std::partial_ordering::greater;
  }
  return d > floor_d ? std::partial_ordering::less : std::partial_ordering::equivalent;
}

std::partial_ordering compare_uint_double(std::uint64_t u, double d) {
  if (std::isnan(d)) {
    return std::partial_ordering::unordered;
  }
  if (d < 0.0) {
    return std::partial_ordering::greater;
  }
  if (d >= 18446744073709551616.0) {
    return std::partial_ordering::less;
  }
  const double floor_d = std::floor(d);
  const auto fu = static_cast<std::uint64_t>(floor_d);
  if (u < fu) {
    return std::partial_ordering::less;
  }
  if (u > fu) {
    return std::partial_ordering::greater;
  }
  return d > floor_d ? std::partial_ordering::less : std::partial_ordering::equivalent;
}

std::partial_ordering reverse(std::partial_ordering order) {
  if (order == std::partial_ordering::less) {
    return std::partial_ordering::greater;
  }
  if (order == std::partial_ordering::greater) {
    return std::partial_ordering::less;
  }
  return order;
}

// REQUIRES: both are numbers.
std::partial_ordering compare_numbers(const Value& a, const Value& b) {
  using T = Value::value_t;
  const T ta = a.type();
  const T tb = b.type();
  if (ta == T::number_float && tb == T::number_float) {
    return a.get<double>() <=> b.get<double>();
  }
  if (ta == T::number_float) {
    return reverse(compare_numbers(b, a));
  }
  // a is an integer from here on.
  if (tb == T::number_float) {
    return ta == T::number_integer ? compare_int_double(a.get<std::int64_t>(), b.get<double>())
                                   : compare_uint_double(a.get<std::uint64_t>(), b.get<double>());
  }
  if (ta == T::number_integer && tb == T::number_integer) {
    return a.get<std::int64_t>() <=> b.get<std::int64_t>();
  }
  if (ta == T::number_unsigned && tb == T::number_unsigned) {
    return a.get<std::uint64_t>() <=> b.get<std::uint64_t>();
  }
  if (ta == T::number_integer) {  // signed vs unsigned
    const auto i = a.get<std::int64_t>();
    if (i < 0) {
      return std::partial_ordering::less;
    }
    return static_cast<std::uint64_t>(i) <=> b.get<std::uint64_t>();
  }
  return reverse(compare_numbers(b, a));
}

// Structural equality with numbers compared by value. Values nested deeper than
// kMaxEqualityDepth compare unequal (only possible for Values built in code).
bool json_equal(const Value& a, const Value& b, std::size_t depth = 0) {
  if (depth > kMaxEqualityDepth) {
    return false;
  }
  if (a.is_number() && b.is_number()) {
    return compare_numbers(a, b) == 0;
  }
  if (a.type() != b.type()) {
    return false;
  }
  switch (a.type()) {
    case Value::value_t::array: {
      if (a.size() != b.size()) {
        return false;
      }
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!json_equal(a[i], b[i], depth + 1)) {
          return false;
        }
      }
      return true;
    }
    case Value::value_t::object: {
      if (a.size() != b.size()) {
        return false;
      }
      auto ib = b.begin();
      for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib) {
        if (ia.key() != ib.key() || !json_equal(*ia, *ib, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    default:
      return a == b;
  }
}

std::size_t mix(std::size_t seed, std::size_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6U) + (seed >> 2U));
}

// A hash consistent with json_equal (equal values hash equal; 1 and 1.0 included).
std::size_t json_hash(const Value& v, std::size_t depth = 0) {
  if (depth > kMaxEqualityDepth) {
    return 0;
  }
  switch (v.type()) {
    case Value::value_t::null:
      return 0x6e756c6cU;
    case Value::value_t::boolean:
      return v.get<bool>() ? 0x74U : 0x66U;
    case Value::value_t::string:
      return std::hash<std::string_view>{}(v.get_ref<const std::string&>());
    case Value::value_t::number_integer:
      return std::hash<std::int64_t>{}(v.get<std::int64_t>());
    case Value::value_t::number_unsigned: {
      const auto u = v.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::hash<std::int64_t>{}(static_cast<std::int64_t>(u));
      }
      return mix(0x75U, std::hash<std::uint64_t>{}(u));
    }
    case Value::value_t::number_float: {
      const double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d)) {
        if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
          return std::hash<std::int64_t>{}(static_cast<std::int64_t>(d));
        }
        if (d >= 0.0 && d < 18446744073709551616.0) {
          return mix(0x75U, std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(d)));
        }
      }
      return std::hash<double>{}(d);
    }
    case Value::value_t::array: {
      std::size_t seed = 0x61U;
      for (const auto& item : v) {
        seed = mix(seed, json_hash(item, depth + 1));
      }
      return seed;
    }
    case Value::value_t::object: {
      std::size_t seed = 0x6fU;
      for (auto it = v.begin(); it != v.end(); ++it) {
        seed = mix(seed, std::hash<std::string_view>{}(it.key()));
        seed = mix(seed, json_hash(*it, depth + 1));
      }
      return seed;
    }
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Formats

bool digits(std::string_view s, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > s.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// RFC 3339 full-date: YYYY-MM-DD with a real calendar day.
bool is_full_date(std::string_view s) {
  int year = 0;
  int month = 0;
  int day = 0;
  return s.size() == 10 && digits(s, 0, 4, year) && s[4] == '-' && digits(s, 5, 2, month) &&
         s[7] == '-' && digits(s, 8, 2, day) && month >= 1 && month <= 12 && day >= 1 &&
         day <= days_in_month(year, month);
}

// RFC 3339 date-time: full-date "T" HH:MM:SS[.frac] ("Z" | +HH:MM | -HH:MM); T and Z in
// either case; second 60 allowed (leap second).
bool is_date_time(std::string_view s) {
  if (s.size() < 20 || !is_full_date(s.substr(0, 10))) {
    return false;
  }
  if (s[10] != 'T' && s[10] != 't') {
    return false;
  }
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
      !digits(s, 17, 2, second)) {
    return false;
  }
  if (hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  std::size_t pos = 19;
  if (s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ++pos;
    }
    if (pos == start) {
      return false;
    }
  }
  if (pos == s.size()) {
    return false;
  }
  if (s[pos] == 'Z' || s[pos] == 'z') {
    return pos + 1 == s.size();
  }
  if (s[pos] != '+' && s[pos] != '-') {
    return false;
  }
  int offset_hour = 0;
  int offset_minute = 0;
  return pos + 6 == s.size() && digits(s, pos + 1, 2, offset_hour) && s[pos + 3] == ':' &&
         digits(s, pos + 4, 2, offset_minute) && offset_hour <= 23 && offset_minute <= 59;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// 8-4-4-4-12 hexadecimal digits, either case.
bool is_uuid(std::string_view s) {
  if (s.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) {
      return false;
    }
  }
  return true;
}

// An absolute URI: scheme ":" rest, scheme = ALPHA *(ALPHA / DIGIT / "+" / "-" / "."), rest made
// of printable ASCII other than space and `"<>\^`{|}`, with every `%` followed by two hex digits.
bool is_uri(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s[0])) {
    return false;
  }
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = s[i];
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  for (std::size_t i = colon + 1; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return false;
    }
    if (std::string_view("\"<>\\^`{|}").find(static_cast<char>(c)) != std::string_view::npos) {
      return false;
    }
    if (c == '%' && (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))) {
      return false;
    }
  }
  return true;
}

bool matches_format(Format format, std::string_view s) {
  switch (format) {
    case Format::DateTime:
      return is_date_time(s);
    case Format::Date:
      return is_full_date(s);
    case Format::Uuid:
      return is_uuid(s);
    case Format::Uri:
      return is_uri(s);
    case Format::None:
      return true;
  }
  return true;
}

std::uint64_t code_point_count(std::string_view s) {
  return static_cast<std::uint64_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; }));
}

// ---------------------------------------------------------------------------------------------
// Compiler

struct TypeName {
  std::string_view name;
  std::uint8_t bits;
};
constexpr TypeName kTypeNames[] = {
    {"null", kNullBit},     {"boolean", kBooleanBit}, {"object", kObjectBit}, {"array", kArrayBit},
    {"number", kNumberBit}, {"integer", kIntegerBit}, {"string", kStringBit},
};

class Compiler {
 public:
  explicit Compiler(const Value& root) : root_(root) {}

  NodeId compile_root() {
    const NodeId root = new_node();
    ref_nodes_.emplace("", root);  // "$ref": "#" is the root itself
    pending_.push_back(Pending{root, &root_, "$", 0});
    // Breadth-first over the schema document: compile_into only allocates node ids for
    // subschemas and queues them, so compiling never recurses, however deep the schema.
    while (!pending_.empty()) {
      Pending item = std::move(pending_.front());
      pending_.pop_front();
      depth_ = item.depth;
      compile_into(item.node, *item.schema, item.path);
    }
    if (errors_.empty()) {
      check_for_cycles();
    }
    return root;
  }

  ValidationErrors& errors() { return errors_; }
  std::vector<Node>& nodes() { return nodes_; }

 private:
  struct Pending {
    NodeId node;
    const Value* schema;
    std::string path;
    std::size_t depth;  // nesting of `schema` in the document, in JSON levels
  };

  void error(const std::string& path, std::string message) {
    errors_.push_back(ValidationError{std::string(kInvalidSchema), path, std::move(message), {}});
  }

  NodeId new_node() {
    nodes_.emplace_back();
    return static_cast<NodeId>(nodes_.size() - 1);
  }

  // A node id for `schema`, compiled later from the work list.
  // `levels`: how many JSON levels below the current schema it sits (1 for "items", 2 for
  // "properties"/name).
  NodeId compile_child(const Value& schema, std::string path, std::size_t levels) {
    const NodeId id = new_node();
    pending_.push_back(Pending{id, &schema, std::move(path), depth_ + levels});
    return id;
  }

  std::vector<NodeId> compile_list(const Value& list, const std::string& path,
                                   std::string_view kw) {
    std::vector<NodeId> out;
    if (!list.is_array() || list.empty()) {
      error(path, std::string(kw) + " must be a non-empty array of schemas");
      return out;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      out.push_back(compile_child(list[i], child_index(path, i), 2));
    }
    return out;
  }

  std::optional<std::uint64_t> non_negative_integer(const Value& value, const std::string& path,
                                                    std::string_view kw) {
    if (value.is_number_unsigned()) {
      return value.get<std::uint64_t>();
    }
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
      return static_cast<std::uint64_t>(value.get<std::int64_t>());
    }
    if (value.is_number_float()) {
      const double d = value.get<double>();
      if (d >= 0.0 && d == std::floor(d) && d < 18446744073709551616.0) {
        return static_cast<std::uint64_t>(d);
      }
    }
    error(path, std::string(kw) + " must be a non-negative integer");
    return std::nullopt;
  }

  std::optional<NumericBound> number(const Value& value, const std::string& path,
                                     std::string_view kw) {
    if (!value.is_number() || (value.is_number_float() && !std::isfinite(value.get<double>()))) {
      error(path, std::string(kw) + " must be a number");
      return std::nullopt;
    }
    return NumericBound{value, false, std::string(kw)};
  }

  void compile_type(Node& node, const Value& type, const std::string& path) {
    std::vector<std::string_view> names;
    if (type.is_string()) {
      names.push_back(type.get_ref<const std::string&>());
    } else if (type.is_array() && !type.empty()) {
      for (std::size_t i = 0; i < type.size(); ++i) {
        if (!type[i].is_string()) {
          error(child_index(path, i), "type names must be strings");
          return;
        }
        names.push_back(type[i].get_ref<const std::string&>());
      }
    } else {
      error(path, "type must be a type name or a non-empty array of type names");
      return;
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
      const auto* found = std::find_if(std::begin(kTypeNames), std::end(kTypeNames),
                                       [&](const TypeName& t) { return t.name == names[i]; });
      const std::string where = type.is_array() ? child_index(path, i) : path;
      if (found == std::end(kTypeNames)) {
        error(where, "unknown type \"" + std::string(names[i]) +
                         "\" (expected null, boolean, object, array, number, integer or string)");
        return;
      }
      if ((node.type_mask & found->bits) != 0) {
        error(where, "duplicate type \"" + std::string(names[i]) + "\"");
        return;
      }
      node.type_mask = static_cast<std::uint8_t>(node.type_mask | found->bits);
    }
    if (names.size() == 1) {
      node.type_message = "expected " + std::string(names[0]);
    } else {
      node.type_message = "expected one of [";
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
          node.type_message += ", ";
        }
        node.type_message += names[i];
      }
      node.type_message += "]";
    }
  }

  // Compiles `schema` into nodes_[id]; subschemas get node ids now and are compiled later.
  void compile_into(NodeId id, const Value& schema, const std::string& path) {
    Node node;
    node.schema_path = path;
    if (depth_ > kMaxJsonDepth) {
      // Only reachable for a schema built in code: parsed documents are never this deep.
      error(path, "schema nesting exceeds " + std::to_string(kMaxJsonDepth) + " levels");
    } else if (schema.is_boolean()) {
      node.reject_all = !schema.get<bool>();
    } else if (!schema.is_object()) {
      error(path, "schema must be an object or a boolean");
    } else {
      compile_assertions(node, schema, path);
      compile_subschemas(node, schema, path);
    }
    nodes_[id] = std::move(node);
  }

  static const Value* find(const Value& schema, std::string_view keyword) {
    const auto it = schema.find(keyword);
    return it == schema.end() ? nullptr : &*it;
  }

  void compile_subschemas(Node& node, const Value& schema, const std::string& path) {
    std::string at;
    if (const Value* v = find(schema, "properties")) {
      at = child_key(path, "properties");
      if (v->is_object()) {
        for (auto it = v->begin(); it != v->end(); ++it) {
          const NodeId child = compile_child(*it, child_key(at, it.key()), 2);
          node.properties.emplace_back(it.key(), child);  // std::map order: already sorted
        }
      } else {
        error(at, "properties must be an object of schemas");
      }
    }
    if (const Value* v = find(schema, "additionalProperties")) {
      if (v->is_boolean()) {
        node.additional_forbidden = !v->get<bool>();
      } else {
        node.additional = compile_child(*v, child_key(path, "additionalProperties"), 1);
      }
    }
    if (const Value* v = find(schema, "items")) {
      at = child_key(path, "items");
      if (v->is_array()) {
        error(at, "items must be a single schema (the array form is not supported)");
      } else {
        node.items = compile_child(*v, at, 1);
      }
    }
    if (const Value* v = find(schema, "allOf")) {
      node.all_of = compile_list(*v, child_key(path, "allOf"), "allOf");
    }
    if (const Value* v = find(schema, "anyOf")) {
      node.any_of = compile_list(*v, child_key(path, "anyOf"), "anyOf");
    }
    if (const Value* v = find(schema, "oneOf")) {
      node.one_of = compile_list(*v, child_key(path, "oneOf"), "oneOf");
    }
    if (const Value* v = find(schema, "not")) {
      node.not_schema = compile_child(*v, child_key(path, "not"), 1);
    }
  }

  // Every keyword without subschemas, and $ref.
  void compile_assertions(Node& node, const Value& schema, const std::string& path) {
    const auto at = [&](std::string_view kw) { return child_key(path, kw); };
    if (const Value* v = find(schema, "$ref")) {
      if (v->is_string()) {
        node.ref = resolve_ref(v->get_ref<const std::string&>(), at("$ref"));
      } else {
        error(at("$ref"), "$ref must be a string");
      }
    }
    if (const Value* v = find(schema, "type")) {
      compile_type(node, *v, at("type"));
    }
    if (const Value* v = find(schema, "required")) {
      if (v->is_array()) {
        for (std::size_t i = 0; i < v->size(); ++i) {
          const Value& name = (*v)[i];
          if (!name.is_string()) {
            error(child_index(at("required"), i), "required entries must be strings");
            continue;
          }
          const auto& key = name.get_ref<const std::string&>();
          if (std::find(node.required.begin(), node.required.end(), key) == node.required.end()) {
            node.required.push_back(key);
          }
        }
      } else {
        error(at("required"), "required must be an array of property names");
      }
    }
    if (const Value* v = find(schema, "enum")) {
      if (v->is_array()) {
        node.has_enum = true;
        node.enum_values.assign(v->begin(), v->end());
        node.enum_message = "must be one of " + show(*v);
      } else {
        error(at("enum"), "enum must be an array");
      }
    }
    if (const Value* v = find(schema, "const")) {
      node.has_const = true;
      node.const_value = *v;
      node.const_message = "must equal the const value " + show(*v);
    }
    if (const Value* v = find(schema, "format")) {
      if (v->is_string()) {
        const auto& name = v->get_ref<const std::string&>();
        node.format_name = name;
        if (name == "date-time") {
          node.format = Format::DateTime;
        } else if (name == "date") {
          node.format = Format::Date;
        } else if (name == "uuid") {
          node.format = Format::Uuid;
        } else if (name == "uri") {
          node.format = Format::Uri;
        }  // other formats are annotations only
      } else {
        error(at("format"), "format must be a string");
      }
    }
    if (const Value* v = find(schema, "minLength")) {
      node.min_length = non_negative_integer(*v, at("minLength"), "minLength");
    }
    if (const Value* v = find(schema, "maxLength")) {
      node.max_length = non_negative_integer(*v, at("maxLength"), "maxLength");
    }
    if (const Value* v = find(schema, "pattern")) {
      compile_pattern(node, *v, at("pattern"));
    }
    if (const Value* v = find(schema, "minimum")) {
      node.lower = number(*v, at("minimum"), "minimum");
    }
    if (const Value* v = find(schema, "maximum")) {
      node.upper = number(*v, at("maximum"), "maximum");
    }
    compile_exclusive(node, find(schema, "exclusiveMinimum"), at("exclusiveMinimum"), true);
    compile_exclusive(node, find(schema, "exclusiveMaximum"), at("exclusiveMaximum"), false);
    if (const Value* v = find(schema, "minItems")) {
      node.min_items = non_negative_integer(*v, at("minItems"), "minItems");
    }
    if (const Value* v = find(schema, "maxItems")) {
      node.max_items = non_negative_integer(*v, at("maxItems"), "maxItems");
    }
    if (const Value* v = find(schema, "uniqueItems")) {
      if (v->is_boolean()) {
        node.unique_items = v->get<bool>();
      } else {
        error(at("uniqueItems"), "uniqueItems must be a boolean");
      }
    }
  }

  void compile_pattern(Node& node, const Value& value, const std::string& path) {
    if (!value.is_string()) {
      error(path, "pattern must be a string");
      return;
    }
    node.pattern_source = value.get<std::string>();
    try {
      node.pattern.emplace(node.pattern_source,
                           std::regex::ECMAScript | std::regex_constants::__polynomial);
    } catch (const std::regex_error& e) {
      error(path, "pattern \"" + node.pattern_source +
                      "\" is not a supported regular expression: " + e.what());
    }
  }

  void compile_exclusive(Node& node, const Value* value, const std::string& path, bool lower) {
    if (value == nullptr) {
      return;
    }
    std::optional<NumericBound>& plain = lower ? node.lower : node.upper;
    if (value->is_boolean()) {  // draft 4: modifies minimum/maximum
      if (plain && value->get<bool>()) {
        plain->exclusive = true;
        plain->keyword = lower ? "exclusive minimum" : "exclusive maximum";
      }
      return;
    }
    const std::string_view kw = lower ? "exclusiveMinimum" : "exclusiveMaximum";
    auto bound = number(*value, path, kw);
    if (bound) {
      bound->exclusive = true;
    }
    (lower ? node.exclusive_lower : node.exclusive_upper) = std::move(bound);
  }

  // Resolves a local JSON pointer reference ("#", "#/definitions/a") to a node, compiling each
  // distinct target once (later, from the work list).
  NodeId resolve_ref(const std::string& ref, const std::string& path) {
    if (ref.empty() || ref.front() != '#') {
      error(path, "only local $ref (\"#...\") is supported, got \"" + ref + "\"");
      return kNoNode;
    }
    const std::string pointer = percent_decode(std::string_view(ref).substr(1));
    if (const auto it = ref_nodes_.find(pointer); it != ref_nodes_.end()) {
      return it->second;
    }
    if (!pointer.empty() && pointer.front() != '/') {
      error(path, "$ref \"" + ref + "\" is not a JSON pointer (anchors are not supported)");
      return kNoNode;
    }
    const Value* target = &root_;
    std::string target_path = "$";
    std::size_t pos = 0;
    std::size_t levels = 0;
    while (pos < pointer.size()) {
      ++levels;
      const std::size_t next = std::min(pointer.find('/', pos + 1), pointer.size());
      const std::string token = unescape_token(pointer.substr(pos + 1, next - pos - 1));
      pos = next;
      if (target->is_object()) {
        const auto it = target->find(token);
        if (it == target->end()) {
          target = nullptr;
          break;
        }
        target = &*it;
        append_key(target_path, token);
      } else if (const auto index = array_index(token);
                 target->is_array() && index && *index < target->size()) {
        target = &(*target)[*index];
        append_index(target_path, *index);
      } else {
        target = nullptr;
        break;
      }
    }
    if (target == nullptr) {
      error(path, "unresolvable $ref \"" + ref + "\"");
      return kNoNode;
    }
    const NodeId id = new_node();
    ref_nodes_.emplace(pointer, id);
    pending_.push_back(Pending{id, target, target_path, levels});
    return id;
  }

  static std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
        unsigned byte = 0;
        std::from_chars(s.data() + i + 1, s.data() + i + 3, byte, 16);
        out.push_back(static_cast<char>(byte));
        i += 2;
      } else {
        out.push_back(s[i]);
      }
    }
    return out;
  }

  // A JSON pointer array index: decimal digits without leading zeros.
  static std::optional<std::size_t> array_index(std::string_view token) {
    if (token.empty() || token.size() > 9 || (token.size() > 1 && token.front() == '0')) {
      return std::nullopt;
    }
    std::size_t index = 0;
    const auto result = std::from_chars(token.data(), token.data() + token.size(), index);
    if (result.ec != std::errc() || result.ptr != token.data() + token.size()) {
      return std::nullopt;
    }
    return index;
  }

  static std::string unescape_token(std::string_view token) {
    std::string out;
    for (std::size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
        out.push_back(token[i + 1] == '0' ? '~' : '/');
        ++i;
      } else {
        out.push_back(token[i]);
      }
    }
    return out;
  }

  // A cycle through edges that do not descend into the instance ($ref, allOf, anyOf, oneOf,
  // not) would recurse forever at validation time; such schemas are rejected.
  void check_for_cycles() {
    enum class Color : std::uint8_t { White, Grey, Black };
    std::vector<Color> color(nodes_.size(), Color::White);
    const auto edges = [&](NodeId id) {
      const Node& n = nodes_[id];
      std::vector<NodeId> out(n.all_of);
      out.insert(out.end(), n.any_of.begin(), n.any_of.end());
      out.insert(out.end(), n.one_of.begin(), n.one_of.end());
      if (n.not_schema != kNoNode) {
        out.push_back(n.not_schema);
      }
      if (n.ref != kNoNode) {
        out.push_back(n.ref);
      }
      return out;
    };
    struct Frame {
      NodeId id;
      std::vector<NodeId> next;
      std::size_t pos;
    };
    for (NodeId start = 0; start < nodes_.size(); ++start) {
      if (color[start] != Color::White) {
        continue;
      }
      std::vector<Frame> stack;
      stack.push_back(Frame{start, edges(start), 0});
      color[start] = Color::Grey;
      while (!stack.empty()) {
        Frame& top = stack.back();
        if (top.pos == top.next.size()) {
          color[top.id] = Color::Black;
          stack.pop_back();
          continue;
        }
        const NodeId next = top.next[top.pos++];
        if (color[next] == Color::Grey) {
          error(nodes_[next].schema_path,
                "schema refers to itself (through $ref/allOf/anyOf/oneOf/not) without "
                "descending into the instance");
          return;
        }
        if (color[next] == Color::White) {
          color[next] = Color::Grey;
          stack.push_back(Frame{next, edges(next), 0});
        }
      }
    }
  }

  const Value& root_;
  std::vector<Node> nodes_;
  std::map<std::string, NodeId> ref_nodes_;
  std::deque<Pending> pending_;
  std::size_t depth_ = 0;  // of the schema being compiled
  ValidationErrors errors_;
};

}  // namespace schema_detail

struct SchemaValidator::Compiled {
  std::vector<schema_detail::Node> nodes;
  schema_detail::NodeId root = 0;
};

namespace schema_detail {

// One path step: an object key (`key` set) or an array index.
struct PathStep {
  const std::string* key;
  std::size_t index;
};

// The instance path of the value being checked, for error messages. The first steps live inline:
// a valid instance of ordinary depth is checked without allocating (validation runs twice on
// every execution); deeper instances spill into the vector.
class PathSteps {
 public:
  void push_back(PathStep step) {
    if (size_ < kInline) {
      inline_[size_] = step;
    } else {
      spilled_.push_back(step);
    }
    ++size_;
  }
  void pop_back() {
    --size_;
    if (size_ >= kInline) {
      spilled_.pop_back();
    }
  }
  template <typename Visit>
  void for_each(Visit visit) const {
    for (std::size_t i = 0; i < size_ && i < kInline; ++i) {
      visit(inline_[i]);
    }
    for (const PathStep& step : spilled_) {
      visit(step);
    }
  }

 private:
  static constexpr std::size_t kInline = 16;
  std::array<PathStep, kInline> inline_{};
  std::vector<PathStep> spilled_;
  std::size_t size_ = 0;
};

// State shared by the top-level walk and the boolean sub-walks of anyOf/oneOf/not.
struct WalkShared {
  const std::vector<Node>& nodes;
  PathSteps path;
  bool depth_exceeded = false;
  std::string depth_path;
};

std::string render(const PathSteps& path) {
  std::string out = "$";
  path.for_each([&out](const PathStep& step) {
    if (step.key != nullptr) {
      append_key(out, *step.key);
    } else {
      append_index(out, step.index);
    }
  });
  return out;
}

// Walks one (node, instance) pair. With `out` set, records every violation and keeps going;
// without, stops at the first one (anyOf/oneOf/not/is_valid).
//
// walk() recurses once per instance level and per $ref/allOf/anyOf/oneOf/not hop, so the frames
// on that path (walk, check_object, check_items, check_any_of, check_one_of) hold no message
// strings; messages are built in [[gnu::noinline]] helpers that do not recurse.
class Walker {
 public:
  Walker(WalkShared& shared, ValidationErrors* out) : shared_(shared), out_(out) {}

  bool walk(NodeId id, const Value& v, std::size_t depth) {
    if (depth > kMaxValidationDepth) {
      depth_exceeded();
      return false;
    }
    const Node& n = shared_.nodes[id];
    if (n.reject_all) {
      bool ok = true;
      fail(ok, "no value is allowed here (schema is false)");
      return false;
    }
    bool ok = true;
    if (n.ref != kNoNode && !walk(n.ref, v, depth + 1)) {
      ok = false;
      if (out_ == nullptr) {
        return false;
      }
    }
    if (!check_assertions(n, v, ok)) {
      return false;
    }
    if (v.is_object() && !check_object(n, v, depth, ok)) {
      return false;
    }
    if (v.is_array() && n.items != kNoNode && !check_items(n, v, depth, ok)) {
      return false;
    }
    for (const NodeId sub : n.all_of) {
      if (!walk(sub, v, depth + 1)) {
        ok = false;
        if (out_ == nullptr) {
          return false;
        }
      }
    }
    if (!n.any_of.empty() && !check_any_of(n, v, depth, ok)) {
      return false;
    }
    if (!n.one_of.empty() && !check_one_of(n, v, depth, ok)) {
      return false;
    }
    if (n.not_schema != kNoNode && matches(n.not_schema, v, depth) &&
        !fail(ok, "must not match the schema in not")) {
      return false;
    }
    return ok && !shared_.depth_exceeded;
  }

 private:
  // Records a violation at the current path. Returns whether the walk should go on (false in
  // boolean mode, where one violation settles the answer).
  bool fail(bool& ok, std::string_view message) {
    ok = false;
    if (out_ == nullptr) {
      return false;
    }
    report(message);
    return true;
  }

  [[gnu::noinline]] void report(std::string_view message) {
    out_->push_back(ValidationError{
        std::string(kSchemaViolation), render(shared_.path), std::string(message), {}});
  }

  [[gnu::noinline]] void depth_exceeded() {
    if (!shared_.depth_exceeded) {
      shared_.depth_exceeded = true;
      shared_.depth_path = render(shared_.path);
    }
    if (out_ != nullptr) {
      report("validation nesting exceeds " + std::to_string(kMaxValidationDepth) +
             " levels (instance too deep or schema recursion too deep)");
    }
  }

  static bool type_matches(std::uint8_t mask, const Value& v) {
    switch (v.type()) {
      case Value::value_t::null:
        return (mask & kNullBit) != 0;
      case Value::value_t::boolean:
        return (mask & kBooleanBit) != 0;
      case Value::value_t::object:
        return (mask & kObjectBit) != 0;
      case Value::value_t::array:
        return (mask & kArrayBit) != 0;
      case Value::value_t::string:
        return (mask & kStringBit) != 0;
      case Value::value_t::number_integer:
      case Value::value_t::number_unsigned:
        return (mask & (kNumberBit | kIntegerBit)) != 0;
      case Value::value_t::number_float:
        return (mask & kNumberBit) != 0;
      default:
        return false;
    }
  }

  // type, enum, const and every keyword that looks at one value without descending into it.
  [[gnu::noinline]] bool check_assertions(const Node& n, const Value& v, bool& ok) {
    if (n.type_mask != 0 && !type_matches(n.type_mask, v) && !fail(ok, n.type_message)) {
      return false;
    }
    if (n.has_enum) {
      const bool found = std::any_of(n.enum_values.begin(), n.enum_values.end(),
                                     [&](const Value& e) { return json_equal(e, v); });
      if (!found && !fail(ok, n.enum_message)) {
        return false;
      }
    }
    if (n.has_const && !json_equal(n.const_value, v) && !fail(ok, n.const_message)) {
      return false;
    }
    if (v.is_string()) {
      return check_string(n, v.get_ref<const std::string&>(), ok);
    }
    if (v.is_number()) {
      return check_number(n, v, ok);
    }
    if (v.is_array()) {
      return check_array_size(n, v, ok);
    }
    return true;
  }

  bool check_string(const Node& n, const std::string& s, bool& ok) {
    if (n.min_length || n.max_length) {
      const std::uint64_t length = code_point_count(s);
      if (n.min_length && length < *n.min_length &&
          !fail(ok, "string is shorter than minLength " + std::to_string(*n.min_length) +
                        " (length " + std::to_string(length) + ")")) {
        return false;
      }
      if (n.max_length && length > *n.max_length &&
          !fail(ok, "string is longer than maxLength " + std::to_string(*n.max_length) +
                        " (length " + std::to_string(length) + ")")) {
        return false;
      }
    }
    if (n.pattern) {
      if (s.size() > kMaxPatternSubjectBytes) {
        if (!fail(ok, "string of " + std::to_string(s.size()) +
                          " bytes is too long to match pattern " + show(Value(n.pattern_source)) +
                          " (limit " + std::to_string(kMaxPatternSubjectBytes) + " bytes)")) {
          return false;
        }
      } else {
        bool matched = false;
        bool evaluated = true;
        try {
          matched = std::regex_search(s, *n.pattern);
        } catch (const std::regex_error&) {
          evaluated = false;
        }
        if (!evaluated) {
          if (!fail(ok, "pattern " + show(Value(n.pattern_source)) +
                            " could not be evaluated against this string")) {
            return false;
          }
        } else if (!matched &&
                   !fail(ok, "string does not match pattern " + show(Value(n.pattern_source)))) {
          return false;
        }
      }
    }
    if (n.format != Format::None && !matches_format(n.format, s) &&
        !fail(ok, "string is not a valid " + n.format_name + " (format)")) {
      return false;
    }
    return true;
  }

  bool check_number(const Node& n, const Value& v, bool& ok) {
    const auto check = [&](const std::optional<NumericBound>& bound, bool lower) {
      if (!bound) {
        return true;
      }
      const auto order = compare_numbers(v, bound->limit);
      const bool okay = lower ? (bound->exclusive ? order > 0 : order >= 0)
                              : (bound->exclusive ? order < 0 : order <= 0);
      if (okay) {
        return true;
      }
      const std::string_view relation =
          lower ? (bound->exclusive ? ">" : ">=") : (bound->exclusive ? "<" : "<=");
      return fail(ok, "must be " + std::string(relation) + " " + bound->keyword + " " +
                          show(bound->limit) + " (got " + show(v) + ")");
    };
    return check(n.lower, true) && check(n.exclusive_lower, true) && check(n.upper, false) &&
           check(n.exclusive_upper, false);
  }

  bool check_array_size(const Node& n, const Value& v, bool& ok) {
    const std::uint64_t size = v.size();
    if (n.min_items && size < *n.min_items &&
        !fail(ok, "array has fewer items than minItems " + std::to_string(*n.min_items) + " (got " +
                      std::to_string(size) + ")")) {
      return false;
    }
    if (n.max_items && size > *n.max_items &&
        !fail(ok, "array has more items than maxItems " + std::to_string(*n.max_items) + " (got " +
                      std::to_string(size) + ")")) {
      return false;
    }
    if (n.unique_items && size > 1) {
      // Bucket by a hash consistent with json_equal: linear on average, not quadratic.
      std::unordered_multimap<std::size_t, std::size_t> seen;
      seen.reserve(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::size_t h = json_hash(v[i]);
        const auto [begin, end] = seen.equal_range(h);
        const auto dup = std::find_if(
            begin, end, [&](const auto& entry) { return json_equal(v[entry.second], v[i]); });
        if (dup != end) {
          return fail(ok, "array items must be unique (uniqueItems): items [" +
                              std::to_string(dup->second) + "] and [" + std::to_string(i) +
                              "] are equal");
        }
        seen.emplace(h, i);
      }
    }
    return true;
  }

  bool check_object(const Node& n, const Value& v, std::size_t depth, bool& ok) {
    for (const auto& key : n.required) {
      if (v.find(key) == v.end()) {
        shared_.path.push_back(PathStep{&key, 0});
        const bool go_on = fail(ok, "required property is missing");
        shared_.path.pop_back();
        if (!go_on) {
          return false;
        }
      }
    }
    if (n.properties.empty() && !n.additional_forbidden && n.additional == kNoNode) {
      return true;
    }
    // Instance keys and n.properties are both sorted: one merge pass finds each key's schema.
    auto prop = n.properties.begin();
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& key = it.key();
      while (prop != n.properties.end() && prop->first < key) {
        ++prop;
      }
      const bool listed = prop != n.properties.end() && prop->first == key;
      if (!listed && !n.additional_forbidden && n.additional == kNoNode) {
        continue;
      }
      shared_.path.push_back(PathStep{&key, 0});
      bool go_on = true;
      if (listed || !n.additional_forbidden) {
        if (!walk(listed ? prop->second : n.additional, *it, depth + 1)) {
          ok = false;
          go_on = out_ != nullptr;
        }
      } else {
        go_on = fail(ok, "additional property is not allowed (additionalProperties is false)");
      }
      shared_.path.pop_back();
      if (!go_on) {
        return false;
      }
    }
    return true;
  }

  bool check_items(const Node& n, const Value& v, std::size_t depth, bool& ok) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      shared_.path.push_back(PathStep{nullptr, i});
      const bool child_ok = walk(n.items, v[i], depth + 1);
      shared_.path.pop_back();
      if (!child_ok) {
        ok = false;
        if (out_ == nullptr) {
          return false;
        }
      }
    }
    return true;
  }

  bool check_any_of(const Node& n, const Value& v, std::size_t depth, bool& ok) {
    for (const NodeId sub : n.any_of) {
      if (matches(sub, v, depth)) {
        return true;
      }
    }
    ok = false;
    if (out_ == nullptr) {
      return false;
    }
    report_branches("must match at least one schema of anyOf", n.any_of, v, depth);
    return true;
  }

  bool check_one_of(const Node& n, const Value& v, std::size_t depth, bool& ok) {
    std::size_t count = 0;
    std::size_t first = 0;
    std::size_t second = 0;
    for (std::size_t i = 0; i < n.one_of.size(); ++i) {
      if (!matches(n.one_of[i], v, depth)) {
        continue;
      }
      (count == 0 ? first : second) = i;
      if (++count == 2) {  // already not exactly one
        break;
      }
    }
    if (count == 1) {
      return true;
    }
    ok = false;
    if (out_ == nullptr) {
      return false;
    }
    if (count == 0) {
      report_branches("must match exactly one schema of oneOf, matched none", n.one_of, v, depth);
    } else {
      report("must match exactly one schema of oneOf, matched more than one (oneOf[" +
             std::to_string(first) + "] and oneOf[" + std::to_string(second) + "])");
    }
    return true;
  }

  // Does `v` satisfy node `id`? A boolean sub-walk; violations are not recorded.
  bool matches(NodeId id, const Value& v, std::size_t depth) {
    Walker sub(shared_, nullptr);
    return sub.walk(id, v, depth + 1);
  }

  // `lead` followed by the first violation of each branch: "...; [0] $.a: expected string".
  [[gnu::noinline]] void report_branches(std::string_view lead, const std::vector<NodeId>& branches,
                                         const Value& v, std::size_t depth) {
    std::string message(lead);
    for (std::size_t i = 0; details_ && i < branches.size() && i < kMaxBranchDetails; ++i) {
      ValidationErrors branch_errors;
      Walker sub(shared_, &branch_errors);
      sub.details_ = false;  // nested anyOf/oneOf do not re-walk their own branches again
      sub.walk(branches[i], v, depth + 1);
      if (branch_errors.empty()) {
        continue;
      }
      message += "; [" + std::to_string(i) + "] " + branch_errors.front().path() + ": " +
                 branch_errors.front().message();
    }
    report(message);
  }

  WalkShared& shared_;
  ValidationErrors* out_;
  bool details_ = true;
};

}  // namespace schema_detail

std::expected<SchemaValidator, ValidationErrors> SchemaValidator::compile(const Value& schema) {
  schema_detail::Compiler compiler(schema);
  const schema_detail::NodeId root = compiler.compile_root();
  if (!compiler.errors().empty()) {
    return std::unexpected(std::move(compiler.errors()));
  }
  auto compiled = std::make_shared<Compiled>();
  compiled->nodes = std::move(compiler.nodes());
  compiled->root = root;
  return SchemaValidator(std::move(compiled));
}

namespace {

// The reference subset of `schema` (schema_profile.hpp): type, then required + properties for
// objects or items for arrays; anything else accepts every instance.
Value reference_subset(const Value& schema) {
  if (!schema.is_object()) {
    return schema;  // compile() reports a non-object, non-boolean schema
  }
  Value reduced = Value::object();
  const auto type = schema.find("type");
  if (type == schema.end() || !type->is_string()) {
    return reduced;
  }
  reduced["type"] = *type;
  if (*type == "object") {
    if (const auto required = schema.find("required"); required != schema.end()) {
      reduced["required"] = *required;
    }
    if (const auto properties = schema.find("properties");
        properties != schema.end() && properties->is_object()) {
      Value reduced_properties = Value::object();
      for (const auto& [key, property] : properties->items()) {
        reduced_properties[key] = reference_subset(property);
      }
      reduced["properties"] = std::move(reduced_properties);
    }
  } else if (*type == "array") {
    if (const auto items = schema.find("items"); items != schema.end() && items->is_object()) {
      reduced["items"] = reference_subset(*items);
    }
  }
  return reduced;
}

}  // namespace

std::string_view to_string(SchemaProfile profile) {
  return profile == SchemaProfile::Reference ? "reference" : "strict";
}

std::optional<SchemaProfile> parse_schema_profile(std::string_view text) {
  if (text == "strict") {
    return SchemaProfile::Strict;
  }
  if (text == "reference") {
    return SchemaProfile::Reference;
  }
  return std::nullopt;
}

std::expected<SchemaValidator, ValidationErrors> SchemaValidator::compile(const Value& schema,
                                                                          SchemaProfile profile) {
  if (profile == SchemaProfile::Reference) {
    return compile(reference_subset(schema));
  }
  return compile(schema);
}

ValidationErrors SchemaValidator::validate(const Value& instance) const {
  ValidationErrors errors;
  schema_detail::WalkShared shared{compiled_->nodes, {}, false, {}};
  schema_detail::Walker walker(shared, &errors);
  walker.walk(compiled_->root, instance, 0);
  if (shared.depth_exceeded &&
      std::none_of(errors.begin(), errors.end(), [&](const ValidationError& e) {
        return e.path() == shared.depth_path && e.message().starts_with("validation nesting");
      })) {
    // Only seen inside an anyOf/oneOf/not branch: still a failure of the whole validation.
    errors.push_back(ValidationError{std::string(schema_detail::kSchemaViolation),
                                     shared.depth_path,
                                     "validation nesting exceeds " +
                                         std::to_string(schema_detail::kMaxValidationDepth) +
                                         " levels (instance too deep or schema recursion too deep)",
                                     {}});
  }
  return errors;
}

bool SchemaValidator::is_valid(const Value& instance) const {
  schema_detail::WalkShared shared{compiled_->nodes, {}, false, {}};
  schema_detail::Walker walker(shared, nullptr);
  return walker.walk(compiled_->root, instance, 0) && !shared.depth_exceeded;
}

SchemaValidator::SchemaValidator(std::shared_ptr<const Compiled> compiled)
    : compiled_(std::move(compiled)) {}
// Moves share the compiled table instead of emptying the source, so a moved-from validator
// stays usable (validate() never meets a null table).
SchemaValidator::SchemaValidator(SchemaValidator&& other) noexcept : compiled_(other.compiled_) {}
SchemaValidator& SchemaValidator::operator=(SchemaValidator&& other) noexcept {
  compiled_ = other.compiled_;
  return *this;
}
SchemaValidator::SchemaValidator(const SchemaValidator&) = default;
SchemaValidator& SchemaValidator::operator=(const SchemaValidator&) = default;
SchemaValidator::~SchemaValidator() = default;

}  // namespace traverse
