// traverse/contracts/validation_error.hpp — one reason an artifact or value was rejected.
//
// Every validator in Traverse C++ reports *all* violations it finds, each as a ValidationError
// naming a stable code, the JSON path of the offending value and, when the artifact was read
// from disk, the file. Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>
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

class ValidationError {
 public:
  ValidationError() = default;
  ValidationError(std::string code, std::string path, std::string message, std::string file = {})
      : code_(std::move(code)),
        path_(std::move(path)),
        message_(std::move(message)),
        file_(std::move(file)) {}

  // Derived from code() by one table (validation_error.cpp).
  [[nodiscard]] ValidationErrorKind kind() const;
  // Stable PascalCase code, e.g. "InvalidSemver", "MissingRequiredField".
  [[nodiscard]] const std::string& code() const { return code_; }
  // JSON path, e.g. "$.nodes[2].capability_id"; "$" for the document.
  [[nodiscard]] const std::string& path() const { return path_; }
  // What was wrong and what was expected.
  [[nodiscard]] const std::string& message() const { return message_; }
  // The artifact's file path when read from disk, else empty.
  [[nodiscard]] const std::string& file() const { return file_; }
  // "file: $.path: Code: message" (the file part only when known). The one-line form the CLI
  // prints.
  [[nodiscard]] std::string to_string() const;

  // Names the file the error was found in (loaders, after reading a document).
  void set_file(std::string file) { file_ = std::move(file); }
  // Re-roots the path under `where`: "$.a" becomes "<where>.a"; a path not starting with "$"
  // becomes `where` (schemas compiled as part of a larger document).
  void rebase_path(std::string_view where);

  friend bool operator==(const ValidationError&, const ValidationError&) = default;

 private:
  std::string code_;
  std::string path_;
  std::string message_;
  std::string file_;
};

using ValidationErrors = std::vector<ValidationError>;

// error.to_string().
[[nodiscard]] std::string to_string(const ValidationError& error);

// Sets `file` on every error that has none (loaders call this after validating a parsed file).
void attach_file(ValidationErrors& errors, const std::string& file);

}  // namespace traverse
