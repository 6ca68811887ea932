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

std::string to_string(const RegistryError& error) {
  std::string text(to_string(error.code));
  text += ": ";
  text += error.message;
  return text;
}

}  // namespace traverse
