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
  if (code_ == "IoError") {
    return ValidationErrorKind::Unreadable;
  }
  if (code_ == "ImmutableVersionConflict" || code_ == "EventTypeConflict" ||
      code_ == "PackageContractConflict") {
    return ValidationErrorKind::Conflict;
  }
  if (code_ == "CapacityExceeded") {
    return ValidationErrorKind::CapacityExceeded;
  }
  return ValidationErrorKind::Invalid;
}

std::string ValidationError::to_string() const {
  std::string out;
  if (!file_.empty()) {
    out += file_;
    out += ": ";
  }
  out += path_.empty() ? "$" : path_;
  out += ": ";
  out += code_;
  out += ": ";
  out += message_;
  return out;
}

void ValidationError::rebase_path(std::string_view where) {
  if (path_.starts_with("$")) {
    path_ = std::string(where) + path_.substr(1);
  } else {
    path_ = std::string(where);
  }
}

std::string to_string(const ValidationError& error) {
  return error.to_string();
}

void attach_file(ValidationErrors& errors, const std::string& file) {
  for (auto& error : errors) {
    if (error.file().empty()) {
      error.set_file(file);
    }
  }
}

}  // namespace traverse
