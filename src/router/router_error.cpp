#include "traverse/router/router_error.hpp"

#include <string>

namespace traverse {

std::string_view to_string(RouterErrorKind kind) {
  switch (kind) {
    case RouterErrorKind::PlacementFailed:
      return "PlacementFailed";
    case RouterErrorKind::ExecutorNotFound:
      return "ExecutorNotFound";
    case RouterErrorKind::ExecutionFailed:
      return "ExecutionFailed";
    case RouterErrorKind::OutputValidationFailed:
      return "OutputValidationFailed";
    case RouterErrorKind::TraceWriteFailed:
      return "TraceWriteFailed";
  }
  return "ExecutionFailed";
}

std::string RouterError::message() const {
  switch (kind) {
    case RouterErrorKind::PlacementFailed:
      return "placement failed: " +
             (placement_error ? placement_error->message() : std::string("NoEligibleTarget"));
    case RouterErrorKind::ExecutorNotFound:
      return "no executor registered for artifact type: " + std::string(to_string(artifact_type));
    case RouterErrorKind::ExecutionFailed:
      // The executor's text already names the failure ("execution failed: ...", "execution
      // timed out: ..."); prefixing it again would say it twice.
      return executor_error ? executor_error->message()
                            : std::string("execution failed: unknown executor error");
    case RouterErrorKind::OutputValidationFailed: {
      std::string text =
          "output validation failed: " + std::to_string(violations.size()) + " violation(s)";
      for (std::size_t i = 0; i < violations.size(); ++i) {
        text += i == 0 ? ": " : "; ";
        text += violations[i].path + ": " + violations[i].message;
      }
      return text;
    }
    case RouterErrorKind::TraceWriteFailed:
      return "trace write failed: " +
             (trace_error ? trace_error->to_string() : std::string("unknown trace error"));
  }
  return "router error";
}

std::string RouterError::error_class() const {
  if (kind == RouterErrorKind::ExecutionFailed && executor_error) {
    return std::string(executor_error->class_name());
  }
  return std::string(to_string(kind));
}

}  // namespace traverse
