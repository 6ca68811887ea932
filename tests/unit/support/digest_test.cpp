// Governing spec: 001-artifact-formats
#include "traverse/support/digest.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "traverse/support/ids.hpp"

namespace traverse {
namespace {

TEST(Digest, Sha256OfKnownVectorsIsLowercaseHex) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// FIPS 180-2's two-block vector and a million 'a's: padding across a block boundary and many
// blocks through the low-level functions.
TEST(Digest, Sha256OfMultiBlockVectorsMatchesTheStandard) {
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Concurrent callers must not share hashing state.
TEST(Digest, Sha256FromManyThreadsAtOnceGivesEachCallerItsOwnDigest) {
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (std::size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([t, &mismatches] {
      for (int i = 0; i < 500; ++i) {
        const bool abc = (i + static_cast<int>(t)) % 2 == 0;
        const std::string digest = sha256_hex(abc ? "abc" : "");
        const char* expected =
            abc ? "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
                : "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        mismatches[t] += digest == expected ? 0 : 1;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const int count : mismatches) {
    EXPECT_EQ(count, 0);
  }
}

TEST(Digest, Fnv1a64MatchesReferenceVectors) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64_digest("foobar"), "fnv1a64:85944171f73967e8");
}

TEST(Ids, UuidV4HasVersionAndVariantBitsAndIsUnique) {
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const std::string a = new_uuid_v4();
  const std::string b = new_uuid_v4();
  EXPECT_TRUE(std::regex_match(a, shape)) << a;
  EXPECT_NE(a, b);
}

// Milliseconds since the Unix epoch in a version-7 UUID's first 48 bits (12 hex digits).
std::uint64_t uuid_v7_millis(const std::string& id) {
  return std::stoull(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
}

std::uint64_t now_millis() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

TEST(Ids, UuidV7CarriesItsCreationTimeAndVersionAndVariantBits) {
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const std::uint64_t before = now_millis();
  const std::string a = new_uuid_v7();
  const std::string b = new_uuid_v7();
  const std::uint64_t after = now_millis();
  EXPECT_TRUE(std::regex_match(a, shape)) << a;
  EXPECT_TRUE(std::regex_match(b, shape)) << b;
  EXPECT_NE(a, b);  // 74 random bits each
  EXPECT_GE(uuid_v7_millis(a), before) << a;
  EXPECT_LE(uuid_v7_millis(a), after) << a;
}

// What the trace databases rely on: an id made in a later millisecond sorts after an earlier one.
TEST(Ids, UuidV7MadeInALaterMillisecondSortsAfter) {
  const std::string first = new_uuid_v7();
  std::string later = new_uuid_v7();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (uuid_v7_millis(later) == uuid_v7_millis(first) &&
         std::chrono::steady_clock::now() < give_up) {
    later = new_uuid_v7();
  }
  ASSERT_NE(uuid_v7_millis(later), uuid_v7_millis(first)) << "the clock did not advance in 5 s";
  EXPECT_LT(first, later);
}

TEST(Ids, Rfc3339HasMillisecondsAndZulu) {
  const auto epoch_plus = std::chrono::system_clock::time_point{std::chrono::milliseconds{1234}};
  EXPECT_EQ(rfc3339(epoch_plus), "1970-01-01T00:00:01.234Z");
  const auto before_epoch = std::chrono::system_clock::time_point{std::chrono::milliseconds{-1}};
  EXPECT_EQ(rfc3339(before_epoch), "1969-12-31T23:59:59.999Z");
}

// rfc3339_now reuses its last text while the millisecond is the same: the stamps it hands out
// stay well-formed and never go back when a thread stamps many times in a row.
TEST(Ids, Rfc3339NowStampsInARowAreWellFormedAndNonDecreasing) {
  std::string previous = rfc3339_now();
  for (int i = 0; i < 10'000; ++i) {
    const std::string stamp = rfc3339_now();
    ASSERT_EQ(stamp.size(), 24U) << stamp;
    ASSERT_EQ(stamp[10], 'T');
    ASSERT_EQ(stamp.back(), 'Z');
    ASSERT_GE(stamp, previous);
    previous = stamp;
  }
  const auto now = std::chrono::system_clock::now();
  const std::string stamp = rfc3339_now();
  EXPECT_GE(stamp, rfc3339(now));
}

// The formatter is hand-written (no gmtime/printf on the hot path): it must agree with the C
// library on every kind of date — leap days, century years, year ends — across the clock's whole
// range (system_clock counts nanoseconds: it ends in 2262).
TEST(Ids, Rfc3339AgreesWithTheCLibraryAcrossCenturies) {
  const auto expected_text = [](std::int64_t millis) {
    const auto seconds = static_cast<std::time_t>(millis / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis % 1000));
    return std::string(text);
  };
  const std::vector<std::int64_t> landmarks = {
      951'782'400'000,    // 2000-02-29T00:00:00Z (leap day of a century leap year)
      4'107'542'399'999,  // 2100-02-28T23:59:59.999Z (2100 is not a leap year)
      4'107'542'400'000,  // 2100-03-01
      1'798'761'599'999,  // 2026-12-31T23:59:59.999Z
  };
  for (const std::int64_t millis : landmarks) {
    const auto time = std::chrono::system_clock::time_point{std::chrono::milliseconds{millis}};
    EXPECT_EQ(rfc3339(time), expected_text(millis)) << millis;
  }
  // Every ~3.7 days over 1970..2255, at a varying time of day.
  for (std::int64_t millis = 0; millis < 9'000'000'000'000; millis += 320'000'017) {
    const auto time = std::chrono::system_clock::time_point{std::chrono::milliseconds{millis}};
    ASSERT_EQ(rfc3339(time), expected_text(millis)) << millis;
  }
}

}  // namespace
}  // namespace traverse
