#include "traverse/service/service_error.hpp"

namespace traverse {

std::string_view to_string(ServiceErrorKind kind) {
  switch (kind) {
    case ServiceErrorKind::InvalidConfig:
      return "InvalidConfig";
    case ServiceErrorKind::TokenFile:
      return "TokenFile";
    case ServiceErrorKind::Insecure:
      return "Insecure";
    case ServiceErrorKind::Bind:
      return "Bind";
    case ServiceErrorKind::Tls:
      return "Tls";
  }
  return "InvalidConfig";
}

std::string ServiceError::to_string() const {
  return std::string(traverse::to_string(kind_)) + ": " + message_;
}

}  // namespace traverse
