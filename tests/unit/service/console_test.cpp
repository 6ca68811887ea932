// Governing spec: 055-console
// The console's files as the service answers them (without a server): which paths are the
// console's, the content type and caching of each file, 404 for everything else.
#include "traverse/service/console.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace traverse {
namespace {

std::string header_of(const ApiResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

std::string versioned(std::string_view file) {
  return "/console/" + std::string(console_version()) + "/" + std::string(file);
}

TEST(ConsoleTest, TheVersionIsSixteenHexDigits) {
  const std::string_view version = console_version();
  ASSERT_EQ(version.size(), 16u);
  EXPECT_EQ(version.find_first_not_of("0123456789abcdef"), std::string_view::npos);
}

TEST(ConsoleTest, ConsolePathsAreTheRootAndTheConsolePrefixOnly) {
  EXPECT_TRUE(is_console_path("/"));
  EXPECT_TRUE(is_console_path("/console"));
  EXPECT_TRUE(is_console_path("/console/app.js"));
  EXPECT_FALSE(is_console_path("/consoles"));
  EXPECT_FALSE(is_console_path("/healthz"));
  EXPECT_FALSE(is_console_path("/v1/capabilities"));
  EXPECT_FALSE(is_console_path(""));
}

TEST(ConsoleTest, TheIndexNamesThisBuildsVersionedAssetsAndIsRevalidated) {
  const ApiResponse index = console_response("/");
  ASSERT_EQ(index.status, 200u);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header_of(index, "Cache-Control"), "no-cache");
  EXPECT_NE(index.body.find("src=\"" + versioned("app.js") + "\""), std::string::npos);
  EXPECT_NE(index.body.find("href=\"" + versioned("console.css") + "\""), std::string::npos);
  EXPECT_EQ(console_response("/console").body, index.body);
  EXPECT_EQ(console_response("/console/").body, index.body);
}

TEST(ConsoleTest, EachAssetHasItsContentTypeAndSecurityHeaders) {
  const ApiResponse script = console_response(versioned("app.js"));
  ASSERT_EQ(script.status, 200u);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header_of(script, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header_of(script, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header_of(script, "Referrer-Policy"), "no-referrer");
  EXPECT_NE(header_of(script, "Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  const ApiResponse style = console_response(versioned("console.css"));
  ASSERT_EQ(style.status, 200u);
  EXPECT_EQ(style.content_type, "text/css; charset=utf-8");
  // The same bytes without the version, to be revalidated.
  const ApiResponse unversioned = console_response("/console/app.js");
  EXPECT_EQ(unversioned.body, script.body);
  EXPECT_EQ(header_of(unversioned, "Cache-Control"), "no-cache");
}

TEST(ConsoleTest, AnythingElseIsNotFound) {
  for (const std::string& path :
       {std::string("/console/0123456789abcdef/app.js"), std::string("/console/nope.js"),
        std::string("/console/index.html"), versioned("index.html"), versioned(""),
        std::string("/console/../app.js"), versioned("sub/app.js"), std::string("/other")}) {
    const ApiResponse response = console_response(path);
    EXPECT_EQ(response.status, 404u) << path;
    EXPECT_NE(response.body.find("\"not_found\""), std::string::npos) << path;
  }
}

}  // namespace
}  // namespace traverse
