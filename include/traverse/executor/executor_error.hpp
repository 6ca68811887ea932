// traverse/executor/executor_error.hpp — why an executor could not produce an output.
//
// Every class of docs/native-capabilities.md plus `Overloaded` (a bounded queue was full). Each
// class has a stable name (`class_name()`, e.g. "ExecutionFailed", recorded in traces) and the
// reference's display text (`message()`, e.g. "execution failed: inner failed").
//
// What the caller should do next, by class:
//   BinaryLoadFailed, ChecksumMismatch, MalformedWasmArtifact, UnsupportedAbiVersion,
//   UnauthorizedHostImport, UnsupportedArtifactType — the artifact or its registration is wrong;
//     fix it, do not retry.
//   RuntimeSetupFailed — the host could not prepare execution (e.g. no sandbox worker); retry may
//     help once the host recovers.
//   ExecutionFailed — the capability ran and failed (or panicked/trapped); retry only if the
//     capability is known to be idempotent and the failure transient.
//   Timeout — the call never started (queue deadline) or was stopped at its deadline.
//   ResourceExhausted — a memory/output limit was hit; fix the input or raise the limit.
//   OutputDeserializationFailed — the capability wrote something that is not one JSON value.
//   Overloaded — nothing ran; retry later or shed load.
//   RemoteUnavailable — a remote call found no node to run it (no responders) or lost its
//     connection before the reply: it may or may not have run; retry only if the capability is
//     safe to run twice (docs/cluster.md).
//
// Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>

namespace traverse {

enum class ExecutorErrorClass {
  BinaryLoadFailed,
  ChecksumMismatch,
  RuntimeSetupFailed,
  MalformedWasmArtifact,
  UnsupportedAbiVersion,
  UnauthorizedHostImport,
  ExecutionFailed,
  Timeout,
  ResourceExhausted,
  OutputDeserializationFailed,
  UnsupportedArtifactType,
  Overloaded,
  RemoteUnavailable,
};

[[nodiscard]] std::string_view to_string(ExecutorErrorClass error_class);

class ExecutorError {
 public:
  // Factories, one per class. `detail` is the variant's payload text.
  [[nodiscard]] static ExecutorError binary_load_failed(std::string detail);
  [[nodiscard]] static ExecutorError checksum_mismatch(std::string expected, std::string actual);
  [[nodiscard]] static ExecutorError runtime_setup_failed(std::string detail);
  [[nodiscard]] static ExecutorError malformed_wasm_artifact(std::string detail);
  [[nodiscard]] static ExecutorError unsupported_abi_version(std::string requested);
  [[nodiscard]] static ExecutorError unauthorized_host_import(std::string abi_version,
                                                              std::string module, std::string name);
  [[nodiscard]] static ExecutorError execution_failed(std::string detail);
  [[nodiscard]] static ExecutorError timeout(std::string detail);
  [[nodiscard]] static ExecutorError resource_exhausted(std::string detail);
  [[nodiscard]] static ExecutorError output_deserialization_failed(std::string detail);
  [[nodiscard]] static ExecutorError unsupported_artifact_type();
  [[nodiscard]] static ExecutorError overloaded(std::string detail);
  [[nodiscard]] static ExecutorError remote_unavailable(std::string detail);

  [[nodiscard]] ExecutorErrorClass kind() const { return class_; }
  // Stable class name, e.g. "ExecutionFailed".
  [[nodiscard]] std::string_view class_name() const { return traverse::to_string(class_); }
  // The variant payload without the class prefix, e.g. "inner failed".
  [[nodiscard]] const std::string& detail() const { return detail_; }
  // Display text, e.g. "execution failed: inner failed",
  // "unauthorized_host_import: ABI 1.0.0 does not allow import env::f".
  [[nodiscard]] std::string message() const;
  // "<Class>: <message>", e.g. "ExecutionFailed: execution failed: inner failed".
  [[nodiscard]] std::string to_string() const;

  // For UnauthorizedHostImport: the offending import (`first` = module, `second` = name). For
  // ChecksumMismatch: `first` = expected, `second` = actual. For UnsupportedAbiVersion: `first` =
  // requested version. Empty otherwise.
  [[nodiscard]] const std::string& first() const { return first_; }
  [[nodiscard]] const std::string& second() const { return second_; }

  friend bool operator==(const ExecutorError&, const ExecutorError&) = default;

 private:
  ExecutorError(ExecutorErrorClass error_class, std::string detail, std::string first = {},
                std::string second = {});
  ExecutorErrorClass class_;
  std::string detail_;
  std::string first_;
  std::string second_;
};

}  // namespace traverse
