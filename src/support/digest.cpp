#include "traverse/support/digest.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

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

// The SHA-256 implementation, looked up once: OpenSSL 3 otherwise fetches it from its provider
// registry on every digest (a lock and a name lookup), which cost more than hashing a trace's
// input. Never freed: it lives as long as the process, like OpenSSL's own tables.
const EVP_MD* sha256_algorithm() {
  static const EVP_MD* const algorithm = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return algorithm;
}

// One hashing context per thread, reused: no allocation per digest.
struct ThreadDigestContext {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  ~ThreadDigestContext() { EVP_MD_CTX_free(context); }
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  thread_local ThreadDigestContext local;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  // Fails only on OpenSSL misconfiguration or when the context could not be allocated.
  if (local.context == nullptr ||
      EVP_DigestInit_ex2(local.context, sha256_algorithm(), nullptr) != 1 ||
      EVP_DigestUpdate(local.context, bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(local.context, digest.data(), &size) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 failed");
  }
  return to_hex(digest.data(), size);
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
