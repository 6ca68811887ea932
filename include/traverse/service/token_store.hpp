// traverse/service/token_store.hpp — bearer tokens and their scopes, stored hashed.
//
// A token file has one token a line: `<token> <scope>...` (scopes `execute`, `register`,
// `read`); blank lines and lines starting with '#' are ignored. Only the SHA-256 of each token
// is kept in memory; a presented token is hashed and compared in constant time.
// Thread safety: immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/service/service_error.hpp"

namespace traverse {

enum class TokenScope : std::uint8_t { Execute = 1, Register = 2, Read = 4 };

// "execute", "register", "read".
[[nodiscard]] std::string_view to_string(TokenScope scope);

// The outcome of checking an Authorization header.
enum class AuthResult { Allowed, Missing, Invalid, Forbidden };

class TokenStore {
 public:
  TokenStore() = default;  // no tokens: authentication is off

  // Parses token file text. Failure: TokenFile naming the line (unknown scope, no scope, a
  // token shorter than 16 characters, a duplicate token).
  [[nodiscard]] static std::expected<TokenStore, ServiceError> parse(std::string_view text);
  // Reads and parses a token file. Failure: TokenFile (unreadable or as parse).
  [[nodiscard]] static std::expected<TokenStore, ServiceError> load(
      const std::filesystem::path& path);

  // True when there is no token: every request is allowed.
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  // True when some token carries `scope`.
  [[nodiscard]] bool any_with(TokenScope scope) const;

  // Checks an `Authorization` header value ("Bearer <token>") for `scope`. Missing: no header;
  // Invalid: not a known token; Forbidden: a known token without the scope.
  [[nodiscard]] AuthResult authorize(std::string_view authorization, TokenScope scope) const;

 private:
  struct Entry {
    std::string sha256;  // lowercase hex
    std::uint8_t scopes = 0;
  };
  std::vector<Entry> entries_;
};

}  // namespace traverse
