#include "traverse/registry/registry_error.hpp"

namespace traverse {

std::string_view to_string(RegistryErrorCode code) {
  switch (code) {
    case RegistryErrorCode::NotFound:
      return "NotFound";
    case RegistryErrorCode::Ambiguous:
      return "Ambiguous";
    case RegistryErrorCode::NotRunnable:
      return "NotRunnable";
    case RegistryErrorCode::ImmutableVersionConflict:
      return "ImmutableVersionConflict";
    case RegistryErrorCode::InvalidRange:
      return "InvalidRange";
    case RegistryErrorCode::InvalidArgument:
      return "InvalidArgument";
    case RegistryErrorCode::CapacityExceeded:
      return "CapacityExceeded";
  }
  return "Unknown";
}

std::string RegistryError::to_string() const {
  std::string text(traverse::to_string(kind_));
  text += ": ";
  text += message_;
  return text;
}

std::string to_string(const RegistryError& error) {
  return error.to_string();
}

}  // namespace traverse
