// traverse/support/digest.hpp — the digests Traverse artifacts use.
//
// Thread safety: pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace traverse {

// Lowercase hex SHA-256 of `bytes` (64 characters, no prefix). Used for trace input/output
// hashes, WASM checksums and the module cache key.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

// FNV-1a 64-bit (offset 0xcbf29ce484222325, prime 0x100000001b3).
[[nodiscard]] std::uint64_t fnv1a64(std::string_view bytes);

// "fnv1a64:" + 16 lowercase hex digits: the capability package digest format.
[[nodiscard]] std::string fnv1a64_digest(std::string_view bytes);

}  // namespace traverse
