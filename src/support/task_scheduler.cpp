#include "traverse/support/task_scheduler.hpp"

namespace traverse {

std::string_view to_string(TaskRefused::Kind kind) {
  switch (kind) {
    case TaskRefused::Kind::ShuttingDown:
      return "ShuttingDown";
  }
  return "Unknown";
}

std::string TaskRefused::to_string() const {
  return std::string(traverse::to_string(kind_)) + ": " + message_;
}

}  // namespace traverse
