#include "traverse/contracts/validation_error.hpp"

namespace traverse {

std::string_view to_string(ValidationErrorKind kind) {
  switch (kind) {
    case ValidationErrorKind::Invalid:
      return "Invalid";
    case ValidationErrorKind::Unreadable:
      return "Unreadable";
    case ValidationErrorKind::Conflict:
      return "Conflict";
    case ValidationErrorKind::CapacityExceeded:
      return "CapacityExceeded";
  }
  return "Invalid";
}

// The one table from codes to kinds.
ValidationErrorKind ValidationError::kind() const {
  if (code == "IoError") {
    return ValidationErrorKind::Unreadable;
  }
  if (code == "ImmutableVersionConflict" || code == "EventTypeConflict" ||
      code == "PackageContractConflict") {
    return ValidationErrorKind::Conflict;
  }
  if (code == "CapacityExceeded") {
    return ValidationErrorKind::CapacityExceeded;
  }
  return ValidationErrorKind::Invalid;
}

std::string to_string(const ValidationError& error) {
  std::string out;
  if (!error.file.empty()) {
    out += error.file;
    out += ": ";
  }
  out += error.path.empty() ? "$" : error.path;
  out += ": ";
  out += error.code;
  out += ": ";
  out += error.message;
  return out;
}

void attach_file(ValidationErrors& errors, const std::string& file) {
  for (auto& error : errors) {
    if (error.file.empty()) {
      error.file = file;
    }
  }
}

}  // namespace traverse
