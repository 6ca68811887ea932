#include "traverse/router/router_error.hpp"

#include <string>
#include <utility>

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

RouterError RouterError::placement_failed(PlacementError error) {
  RouterError made(RouterErrorKind::PlacementFailed);
  made.placement_error_ = std::move(error);
  return made;
}

RouterError RouterError::executor_not_found(ArtifactType artifact_type,
                                            PlacementDecision decision) {
  RouterError made(RouterErrorKind::ExecutorNotFound);
  made.artifact_type_ = artifact_type;
  made.placement_decision_ = std::move(decision);
  return made;
}

RouterError RouterError::execution_failed(ExecutorError error,
                                          std::optional<PlacementDecision> decision,
                                          std::uint64_t duration_ms,
                                          std::vector<ExecutionAttempt> attempts) {
  RouterError made(RouterErrorKind::ExecutionFailed);
  made.executor_error_ = std::move(error);
  made.placement_decision_ = std::move(decision);
  made.duration_ms_ = duration_ms;
  made.attempts_ = std::move(attempts);
  return made;
}

RouterError RouterError::output_validation_failed(ValidationErrors violations,
                                                  std::optional<PlacementDecision> decision) {
  RouterError made(RouterErrorKind::OutputValidationFailed);
  made.violations_ = std::move(violations);
  made.placement_decision_ = std::move(decision);
  return made;
}

RouterError RouterError::trace_write_failed(TraceError error,
                                            std::optional<PlacementDecision> decision) {
  RouterError made(RouterErrorKind::TraceWriteFailed);
  made.trace_error_ = std::move(error);
  made.placement_decision_ = std::move(decision);
  return made;
}

std::string RouterError::message() const {
  switch (kind_) {
    case RouterErrorKind::PlacementFailed:
      return "placement failed: " +
             (placement_error_ ? placement_error_->message() : std::string("NoEligibleTarget"));
    case RouterErrorKind::ExecutorNotFound:
      return "no executor registered for artifact type: " +
             std::string(traverse::to_string(artifact_type_));
    case RouterErrorKind::ExecutionFailed:
      // The executor's text already names the failure ("execution failed: ...", "execution
      // timed out: ..."); prefixing it again would say it twice.
      return executor_error_ ? executor_error_->message()
                             : std::string("execution failed: unknown executor error");
    case RouterErrorKind::OutputValidationFailed: {
      std::string text =
          "output validation failed: " + std::to_string(violations_.size()) + " violation(s)";
      for (std::size_t i = 0; i < violations_.size(); ++i) {
        text += i == 0 ? ": " : "; ";
        text += violations_[i].path() + ": " + violations_[i].message();
      }
      return text;
    }
    case RouterErrorKind::TraceWriteFailed:
      return "trace write failed: " +
             (trace_error_ ? trace_error_->to_string() : std::string("unknown trace error"));
  }
  return "router error";
}

std::string RouterError::error_class() const {
  if (kind_ == RouterErrorKind::ExecutionFailed && executor_error_) {
    return std::string(executor_error_->class_name());
  }
  return std::string(traverse::to_string(kind_));
}

std::string RouterError::to_string() const {
  return error_class() + ": " + message();
}

}  // namespace traverse
