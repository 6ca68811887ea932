// traverse/service/console.hpp — the web console `traverse serve` serves at `/` (docs/console.md).
//
// The console is static HTML, CSS and JavaScript embedded in the library at build time (no file
// is read, nothing is fetched from elsewhere); it calls only the service's public API, with the
// bearer token the user types in. Paths:
//   GET /, /console, /console/     index.html, Cache-Control: no-cache (it names the versioned
//                                  asset prefix, so it must be revalidated)
//   GET /console/<version>/<file>  an asset, cached for a year (immutable: a new build has a new
//                                  version)
//   GET /console/<file>            the same asset, Cache-Control: no-cache
// Every answer carries a Content-Security-Policy allowing only this origin, nosniff and
// no-referrer. The page needs no token (it holds no data); the API calls it makes do.
// Thread safety: the functions read constant data only.
#pragma once

#include <string_view>

#include "traverse/service/service_api.hpp"

namespace traverse {

// True for the paths above (the service routes them here without a token check).
[[nodiscard]] bool is_console_path(std::string_view path);

// The answer for `path` (a path without its query): the file with its Content-Type and caching
// headers, or 404 not_found naming the path.
[[nodiscard]] ApiResponse console_response(std::string_view path);

// The asset version of this build ("/console/<version>/..."): 16 hex digits.
[[nodiscard]] std::string_view console_version();

}  // namespace traverse
