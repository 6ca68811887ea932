// Governing spec: 055-console
// The web console as `traverse serve` serves it: the real binary on 127.0.0.1 port 0, driven by
// curl. The page and its assets come from the binary with their content types, caching and
// security headers; the page loads without a token while the API it calls needs one; paths
// outside the embedded files are 404. (The browser test, tests/browser, drives the page itself.)
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "serve_test_support.hpp"

namespace traverse::serve_test {
namespace {

// The header `name`'s value in curl's dump of the response headers ("" when absent).
std::string header(const HttpResult& result, const std::string& name) {
  const std::regex pattern("(^|\\n)" + name + ":\\s*([^\\r\\n]*)", std::regex::icase);
  std::smatch match;
  return std::regex_search(result.headers, match, pattern) ? match[2].str() : std::string();
}

// The versioned asset prefix index.html names ("/console/<16 hex digits>").
std::string asset_prefix(const std::string& index) {
  std::smatch match;
  const std::regex pattern("/console/[0-9a-f]{16}(?=/app\\.js)");
  return std::regex_search(index, match, pattern) ? match[0].str() : std::string();
}

class ServeConsoleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new Server(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::string url(const std::string& path) { return server_->url() + path; }

 private:
  static Server* server_;
};

Server* ServeConsoleTest::server_ = nullptr;

TEST_F(ServeConsoleTest, RootServesTheConsolePageAsHtmlThatMustBeRevalidated) {
  const auto page = curl({url("/")});
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(header(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(header(page, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(page, "X-Content-Type-Options"), "nosniff");
  EXPECT_NE(header(page, "Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_NE(page.body.find("<title>Traverse console</title>"), std::string::npos);
  // The build step replaced the placeholder with this build's versioned prefix.
  EXPECT_EQ(page.body.find("@CONSOLE_ASSETS@"), std::string::npos);
  EXPECT_FALSE(asset_prefix(page.body).empty()) << page.body;
  // /console and /console/ are the same page.
  EXPECT_EQ(curl({url("/console")}).body, page.body);
  EXPECT_EQ(curl({url("/console/")}).body, page.body);
}

TEST_F(ServeConsoleTest, VersionedAssetsHaveTheirContentTypesAndAreCachedAsImmutable) {
  const std::string prefix = asset_prefix(curl({url("/")}).body);
  ASSERT_FALSE(prefix.empty());
  const auto script = curl({url(prefix + "/app.js")});
  ASSERT_EQ(script.status, 200);
  EXPECT_EQ(header(script, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(script, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(script, "X-Content-Type-Options"), "nosniff");
  EXPECT_NE(script.body.find("validateSchema"), std::string::npos);
  const auto style = curl({url(prefix + "/console.css")});
  ASSERT_EQ(style.status, 200);
  EXPECT_EQ(header(style, "Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(header(style, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_NE(style.body.find(":focus-visible"), std::string::npos);
}

TEST_F(ServeConsoleTest, UnversionedAssetsAreServedForRevalidation) {
  const auto script = curl({url("/console/app.js")});
  ASSERT_EQ(script.status, 200);
  EXPECT_EQ(header(script, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(script, "Cache-Control"), "no-cache");
}

TEST_F(ServeConsoleTest, PathsOutsideTheEmbeddedFilesAreNotFound) {
  for (const std::string path :
       {"/console/0000000000000000/app.js", "/console/missing.js", "/console/index.html",
        "/console/../CMakeLists.txt", "/console/x/y/app.js", "/index.html"}) {
    const auto answer = curl({"--path-as-is", url(path)});
    EXPECT_EQ(answer.status, 404) << path;
    EXPECT_EQ(answer.json()["error"]["code"], "not_found") << path;
  }
}

TEST_F(ServeConsoleTest, TheConsoleIsReadOnly) {
  const auto post = curl({"--data-binary", "{}", url("/")});
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(header(post, "Allow"), "GET");
}

TEST_F(ServeConsoleTest, MetricsReportTheWebAssemblyWorkersTheConsoleShows) {
  const auto run = curl({"--data-binary", "@" + plan_request(), url("/v1/capabilities/execute")});
  ASSERT_EQ(run.status, 200) << run.body;
  const auto metrics = curl({url("/metrics")});
  ASSERT_EQ(metrics.status, 200);
  // The expedition's five steps are WebAssembly modules run by sandbox workers.
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(metrics.body, match, std::regex("\\ntraverse_wasm_executions ([0-9]+)\\n")))
      << metrics.body;
  EXPECT_GE(std::stoi(match[1].str()), 5);
  ASSERT_TRUE(std::regex_search(metrics.body, match,
                                std::regex("\\ntraverse_wasm_workers_alive ([0-9]+)\\n")));
  EXPECT_GE(std::stoi(match[1].str()), 1);
  EXPECT_NE(metrics.body.find("\ntraverse_wasm_workers_configured "), std::string::npos);
  EXPECT_NE(metrics.body.find("\ntraverse_wasm_workers_replaced 0\n"), std::string::npos);
}

TEST(ServeConsoleTokens, WithATokenFileThePageLoadsWithoutATokenAndTheApiNeedsOne) {
  cli_test::TempDir dir;
  const std::string tokens = dir.write("tokens.txt", "console-reader-0123456789 read\n");
  Server server({"--token-file", tokens});
  const auto page = curl({server.url() + "/"});
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(header(page, "Content-Type"), "text/html; charset=utf-8");
  const std::string prefix = asset_prefix(page.body);
  ASSERT_FALSE(prefix.empty());
  EXPECT_EQ(curl({server.url() + prefix + "/app.js"}).status, 200);
  // What the page calls is guarded as before.
  EXPECT_EQ(curl({server.url() + "/v1/capabilities"}).status, 401);
  EXPECT_EQ(curl({"-H", "Authorization: Bearer console-reader-0123456789",
                  server.url() + "/v1/capabilities"})
                .status,
            200);
  // A token that is sent anyway does not change the page.
  const auto with_token =
      curl({"-H", "Authorization: Bearer console-reader-0123456789", server.url() + "/"});
  EXPECT_EQ(with_token.status, 200);
  EXPECT_EQ(with_token.body, page.body);
}

}  // namespace
}  // namespace traverse::serve_test
