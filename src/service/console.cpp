#include "traverse/service/console.hpp"

#include <string>
#include <utility>

#include "console_embedded.hpp"

namespace traverse {
namespace {

using console_detail::kConsoleFileCount;
using console_detail::kConsoleFiles;

constexpr std::string_view kPrefix = "/console/";
constexpr std::string_view kIndex = "index.html";
// Same origin only: the console talks to the service that served it and loads nothing else.
// No inline script or style (the scripts set styles through the CSSOM, which CSP allows).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";

std::string_view content_type_of(std::string_view name) {
  const auto ends_with = [&](std::string_view suffix) { return name.ends_with(suffix); };
  if (ends_with(".html"))
    return "text/html; charset=utf-8";
  if (ends_with(".css"))
    return "text/css; charset=utf-8";
  if (ends_with(".js"))
    return "text/javascript; charset=utf-8";
  if (ends_with(".svg"))
    return "image/svg+xml";
  if (ends_with(".json"))
    return "application/json";
  return "application/octet-stream";
}

const console_detail::EmbeddedFile* find_file(std::string_view name) {
  for (std::size_t i = 0; i < kConsoleFileCount; ++i) {
    if (name == kConsoleFiles[i].name) {
      return &kConsoleFiles[i];
    }
  }
  return nullptr;
}

ApiResponse file_response(const console_detail::EmbeddedFile& file, std::string_view cache) {
  ApiResponse response;
  response.status = 200;
  response.content_type = std::string(content_type_of(file.name));
  response.body.assign(reinterpret_cast<const char*>(file.bytes), file.size);
  response.headers.emplace_back("Cache-Control", std::string(cache));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  return response;
}

}  // namespace

bool is_console_path(std::string_view path) {
  return path == "/" || path == "/console" || path.starts_with(kPrefix);
}

std::string_view console_version() {
  return console_detail::kConsoleVersion;
}

ApiResponse console_response(std::string_view path) {
  const auto not_found = [&] {
    // Appended, not concatenated: GCC 12 at -O3 reports a bogus -Wrestrict on the latter.
    std::string message = "no console file ";
    message.append(path).append(" (the console is at /)");
    return ServiceApi::error_response("not_found", std::move(message));
  };
  if (path == "/" || path == "/console" || path == kPrefix) {
    const auto* index = find_file(kIndex);
    return index != nullptr ? file_response(*index, kRevalidate) : not_found();
  }
  if (!path.starts_with(kPrefix)) {
    return not_found();
  }
  std::string_view rest = path.substr(kPrefix.size());
  std::string_view cache = kRevalidate;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    // /console/<version>/<file>: only this build's version (an old page's asset is not served
    // as if it were the same file).
    if (rest.substr(0, slash) != console_version()) {
      return not_found();
    }
    rest.remove_prefix(slash + 1);
    cache = kImmutable;
  }
  // Files only, by exact name: no directories, no traversal, index.html only at /.
  if (rest.empty() || rest == kIndex || rest.find('/') != std::string_view::npos) {
    return not_found();
  }
  const auto* file = find_file(rest);
  return file != nullptr ? file_response(*file, cache) : not_found();
}

}  // namespace traverse
