#include "traverse/contracts/semver.hpp"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

namespace traverse {
namespace {

bool is_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_identifier_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// A SemVer numeric component: digits, no leading zero (except "0"), fits in 64 bits.
std::optional<std::uint64_t> parse_number(std::string_view text) {
  if (!is_digits(text) || (text.size() > 1 && text.front() == '0')) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (const char c : text) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  return value;
}

// Splits "a.b.c" into identifiers; each must be non-empty and of [0-9A-Za-z-]. Numeric
// identifiers must have no leading zero when `numeric_rule` is set (prerelease, not build).
std::optional<std::vector<std::string>> parse_identifiers(std::string_view text,
                                                          bool numeric_rule) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view part =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty() || !std::all_of(part.begin(), part.end(), is_identifier_char)) {
      return std::nullopt;
    }
    if (numeric_rule && is_digits(part) && part.size() > 1 && part.front() == '0') {
      return std::nullopt;
    }
    out.emplace_back(part);
    if (dot == std::string_view::npos) {
      return out;
    }
    start = dot + 1;
  }
}

std::strong_ordering compare_identifier(const std::string& a, const std::string& b) {
  const bool a_num = is_digits(a);
  const bool b_num = is_digits(b);
  if (a_num && b_num) {
    // Strip leading zeros so hand-built values compare numerically too.
    const auto strip = [](const std::string& s) {
      const auto first = s.find_first_not_of('0');
      return first == std::string::npos ? std::string_view{} : std::string_view(s).substr(first);
    };
    const auto sa = strip(a);
    const auto sb = strip(b);
    if (sa.size() != sb.size()) {
      return sa.size() <=> sb.size();
    }
    return sa.compare(sb) <=> 0;
  }
  if (a_num != b_num) {
    return a_num ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  return a.compare(b) <=> 0;
}

}  // namespace

std::strong_ordering operator<=>(const SemVer& a, const SemVer& b) {
  if (const auto c = a.major <=> b.major; c != 0) {
    return c;
  }
  if (const auto c = a.minor <=> b.minor; c != 0) {
    return c;
  }
  if (const auto c = a.patch <=> b.patch; c != 0) {
    return c;
  }
  // A release sorts after any of its prereleases.
  if (a.prerelease.empty() && b.prerelease.empty()) {
    return std::strong_ordering::equal;
  }
  if (a.prerelease.empty()) {
    return std::strong_ordering::greater;
  }
  if (b.prerelease.empty()) {
    return std::strong_ordering::less;
  }
  const std::size_t common = std::min(a.prerelease.size(), b.prerelease.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (const auto c = compare_identifier(a.prerelease[i], b.prerelease[i]); c != 0) {
      return c;
    }
  }
  return a.prerelease.size() <=> b.prerelease.size();
}

std::string SemVer::to_string() const {
  std::string out =
      std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  for (std::size_t i = 0; i < prerelease.size(); ++i) {
    out += i == 0 ? '-' : '.';
    out += prerelease[i];
  }
  if (!build.empty()) {
    out += '+';
    out += build;
  }
  return out;
}

std::optional<SemVer> parse_semver(std::string_view text) {
  SemVer version;
  if (const auto plus = text.find('+'); plus != std::string_view::npos) {
    const auto build = text.substr(plus + 1);
    if (!parse_identifiers(build, false)) {
      return std::nullopt;
    }
    version.build = std::string(build);
    text = text.substr(0, plus);
  }
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    auto pre = parse_identifiers(text.substr(dash + 1), true);
    if (!pre) {
      return std::nullopt;
    }
    version.prerelease = std::move(*pre);
    text = text.substr(0, dash);
  }
  const auto first_dot = text.find('.');
  if (first_dot == std::string_view::npos) {
    return std::nullopt;
  }
  const auto second_dot = text.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) {
    return std::nullopt;
  }
  const auto major = parse_number(text.substr(0, first_dot));
  const auto minor = parse_number(text.substr(first_dot + 1, second_dot - first_dot - 1));
  const auto patch = parse_number(text.substr(second_dot + 1));
  if (!major || !minor || !patch) {
    return std::nullopt;
  }
  version.major = *major;
  version.minor = *minor;
  version.patch = *patch;
  return version;
}

// ---------------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------------

namespace {

// A possibly partial version as written in a range: missing or wildcard components are nullopt.
struct Partial {
  std::optional<std::uint64_t> major;
  std::optional<std::uint64_t> minor;
  std::optional<std::uint64_t> patch;
  SemVer full;  // valid when all three components are present
};

bool is_wildcard(std::string_view text) {
  return text == "*" || text == "x" || text == "X";
}

std::optional<Partial> parse_partial(std::string_view text) {
  Partial out;
  if (text.empty()) {
    return std::nullopt;
  }
  // A full version (possibly with prerelease/build) is parsed strictly.
  const auto core_end = text.find_first_of("-+");
  const std::string_view core = text.substr(0, core_end);
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = core.find('.', start);
    parts.push_back(
        core.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  if (parts.size() > 3) {
    return std::nullopt;
  }
  std::optional<std::uint64_t>* slots[3] = {&out.major, &out.minor, &out.patch};
  bool wildcard_seen = false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (is_wildcard(parts[i])) {
      wildcard_seen = true;
      continue;
    }
    if (wildcard_seen) {
      return std::nullopt;  // "1.x.3" is not a version pattern
    }
    const auto number = parse_number(parts[i]);
    if (!number) {
      return std::nullopt;
    }
    *slots[i] = *number;
  }
  const bool complete = out.major && out.minor && out.patch;
  if (core_end != std::string_view::npos) {
    if (!complete) {
      return std::nullopt;  // prerelease/build only on a complete version
    }
  }
  if (complete) {
    const auto full = parse_semver(text);
    if (!full) {
      return std::nullopt;
    }
    out.full = *full;
  }
  return out;
}

SemVer make_version(std::uint64_t major, std::uint64_t minor, std::uint64_t patch) {
  SemVer v;
  v.major = major;
  v.minor = minor;
  v.patch = patch;
  return v;
}

// The lowest prerelease of a version: `X.Y.Z-0`. "< X.Y.Z-0" excludes X.Y.Z and its prereleases.
SemVer lowest(std::uint64_t major, std::uint64_t minor, std::uint64_t patch) {
  SemVer v = make_version(major, minor, patch);
  v.prerelease = {"0"};
  return v;
}

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

}  // namespace

struct SemVerRangeBuilder {
  using Comparator = SemVerRange::Comparator;
  using Op = Comparator::Op;
  std::vector<Comparator>& set;
  bool& never;  // the set can match nothing

  void add(Op op, SemVer v) { set.push_back(Comparator{op, std::move(v)}); }
  void nothing() { never = true; }

  // ">= lower" where lower is the partial with missing parts as 0.
  void lower_bound(const Partial& p) {
    if (!p.major) {
      return;  // any
    }
    if (p.patch) {
      add(Op::Ge, p.full);
    } else {
      add(Op::Ge, make_version(*p.major, p.minor.value_or(0), 0));
    }
  }
  // "< next" with next the first version above the partial (X+1.0.0 or X.Y+1.0).
  void upper_after_partial(const Partial& p) {
    if (!p.major) {
      return;
    }
    if (!p.minor) {
      if (*p.major == kMax) {
        return;
      }
      add(Op::Lt, lowest(*p.major + 1, 0, 0));
    } else {
      if (*p.minor == kMax) {
        return;
      }
      add(Op::Lt, lowest(*p.major, *p.minor + 1, 0));
    }
  }

  void apply(std::string_view op, const Partial& p) {
    const bool complete = p.major && p.minor && p.patch;
    if (op.empty() || op == "=") {
      if (complete) {
        add(Op::Eq, p.full);
      } else {
        lower_bound(p);
        upper_after_partial(p);
      }
    } else if (op == "^") {
      if (!p.major) {
        return;
      }
      lower_bound(p);
      if (*p.major > 0 || !p.minor) {
        if (*p.major != kMax) {
          add(Op::Lt, lowest(*p.major + 1, 0, 0));
        }
      } else if (*p.minor > 0 || !p.patch) {
        if (*p.minor != kMax) {
          add(Op::Lt, lowest(0, *p.minor + 1, 0));
        }
      } else if (*p.patch != kMax) {
        add(Op::Lt, lowest(0, 0, *p.patch + 1));
      }
    } else if (op == "~") {
      if (!p.major) {
        return;
      }
      lower_bound(p);
      if (!p.minor) {
        if (*p.major != kMax) {
          add(Op::Lt, lowest(*p.major + 1, 0, 0));
        }
      } else if (*p.minor != kMax) {
        add(Op::Lt, lowest(*p.major, *p.minor + 1, 0));
      }
    } else if (op == ">") {
      if (!p.major) {
        nothing();
      } else if (complete) {
        add(Op::Gt, p.full);
      } else if (!p.minor) {
        if (*p.major == kMax) {
          nothing();
        } else {
          add(Op::Ge, make_version(*p.major + 1, 0, 0));
        }
      } else if (*p.minor == kMax) {
        nothing();
      } else {
        add(Op::Ge, make_version(*p.major, *p.minor + 1, 0));
      }
    } else if (op == ">=") {
      lower_bound(p);
    } else if (op == "<") {
      if (!p.major) {
        nothing();
      } else if (complete) {
        add(Op::Lt, p.full);
      } else {
        add(Op::Lt, lowest(*p.major, p.minor.value_or(0), 0));
      }
    } else if (op == "<=") {
      if (complete) {
        add(Op::Le, p.full);
      } else {
        upper_after_partial(p);
      }
    }
  }
};

namespace {

// Splits an operator prefix from a token: ">=1.2" -> (">=", "1.2").
std::pair<std::string_view, std::string_view> split_operator(std::string_view token) {
  for (const std::string_view op : {">=", "<=", ">", "<", "=", "^", "~"}) {
    if (token.starts_with(op)) {
      return {op, token.substr(op.size())};
    }
  }
  return {{}, token};
}

bool is_operator_only(std::string_view token) {
  const auto [op, rest] = split_operator(token);
  return !op.empty() && rest.empty();
}

std::vector<std::string_view> tokenize(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == ',')) {
      ++i;
    }
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != ',') {
      ++i;
    }
    if (i > start) {
      tokens.push_back(text.substr(start, i - start));
    }
  }
  return tokens;
}

}  // namespace

std::optional<SemVerRange> SemVerRange::parse(std::string_view text) {
  SemVerRange range;
  range.text_ = std::string(text);
  std::size_t start = 0;
  bool any_alternative = false;
  while (true) {
    const auto bar = text.find("||", start);
    const std::string_view alternative =
        text.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    auto tokens = tokenize(alternative);
    if (tokens.empty()) {
      return std::nullopt;  // empty range or empty alternative
    }
    std::vector<Comparator> set;
    bool never = false;
    SemVerRangeBuilder builder{set, never};
    if (tokens.size() == 3 && tokens[1] == "-") {
      // Hyphen range "A - B": >= A and <= B (B partial: below its next version).
      const auto lower = parse_partial(tokens[0]);
      const auto upper = parse_partial(tokens[2]);
      if (!lower || !upper) {
        return std::nullopt;
      }
      builder.lower_bound(*lower);
      builder.apply("<=", *upper);
    } else {
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        std::string_view op;
        std::string_view version;
        if (is_operator_only(tokens[i])) {
          if (i + 1 >= tokens.size()) {
            return std::nullopt;
          }
          op = split_operator(tokens[i]).first;
          version = tokens[++i];
          if (!split_operator(version).first.empty()) {
            return std::nullopt;
          }
        } else {
          std::tie(op, version) = split_operator(tokens[i]);
        }
        const auto partial = parse_partial(version);
        if (!partial) {
          return std::nullopt;
        }
        builder.apply(op, *partial);
      }
    }
    if (!never) {
      range.alternatives_.push_back(std::move(set));
    }
    any_alternative = true;
    if (bar == std::string_view::npos) {
      break;
    }
    start = bar + 2;
  }
  if (!any_alternative) {
    return std::nullopt;
  }
  return range;
}

bool SemVerRange::matches(const SemVer& version) const {
  for (const auto& set : alternatives_) {
    bool ok = true;
    for (const auto& comparator : set) {
      const auto order = version <=> comparator.version;
      switch (comparator.op) {
        case Comparator::Op::Eq:
          ok = order == 0;
          break;
        case Comparator::Op::Lt:
          ok = order < 0;
          break;
        case Comparator::Op::Le:
          ok = order <= 0;
          break;
        case Comparator::Op::Gt:
          ok = order > 0;
          break;
        case Comparator::Op::Ge:
          ok = order >= 0;
          break;
      }
      if (!ok) {
        break;
      }
    }
    if (!ok) {
      continue;
    }
    if (version.prerelease.empty()) {
      return true;
    }
    // A prerelease only matches when the set names a prerelease of the same MAJOR.MINOR.PATCH.
    for (const auto& comparator : set) {
      const SemVer& v = comparator.version;
      if (!v.prerelease.empty() && v.major == version.major && v.minor == version.minor &&
          v.patch == version.patch) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace traverse
