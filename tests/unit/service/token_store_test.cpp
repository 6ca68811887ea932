// Governing spec: 050-service
#include "traverse/service/token_store.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(TokenStoreTest, BearerTokensGetExactlyTheirScopes) {
  auto store = TokenStore::parse(
      "# comment\n\nreader-0123456789abcdef read\nrunner-0123456789abcdef execute read\n");
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  EXPECT_FALSE(store->empty());
  EXPECT_EQ(store->authorize("Bearer reader-0123456789abcdef", TokenScope::Read),
            AuthResult::Allowed);
  EXPECT_EQ(store->authorize("Bearer reader-0123456789abcdef", TokenScope::Execute),
            AuthResult::Forbidden);
  EXPECT_EQ(store->authorize("Bearer runner-0123456789abcdef", TokenScope::Execute),
            AuthResult::Allowed);
  EXPECT_EQ(store->authorize("Bearer someone-else-0123456789", TokenScope::Read),
            AuthResult::Invalid);
  EXPECT_EQ(store->authorize("", TokenScope::Read), AuthResult::Missing);
  EXPECT_EQ(store->authorize("Basic reader-0123456789abcdef", TokenScope::Read),
            AuthResult::Invalid);
  EXPECT_TRUE(store->any_with(TokenScope::Execute));
  EXPECT_FALSE(store->any_with(TokenScope::Register));
}

TEST(TokenStoreTest, MalformedLinesAreRejectedWithTheirLineNumber) {
  const auto unknown =
      TokenStore::parse("good-token-0123456789 read\nother-token-0123456789 fly\n");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().kind(), ServiceErrorKind::TokenFile);
  EXPECT_NE(unknown.error().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(TokenStore::parse("short read\n").has_value());
  EXPECT_FALSE(TokenStore::parse("no-scope-token-0123456789\n").has_value());
  EXPECT_FALSE(
      TokenStore::parse("same-token-0123456789 read\nsame-token-0123456789 execute\n").has_value());
}

TEST(TokenStoreTest, AnEmptyStoreMeansNoAuthentication) {
  const TokenStore store;
  EXPECT_TRUE(store.empty());
  EXPECT_FALSE(TokenStore::load("/nonexistent/tokens.txt").has_value());
}

}  // namespace
}  // namespace traverse
