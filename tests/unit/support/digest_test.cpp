// Governing spec: 001-artifact-formats
#include "traverse/support/digest.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "traverse/support/ids.hpp"

namespace traverse {
namespace {

TEST(Digest, Sha256OfKnownVectorsIsLowercaseHex) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
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

TEST(Ids, Rfc3339HasMillisecondsAndZulu) {
  const auto epoch_plus = std::chrono::system_clock::time_point{std::chrono::milliseconds{1234}};
  EXPECT_EQ(rfc3339(epoch_plus), "1970-01-01T00:00:01.234Z");
  const auto before_epoch = std::chrono::system_clock::time_point{std::chrono::milliseconds{-1}};
  EXPECT_EQ(rfc3339(before_epoch), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace traverse
