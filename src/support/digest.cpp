#include "traverse/support/digest.hpp"

// SHA256() is deprecated in OpenSSL 3 (see sha256_hex): opted in before any OpenSSL header.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <array>

namespace traverse {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  std::string hex(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = kHexDigits[bytes[i] >> 4U];
    hex[2 * i + 1] = kHexDigits[bytes[i] & 0x0FU];
  }
  return hex;
}

}  // namespace

// OpenSSL's one-shot SHA256() rather than EVP: EVP in OpenSSL 3 dispatches through its provider
// layer on every digest (context init, method lookups), which for the short texts hashed here
// (a trace's input and output, usually under 100 bytes) costs twice the hashing itself. The
// one-shot function runs the same assembly (SHA extensions where the CPU has them) directly,
// keeps no state and allocates nothing. It is deprecated in OpenSSL 3 in favour of EVP but
// still provided; this file opts in with OPENSSL_SUPPRESS_DEPRECATED.
std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
  return to_hex(digest.data(), digest.size());
}

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string fnv1a64_digest(std::string_view bytes) {
  std::string digest = "fnv1a64:0000000000000000";
  std::uint64_t hash = fnv1a64(bytes);
  for (std::size_t at = digest.size(); hash != 0; hash >>= 4U) {
    digest[--at] = kHexDigits[hash & 0x0FU];
  }
  return digest;
}

}  // namespace traverse
