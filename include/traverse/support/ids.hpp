// traverse/support/ids.hpp — identifiers and timestamps stamped on traces and events.
//
// Thread safety: safe from any thread (the random source is thread-local).
#pragma once

#include <chrono>
#include <string>

namespace traverse {

// A random RFC 4122 version-4 UUID, lowercase, e.g. "3f2b8c1e-...".
[[nodiscard]] std::string new_uuid_v4();

// An RFC 9562 version-7 UUID, lowercase: the first 48 bits are the Unix time in milliseconds,
// the rest random (74 bits). Ids made later sort after earlier ones (within one millisecond, in
// random order), so a B-tree index of them grows at its end: trace ids are version 7 because
// every trace database indexes them (docs/compatibility.md D11).
[[nodiscard]] std::string new_uuid_v7();

// RFC 3339 UTC with milliseconds, e.g. "2026-11-26T12:00:00.123Z" (docs/compatibility.md D9).
[[nodiscard]] std::string rfc3339(std::chrono::system_clock::time_point time);
[[nodiscard]] std::string rfc3339_now();

}  // namespace traverse
