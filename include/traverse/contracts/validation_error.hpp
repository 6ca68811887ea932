// traverse/contracts/validation_error.hpp — one reason an artifact or value was rejected.
//
// Every validator in Traverse C++ reports *all* violations it finds, each as a ValidationError
// naming a stable code, the JSON path of the offending value and, when the artifact was read
// from disk, the file. Value type; thread-compatible.
#pragma once

#include <string>
#include <vector>

namespace traverse {

struct ValidationError {
  std::string code;     // stable PascalCase code, e.g. "InvalidSemver", "MissingRequiredField"
  std::string path;     // JSON path, e.g. "$.nodes[2].capability_id"; "$" for the document
  std::string message;  // what was wrong and what was expected
  std::string file;     // the artifact's file path when read from disk, else empty

  friend bool operator==(const ValidationError&, const ValidationError&) = default;
};

using ValidationErrors = std::vector<ValidationError>;

// "file: $.path: Code: message" (the file part only when known). The one-line form the CLI prints.
[[nodiscard]] std::string to_string(const ValidationError& error);

// Sets `file` on every error that has none (loaders call this after validating a parsed file).
void attach_file(ValidationErrors& errors, const std::string& file);

}  // namespace traverse
