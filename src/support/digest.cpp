#include "traverse/support/digest.hpp"

// The low-level SHA-256 functions are deprecated in OpenSSL 3 (see sha256_hex): opted in before
// any OpenSSL header.
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

// OpenSSL's low-level SHA256_Init/Update/Final rather than EVP: EVP in OpenSSL 3 dispatches
// through its provider layer on every digest (context init, method calls), which for the short
// texts hashed here (a trace's input and output, usually under 100 bytes) costs as much as the
// hashing itself; so does the one-shot SHA256(), which OpenSSL 3 implements with EVP_Q_digest (a
// lookup by name per call). The low-level functions run the same assembly (SHA extensions where
// the CPU has them) on a context on the stack: no lookup, no allocation. They are deprecated in
// OpenSSL 3 in favour of EVP but still provided; this file opts in with
// OPENSSL_SUPPRESS_DEPRECATED.
std::string sha256_hex(std::string_view bytes) {
  SHA256_CTX context;
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256_Init(&context);
  SHA256_Update(&context, bytes.data(), bytes.size());
  SHA256_Final(digest.data(), &context);
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
