// Splitting the C writer's output into translation units (see aot_units.hpp).
#include "aot_units.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace traverse::wasm_internal {
namespace {

constexpr std::string_view kStatic = "static ";
constexpr std::string_view kFuncTypes = "static u32 func_types[";
constexpr std::string_view kHidden = "__attribute__((visibility(\"hidden\")))";

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

struct Line {
  std::size_t begin;
  std::size_t end;        // past the '\n' (or the end of the text)
  std::string_view text;  // without the '\n'
};

std::vector<Line> split_lines(std::string_view c) {
  std::vector<Line> lines;
  for (std::size_t at = 0; at < c.size();) {
    const std::size_t newline = c.find('\n', at);
    const std::size_t stop = newline == std::string_view::npos ? c.size() : newline;
    const std::size_t next = newline == std::string_view::npos ? c.size() : newline + 1;
    lines.push_back({at, next, c.substr(at, stop - at)});
    at = next;
  }
  return lines;
}

// The identifier that ends at `end` in `line` (spaces before `end` skipped).
std::string_view identifier_before(std::string_view line, std::size_t end) {
  while (end > 0 && line[end - 1] == ' ') {
    --end;
  }
  std::size_t start = end;
  while (start > 0 && is_identifier_char(line[start - 1])) {
    --start;
  }
  return line.substr(start, end - start);
}

// The name before the first '(' of a file-scope line `static <type> NAME(...`, else empty.
std::string_view static_callable_name(std::string_view line) {
  if (line.substr(0, kStatic.size()) != kStatic) {
    return {};
  }
  const std::size_t open = line.find('(');
  return open == std::string_view::npos ? std::string_view() : identifier_before(line, open);
}

// The function named on a line `static <type> w2c_NAME(Z_<module>_instance_t* ...`, else empty.
std::string_view static_function_name(std::string_view line) {
  const std::string_view name = static_callable_name(line);
  if (name.substr(0, 4) != "w2c_") {
    return {};
  }
  const std::string_view params = line.substr(line.find('(') + 1);
  if (params.substr(0, 2) != "Z_" || params.find("_instance_t*") == std::string_view::npos) {
    return {};
  }
  return name;
}

// The object defined on a file-scope line `static <type> NAME[...] ...` or `static <type> NAME =
// ...` / `;` (not a function), else empty.
std::string_view static_object_name(std::string_view line) {
  if (line.substr(0, kStatic.size()) != kStatic) {
    return {};
  }
  const std::size_t stop = line.find_first_of("[=;(");
  if (stop == std::string_view::npos || line[stop] == '(') {
    return {};
  }
  return identifier_before(line, stop);
}

// The function defined on a file-scope line `static <type> NAME(...) {`, else empty.
std::string_view static_helper_name(std::string_view line) {
  return !line.empty() && line.back() == '{' ? static_callable_name(line) : std::string_view();
}

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Calls `visit` with every identifier in `text`.
template <typename Visit>
void for_each_identifier(std::string_view text, Visit&& visit) {
  std::size_t at = 0;
  while (at < text.size()) {
    if (!is_identifier_char(text[at])) {
      ++at;
      continue;
    }
    const std::size_t start = at;
    while (at < text.size() && is_identifier_char(text[at])) {
      ++at;
    }
    if (!(text[start] >= '0' && text[start] <= '9')) {
      visit(text.substr(start, at - start));
    }
  }
}

struct Function {
  std::string_view name;
  std::size_t begin;  // the definition's first line
  std::size_t end;    // past its closing line `}`
  std::size_t unit = 0;
  bool external = false;  // called from another unit: a hidden symbol instead of `static`
};

// `line` with its leading "static " replaced by the hidden-symbol attribute.
void append_external(std::string* out, std::string_view line) {
  *out += kHidden;
  *out += ' ';
  *out += line.substr(kStatic.size());
}

}  // namespace

std::vector<std::string> split_aot_c(std::string_view c, std::size_t max_units,
                                     std::size_t min_unit_bytes) {
  const std::vector<std::string> whole{std::string(c)};
  if (max_units < 2) {
    return whole;
  }
  const std::vector<Line> lines = split_lines(c);

  // The declaration block: consecutive `static ... w2c_NAME(Z_..._instance_t*...);` lines.
  std::size_t first_decl = lines.size();
  std::size_t last_decl = 0;
  std::unordered_set<std::string_view> declared;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view text = lines[i].text;
    if (text.size() < 2 || text.substr(text.size() - 2) != ");") {
      continue;
    }
    const std::string_view name = static_function_name(text);
    if (name.empty()) {
      continue;
    }
    if (first_decl != lines.size() && i != last_decl + 1) {
      return whole;  // not one block
    }
    first_decl = std::min(first_decl, i);
    last_decl = i;
    declared.insert(name);
  }
  if (declared.empty()) {
    return whole;
  }

  // The definitions, after the block: `static ... w2c_NAME(...) {` up to a line `}`.
  std::vector<Function> functions;
  for (std::size_t i = last_decl + 1; i < lines.size(); ++i) {
    const std::string_view text = lines[i].text;
    if (text.size() < 3 || text.substr(text.size() - 3) != ") {") {
      continue;
    }
    const std::string_view name = static_function_name(text);
    if (name.empty() || declared.count(name) == 0) {
      continue;
    }
    std::size_t close = i + 1;
    while (close < lines.size() && lines[close].text != "}") {
      ++close;
    }
    if (close == lines.size()) {
      return whole;
    }
    functions.push_back({name, lines[i].begin, lines[close].end});
    i = close;
  }
  if (functions.size() < 2) {
    return whole;
  }
  for (std::size_t i = 1; i < functions.size(); ++i) {
    if (!is_blank(c.substr(functions[i - 1].end, functions[i].begin - functions[i - 1].end))) {
      return whole;  // something between two definitions: keep the layout as it is
    }
  }

  const std::size_t decl_begin = lines[first_decl].begin;
  const std::size_t decl_end = lines[last_decl].end;
  const std::string_view head = c.substr(0, decl_begin);
  const std::string_view middle = c.substr(decl_end, functions.front().begin - decl_end);
  const std::string_view tail = c.substr(functions.back().end);

  std::size_t code_bytes = 0;
  for (const Function& function : functions) {
    code_bytes += function.end - function.begin;
  }
  const std::size_t units =
      std::min(max_units, code_bytes / std::max<std::size_t>(min_unit_bytes, 1));
  if (units < 2) {
    return whole;
  }

  // Contiguous runs of definitions (neighbours in a module tend to call each other), balanced by
  // size. Unit 0 also carries the initialisers and exports, which cost the compiler little for
  // their size (data segments are byte arrays), so they do not count.
  const std::size_t share = (code_bytes + units - 1) / units;
  std::size_t done = 0;
  for (Function& function : functions) {
    const std::size_t size = function.end - function.begin;
    function.unit = std::min(units - 1, (done + size / 2) / share);
    done += size;
  }

  // File-scope static objects: only func_types may be used outside unit 0 (made shared below).
  const bool shared_func_types = head.find(kFuncTypes) != std::string_view::npos;
  std::unordered_set<std::string_view> statics;
  for (const Line& line : lines) {
    if (line.begin >= functions.front().begin) {
      break;
    }
    std::string_view name = static_object_name(line.text);
    if (name.empty() && line.begin >= decl_end) {
      name = static_helper_name(line.text);  // e.g. init_memories: stays in unit 0
    }
    if (!name.empty() && !(shared_func_types && name == "func_types")) {
      statics.insert(name);
    }
  }

  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < functions.size(); ++i) {
    index.emplace(functions[i].name, i);
  }
  bool self_contained = true;
  const auto note_uses = [&](std::string_view text, std::size_t unit) {
    for_each_identifier(text, [&](std::string_view identifier) {
      if (const auto found = index.find(identifier); found != index.end()) {
        Function& callee = functions[found->second];
        if (callee.unit != unit) {
          callee.external = true;
        }
      } else if (unit != 0 && statics.count(identifier) != 0) {
        self_contained = false;
      }
    });
  };
  note_uses(middle, 0);
  note_uses(tail, 0);
  for (const Function& function : functions) {
    note_uses(c.substr(function.begin, function.end - function.begin), function.unit);
  }
  if (!self_contained) {
    return whole;
  }

  std::string shared_head(head);
  if (shared_func_types) {
    const std::size_t at = shared_head.find(kFuncTypes);
    shared_head.replace(at, kStatic.size(), "TRAVERSE_AOT_SHARED ");
  }
  std::string shared_decls;
  for (std::size_t i = first_decl; i <= last_decl; ++i) {
    const std::string_view text = lines[i].text;
    const auto found = index.find(static_function_name(text));
    if (found != index.end() && functions[found->second].external) {
      append_external(&shared_decls, text);
    } else {
      shared_decls += text;
    }
    shared_decls += '\n';
  }

  // A unit left with no definitions (one very large function took its share) is dropped.
  std::vector<std::size_t> used;
  for (std::size_t unit = 0; unit < units; ++unit) {
    if (unit == 0 || std::any_of(functions.begin(), functions.end(),
                                 [&](const Function& f) { return f.unit == unit; })) {
      used.push_back(unit);
    }
  }
  if (used.size() < 2) {
    return whole;
  }
  std::vector<std::string> sources;
  for (const std::size_t unit : used) {
    std::string& out = sources.emplace_back();
    out.reserve(head.size() + shared_decls.size() + middle.size() + share + tail.size() + 256);
    out += "/* Traverse AOT: translation unit " + std::to_string(sources.size()) + " of " +
           std::to_string(used.size()) + " */\n";
    out += "#define TRAVERSE_AOT_SHARED ";
    out += unit == 0 ? "" : "extern ";
    out += kHidden;
    out += "\n";
    out += shared_head;
    out += shared_decls;
    if (unit == 0) {
      out += middle;
    }
    for (const Function& function : functions) {
      if (function.unit != unit) {
        continue;
      }
      const std::string_view text = c.substr(function.begin, function.end - function.begin);
      if (function.external) {
        append_external(&out, text);
      } else {
        out += text;
      }
      out += "\n";
    }
    if (unit == 0) {
      out += tail;
    }
  }
  return sources;
}

}  // namespace traverse::wasm_internal
