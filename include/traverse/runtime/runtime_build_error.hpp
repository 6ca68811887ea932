// traverse/runtime/runtime_build_error.hpp — why TraverseRuntime::Builder::build failed.
//
// What the caller should do next, by kind:
//   InvalidOption        — a builder option is out of range or repeated (e.g. a native handler
//                          registered twice); fix the configuration.
//   ExecutorSetupFailed  — the default native thread pool could not start (message carries the
//                          ConfigError text); retry may help once the host has resources.
//   BrokerSetupFailed    — the default event broker rejected its configuration.
//   WorkflowRunnerFailed — the workflow runner factory returned an error (its text).
// Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace traverse {

enum class RuntimeBuildErrorKind {
  InvalidOption,
  ExecutorSetupFailed,
  BrokerSetupFailed,
  WorkflowRunnerFailed,
};

// "InvalidOption", "ExecutorSetupFailed", ...
[[nodiscard]] std::string_view to_string(RuntimeBuildErrorKind kind);

class RuntimeBuildError {
 public:
  RuntimeBuildError() = default;
  RuntimeBuildError(RuntimeBuildErrorKind kind, std::string message)
      : kind_(kind), message_(std::move(message)) {}

  [[nodiscard]] RuntimeBuildErrorKind kind() const { return kind_; }
  // What failed and what was expected.
  [[nodiscard]] const std::string& message() const { return message_; }
  // "<Kind>: <message>".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const RuntimeBuildError&, const RuntimeBuildError&) = default;

 private:
  RuntimeBuildErrorKind kind_ = RuntimeBuildErrorKind::InvalidOption;
  std::string message_;
};

}  // namespace traverse
