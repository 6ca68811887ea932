#include "traverse/service/token_store.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include "traverse/support/digest.hpp"

namespace traverse {
namespace {

constexpr std::size_t kMinTokenLength = 16;

std::unexpected<ServiceError> token_error(std::size_t line, std::string message) {
  return std::unexpected(
      ServiceError{ServiceErrorKind::TokenFile, "line " + std::to_string(line) + ": " + message});
}

// Compares two equal-length strings without an early exit.
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(
        diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

}  // namespace

std::string_view to_string(TokenScope scope) {
  switch (scope) {
    case TokenScope::Execute:
      return "execute";
    case TokenScope::Register:
      return "register";
    case TokenScope::Read:
      return "read";
  }
  return "read";
}

std::expected<TokenStore, ServiceError> TokenStore::parse(std::string_view text) {
  TokenStore store;
  std::istringstream lines{std::string(text)};
  std::size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    std::istringstream words(line);
    std::string token;
    if (!(words >> token) || token.front() == '#') {
      continue;
    }
    if (token.size() < kMinTokenLength) {
      return token_error(
          number, "token is shorter than " + std::to_string(kMinTokenLength) + " characters");
    }
    Entry entry{sha256_hex(token), 0};
    for (std::string scope; words >> scope;) {
      if (scope == "execute") {
        entry.scopes |= static_cast<std::uint8_t>(TokenScope::Execute);
      } else if (scope == "register") {
        entry.scopes |= static_cast<std::uint8_t>(TokenScope::Register);
      } else if (scope == "read") {
        entry.scopes |= static_cast<std::uint8_t>(TokenScope::Read);
      } else {
        return token_error(number,
                           "unknown scope '" + scope + "'; expected execute, register or read");
      }
    }
    if (entry.scopes == 0) {
      return token_error(number,
                         "token has no scope; expected one or more of execute, "
                         "register, read");
    }
    for (const auto& existing : store.entries_) {
      if (existing.sha256 == entry.sha256) {
        return token_error(number, "duplicate token");
      }
    }
    store.entries_.push_back(std::move(entry));
  }
  return store;
}

std::expected<TokenStore, ServiceError> TokenStore::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(
        ServiceError{ServiceErrorKind::TokenFile, "cannot read token file " + path.string()});
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto store = parse(text.str());
  if (!store) {
    store.error() =
        ServiceError(store.error().kind(), path.string() + ": " + store.error().message());
  }
  return store;
}

bool TokenStore::any_with(TokenScope scope) const {
  for (const auto& entry : entries_) {
    if ((entry.scopes & static_cast<std::uint8_t>(scope)) != 0) {
      return true;
    }
  }
  return false;
}

AuthResult TokenStore::authorize(std::string_view authorization, TokenScope scope) const {
  if (authorization.empty()) {
    return AuthResult::Missing;
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      authorization.substr(0, kBearer.size()) != kBearer) {
    return AuthResult::Invalid;
  }
  const std::string digest = sha256_hex(authorization.substr(kBearer.size()));
  for (const auto& entry : entries_) {
    if (constant_time_equal(entry.sha256, digest)) {
      return (entry.scopes & static_cast<std::uint8_t>(scope)) != 0 ? AuthResult::Allowed
                                                                    : AuthResult::Forbidden;
    }
  }
  return AuthResult::Invalid;
}

}  // namespace traverse
