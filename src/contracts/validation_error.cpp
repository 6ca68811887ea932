#include "traverse/contracts/validation_error.hpp"

namespace traverse {

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
