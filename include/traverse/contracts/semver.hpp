// traverse/contracts/semver.hpp — semantic versions and version ranges.
//
// Versions follow SemVer 2.0.0 (MAJOR.MINOR.PATCH[-pre][+build]). Ranges accept the forms
// contracts and requests use: exact (`1.2.3`, `=1.2.3`), caret (`^1.2`, `^1.2.3`), tilde
// (`~1.2.3`, `~1.2`), comparators (`>=1.0.0 <2.0.0`, `>1`, `<=2.1`), wildcards (`1.x`, `1.2.*`,
// `*`), and `||` alternatives. Value types; pure functions.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace traverse {

struct SemVer {
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers; empty for a release
  std::string build;                    // ignored in comparisons

  // SemVer precedence (build metadata ignored; a prerelease sorts before its release).
  friend std::strong_ordering operator<=>(const SemVer& a, const SemVer& b);
  friend bool operator==(const SemVer& a, const SemVer& b) { return (a <=> b) == 0; }
  [[nodiscard]] std::string to_string() const;
};

[[nodiscard]] std::optional<SemVer> parse_semver(std::string_view text);
[[nodiscard]] inline bool is_semver(std::string_view text) {
  return parse_semver(text).has_value();
}

// A parsed version range. A prerelease version only matches a comparator set that names a
// prerelease of the same MAJOR.MINOR.PATCH (npm/cargo rule). Semantics are npm's: a bare version
// is exact; `^` allows changes that do not modify the left-most non-zero component (`^1.2` =
// `>=1.2.0 <2.0.0`, `^0.2.3` = `>=0.2.3 <0.3.0`, `^0.0.3` = `>=0.0.3 <0.0.4`); `~` allows patch
// changes (`~1.2.3` = `>=1.2.3 <1.3.0`); space or comma = AND; `||` = OR; `A - B` hyphen ranges.
// parse() returns std::nullopt for empty text or any malformed comparator.
class SemVerRange {
 public:
  [[nodiscard]] static std::optional<SemVerRange> parse(std::string_view text);
  [[nodiscard]] bool matches(const SemVer& version) const;
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  struct Comparator {
    enum class Op { Eq, Lt, Le, Gt, Ge } op;
    SemVer version;
  };
  friend struct SemVerRangeBuilder;
  std::vector<std::vector<Comparator>> alternatives_;  // OR of AND-sets
  std::string text_;
};

}  // namespace traverse
