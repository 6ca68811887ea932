// traverse/support/ids.hpp — identifiers and timestamps stamped on traces and events.
//
// Thread safety: safe from any thread (the random source is thread-local).
#pragma once

#include <chrono>
#include <string>

namespace traverse {

// A random RFC 4122 version-4 UUID, lowercase, e.g. "3f2b8c1e-...".
[[nodiscard]] std::string new_uuid_v4();

// RFC 3339 UTC with milliseconds, e.g. "2026-11-26T12:00:00.123Z" (docs/compatibility.md D9).
[[nodiscard]] std::string rfc3339(std::chrono::system_clock::time_point time);
[[nodiscard]] std::string rfc3339_now();

}  // namespace traverse
