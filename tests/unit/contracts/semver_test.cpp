// Governing spec: 001-artifact-formats
#include "traverse/contracts/semver.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace traverse {
namespace {

SemVer v(std::string_view text) {
  auto parsed = parse_semver(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(SemVer{});
}

TEST(SemVer, ParsesCoreVersion) {
  const auto parsed = parse_semver("1.22.333");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->major, 1U);
  EXPECT_EQ(parsed->minor, 22U);
  EXPECT_EQ(parsed->patch, 333U);
  EXPECT_TRUE(parsed->prerelease.empty());
  EXPECT_TRUE(parsed->build.empty());
}

TEST(SemVer, ParsesPrereleaseAndBuild) {
  const auto parsed = parse_semver("1.0.0-alpha.1+build.7");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->prerelease, (std::vector<std::string>{"alpha", "1"}));
  EXPECT_EQ(parsed->build, "build.7");
  EXPECT_EQ(parsed->to_string(), "1.0.0-alpha.1+build.7");
}

TEST(SemVer, RejectsMalformedVersions) {
  for (const char* text : {"", "1", "1.0", "1.0.0.0", "01.0.0", "1.02.0", "1.0.00", "v1.0.0",
                           "1.0.0-", "1.0.0-01", "1.0.0-a..b", "1.0.0+", "1.0.0+a_b", "-1.0.0",
                           "1.0.x", "1.0.0 ", " 1.0.0", "a.b.c", "18446744073709551616.0.0"}) {
    EXPECT_FALSE(parse_semver(text).has_value()) << '"' << text << '"';
  }
}

TEST(SemVer, AcceptsLargestComponentAndLeadingZeroBuild) {
  EXPECT_TRUE(is_semver("18446744073709551615.0.0"));
  EXPECT_TRUE(is_semver("1.0.0+001"));
  EXPECT_TRUE(is_semver("0.0.0"));
}

TEST(SemVer, OrdersBySemVerPrecedence) {
  // The example chain from the SemVer 2.0.0 specification, strictly increasing.
  const std::vector<std::string> chain = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                          "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                          "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                                          "1.1.0",       "2.0.0",         "10.0.0"};
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    EXPECT_LT(v(chain[i]), v(chain[i + 1])) << chain[i] << " < " << chain[i + 1];
    EXPECT_GT(v(chain[i + 1]), v(chain[i]));
  }
}

TEST(SemVer, IgnoresBuildMetadataInComparison) {
  EXPECT_EQ(v("1.2.3+a"), v("1.2.3+b"));
  EXPECT_EQ(v("1.2.3+a") <=> v("1.2.3"), std::strong_ordering::equal);
}

struct RangeCase {
  std::string range;
  std::vector<std::string> matching;
  std::vector<std::string> not_matching;
};

class SemVerRangeMatches : public testing::TestWithParam<RangeCase> {};

TEST_P(SemVerRangeMatches, MatchesExactlyTheExpectedVersions) {
  const RangeCase& c = GetParam();
  const auto range = SemVerRange::parse(c.range);
  ASSERT_TRUE(range.has_value()) << c.range;
  EXPECT_EQ(range->text(), c.range);
  for (const auto& version : c.matching) {
    EXPECT_TRUE(range->matches(v(version))) << c.range << " should match " << version;
  }
  for (const auto& version : c.not_matching) {
    EXPECT_FALSE(range->matches(v(version))) << c.range << " should not match " << version;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ranges, SemVerRangeMatches,
    testing::Values(
        RangeCase{"1.2.3", {"1.2.3", "1.2.3+build"}, {"1.2.4", "1.2.2", "1.2.3-rc.1"}},
        RangeCase{"=1.2.3", {"1.2.3"}, {"1.2.4"}},
        RangeCase{
            "^1.2", {"1.2.0", "1.2.9", "1.9.0"}, {"1.1.9", "2.0.0", "2.0.0-alpha", "1.3.0-rc.1"}},
        RangeCase{"^1.2.3", {"1.2.3", "1.9.9"}, {"1.2.2", "2.0.0"}},
        RangeCase{"^0.2.3", {"0.2.3", "0.2.9"}, {"0.3.0", "0.2.2", "1.0.0"}},
        RangeCase{"^0.0.3", {"0.0.3"}, {"0.0.4", "0.0.2", "0.1.0"}},
        RangeCase{"^0.2", {"0.2.0", "0.2.7"}, {"0.3.0", "0.1.9"}},
        RangeCase{"^0.0", {"0.0.0", "0.0.9"}, {"0.1.0"}},
        RangeCase{"^1", {"1.0.0", "1.99.99"}, {"2.0.0", "0.9.9"}},
        RangeCase{"^0", {"0.0.0", "0.99.0"}, {"1.0.0"}},
        RangeCase{"^1.2.3-beta.2",
                  {"1.2.3-beta.2", "1.2.3-beta.10", "1.2.3", "1.5.0"},
                  {"1.2.3-beta.1", "1.2.4-beta.1", "2.0.0"}},
        RangeCase{"~1.2.3", {"1.2.3", "1.2.99"}, {"1.3.0", "1.2.2", "2.0.0"}},
        RangeCase{"~1.2", {"1.2.0", "1.2.5"}, {"1.3.0", "1.1.0"}},
        RangeCase{"~1", {"1.0.0", "1.9.0"}, {"2.0.0"}},
        RangeCase{"~0.2.3", {"0.2.3", "0.2.4"}, {"0.3.0"}},
        RangeCase{">=1.0.0 <2.0.0",
                  {"1.0.0", "1.5.2", "1.99.0"},
                  {"0.9.9", "2.0.0", "2.0.0-rc.1", "1.5.0-rc.1"}},
        RangeCase{">=1.0.0, <2.0.0", {"1.0.0", "1.9.0"}, {"2.0.0"}},
        RangeCase{"> 1.2.3", {"1.2.4", "2.0.0"}, {"1.2.3", "1.0.0"}},
        RangeCase{">1.2", {"1.3.0", "2.0.0"}, {"1.2.9", "1.2.0"}},
        RangeCase{">1", {"2.0.0"}, {"1.9.9"}},
        RangeCase{"<=2.1", {"2.1.9", "2.0.0", "0.1.0"}, {"2.2.0", "2.2.0-alpha"}},
        RangeCase{"<=2.1.0", {"2.1.0", "2.0.5"}, {"2.1.1"}},
        RangeCase{"<1.2", {"1.1.9"}, {"1.2.0", "1.2.0-alpha"}},
        RangeCase{"<1", {"0.9.9"}, {"1.0.0"}},
        RangeCase{"1.x", {"1.0.0", "1.9.9"}, {"2.0.0", "0.9.0"}},
        RangeCase{"1.2.*", {"1.2.0", "1.2.9"}, {"1.3.0"}},
        RangeCase{"1.2", {"1.2.0", "1.2.9"}, {"1.3.0"}},
        RangeCase{"*", {"0.0.0", "99.0.0"}, {"1.0.0-alpha"}}, RangeCase{"x", {"3.2.1"}, {}},
        RangeCase{"^1.0.0 || ^3.0.0", {"1.4.0", "3.0.0"}, {"2.0.0", "4.0.0"}},
        RangeCase{"1.2.3 - 2.3.4", {"1.2.3", "2.3.4", "2.0.0"}, {"1.2.2", "2.3.5"}},
        RangeCase{"1.2 - 2.3", {"1.2.0", "2.3.9"}, {"1.1.9", "2.4.0"}},
        RangeCase{">=1.0.0-rc.1 <1.0.0", {"1.0.0-rc.1", "1.0.0-rc.2"}, {"1.0.0", "1.0.1-rc.1"}},
        RangeCase{">*", {}, {"0.0.0", "5.0.0"}}, RangeCase{"<0.0.0-0", {}, {"0.0.0", "0.0.0-0"}},
        RangeCase{">=*", {"0.0.0", "7.7.7"}, {}},
        RangeCase{"^18446744073709551615.0.0",
                  {"18446744073709551615.0.0", "18446744073709551615.5.0"},
                  {"1.0.0"}}));

TEST(SemVerRange, RejectsMalformedRanges) {
  for (const char* text :
       {"", "   ", "||", "^1.0.0 ||", "abc", ">=", ">= >=1.0.0", "1.2.3.4", "^1.x.3", "1.2-beta",
        "01.2.3", "1.0.0 - ", "=>1.0.0", "^^1.0.0", ">=1.0.0 <", "~>1.2"}) {
    EXPECT_FALSE(SemVerRange::parse(text).has_value()) << '"' << text << '"';
  }
}

TEST(SemVerRange, PrereleaseExcludedUnlessSameTupleNamed) {
  const auto range = SemVerRange::parse(">1.2.3-alpha.3");
  ASSERT_TRUE(range);
  EXPECT_TRUE(range->matches(v("1.2.3-alpha.7")));
  EXPECT_TRUE(range->matches(v("3.4.5")));
  EXPECT_FALSE(range->matches(v("3.4.5-alpha.9")));
}

}  // namespace
}  // namespace traverse
