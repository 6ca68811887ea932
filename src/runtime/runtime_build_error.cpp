#include "traverse/runtime/runtime_build_error.hpp"

#include <string>

namespace traverse {

std::string_view to_string(RuntimeBuildErrorKind kind) {
  switch (kind) {
    case RuntimeBuildErrorKind::InvalidOption:
      return "InvalidOption";
    case RuntimeBuildErrorKind::ExecutorSetupFailed:
      return "ExecutorSetupFailed";
    case RuntimeBuildErrorKind::BrokerSetupFailed:
      return "BrokerSetupFailed";
    case RuntimeBuildErrorKind::WorkflowRunnerFailed:
      return "WorkflowRunnerFailed";
  }
  return "InvalidOption";
}

std::string RuntimeBuildError::to_string() const {
  return std::string(traverse::to_string(kind_)) + ": " + message_;
}

}  // namespace traverse
