// traverse/service/service_error.hpp — why the service could not be configured or started.
//
// Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace traverse {

// What the caller should do next, by kind:
//   InvalidConfig — a ServiceConfig field is out of range: fix the option.
//   TokenFile     — the token file is unreadable or malformed: fix the file (line named).
//   Insecure      — a non-loopback address without tokens: add --token-file or bind 127.0.0.1.
//   Bind          — the address cannot be listened on (in use, not local): choose another.
//   Tls           — the TLS certificate or key is unreadable, malformed or does not match:
//                   fix the file (named in the message).
enum class ServiceErrorKind { InvalidConfig, TokenFile, Insecure, Bind, Tls };

// "InvalidConfig", "TokenFile", "Insecure", "Bind", "Tls".
[[nodiscard]] std::string_view to_string(ServiceErrorKind kind);

class ServiceError {
 public:
  ServiceError() = default;
  ServiceError(ServiceErrorKind kind, std::string message)
      : kind_(kind), message_(std::move(message)) {}

  [[nodiscard]] ServiceErrorKind kind() const { return kind_; }
  // What failed and what was expected.
  [[nodiscard]] const std::string& message() const { return message_; }
  // "<Kind>: <message>".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const ServiceError&, const ServiceError&) = default;

 private:
  ServiceErrorKind kind_ = ServiceErrorKind::InvalidConfig;
  std::string message_;
};

}  // namespace traverse
