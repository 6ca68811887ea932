// traverse/contracts/validation_error.hpp — one reason an artifact or value was rejected.
//
// Every validator in Traverse C++ reports *all* violations it finds, each as a ValidationError
// naming a stable code, the JSON path of the offending value and, when the artifact was read
// from disk, the file. Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace traverse {

// What a ValidationError means for the caller, derived from its code: exit codes and HTTP
// statuses are chosen by kind, never by matching code strings.
//   Invalid          — the artifact or value breaks a rule (every code not listed below)
//   Unreadable       — the file could not be read (IoError)
//   Conflict         — it contradicts something already registered (ImmutableVersionConflict,
//                      EventTypeConflict, PackageContractConflict)
//   CapacityExceeded — a bounded registry is full (CapacityExceeded)
enum class ValidationErrorKind { Invalid, Unreadable, Conflict, CapacityExceeded };

// "Invalid", "Unreadable", "Conflict", "CapacityExceeded".
[[nodiscard]] std::string_view to_string(ValidationErrorKind kind);

struct ValidationError {
  std::string code;     // stable PascalCase code, e.g. "InvalidSemver", "MissingRequiredField"
  std::string path;     // JSON path, e.g. "$.nodes[2].capability_id"; "$" for the document
  std::string message;  // what was wrong and what was expected
  std::string file;     // the artifact's file path when read from disk, else empty

  [[nodiscard]] ValidationErrorKind kind() const;

  friend bool operator==(const ValidationError&, const ValidationError&) = default;
};

using ValidationErrors = std::vector<ValidationError>;

// "file: $.path: Code: message" (the file part only when known). The one-line form the CLI prints.
[[nodiscard]] std::string to_string(const ValidationError& error);

// Sets `file` on every error that has none (loaders call this after validating a parsed file).
void attach_file(ValidationErrors& errors, const std::string& file);

}  // namespace traverse
