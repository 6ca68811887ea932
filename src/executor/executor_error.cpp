#include "traverse/executor/executor_error.hpp"

#include <utility>

namespace traverse {

std::string_view to_string(ExecutorErrorClass error_class) {
  switch (error_class) {
    case ExecutorErrorClass::BinaryLoadFailed:
      return "BinaryLoadFailed";
    case ExecutorErrorClass::ChecksumMismatch:
      return "ChecksumMismatch";
    case ExecutorErrorClass::RuntimeSetupFailed:
      return "RuntimeSetupFailed";
    case ExecutorErrorClass::MalformedWasmArtifact:
      return "MalformedWasmArtifact";
    case ExecutorErrorClass::UnsupportedAbiVersion:
      return "UnsupportedAbiVersion";
    case ExecutorErrorClass::UnauthorizedHostImport:
      return "UnauthorizedHostImport";
    case ExecutorErrorClass::ExecutionFailed:
      return "ExecutionFailed";
    case ExecutorErrorClass::Timeout:
      return "Timeout";
    case ExecutorErrorClass::ResourceExhausted:
      return "ResourceExhausted";
    case ExecutorErrorClass::OutputDeserializationFailed:
      return "OutputDeserializationFailed";
    case ExecutorErrorClass::UnsupportedArtifactType:
      return "UnsupportedArtifactType";
    case ExecutorErrorClass::Overloaded:
      return "Overloaded";
    case ExecutorErrorClass::RemoteUnavailable:
      return "RemoteUnavailable";
  }
  return "Unknown";
}

ExecutorError::ExecutorError(ExecutorErrorClass error_class, std::string detail, std::string first,
                             std::string second)
    : class_(error_class),
      detail_(std::move(detail)),
      first_(std::move(first)),
      second_(std::move(second)) {}

ExecutorError ExecutorError::binary_load_failed(std::string detail) {
  return {ExecutorErrorClass::BinaryLoadFailed, std::move(detail)};
}

ExecutorError ExecutorError::checksum_mismatch(std::string expected, std::string actual) {
  std::string detail = "expected " + expected + ", got " + actual;
  return {ExecutorErrorClass::ChecksumMismatch, std::move(detail), std::move(expected),
          std::move(actual)};
}

ExecutorError ExecutorError::runtime_setup_failed(std::string detail) {
  return {ExecutorErrorClass::RuntimeSetupFailed, std::move(detail)};
}

ExecutorError ExecutorError::malformed_wasm_artifact(std::string detail) {
  return {ExecutorErrorClass::MalformedWasmArtifact, std::move(detail)};
}

ExecutorError ExecutorError::unsupported_abi_version(std::string requested) {
  // Host ABI 1.0.0 is the only version this runtime implements (docs/wasm-capabilities-in-c.md).
  std::string detail = "requested Traverse Host ABI " + requested + ", supported 1.0.0";
  return {ExecutorErrorClass::UnsupportedAbiVersion, std::move(detail), std::move(requested)};
}

ExecutorError ExecutorError::unauthorized_host_import(std::string abi_version, std::string module,
                                                      std::string name) {
  std::string detail = "ABI " + abi_version + " does not allow import " + module + "::" + name;
  return {ExecutorErrorClass::UnauthorizedHostImport, std::move(detail), std::move(module),
          std::move(name)};
}

ExecutorError ExecutorError::execution_failed(std::string detail) {
  return {ExecutorErrorClass::ExecutionFailed, std::move(detail)};
}

ExecutorError ExecutorError::timeout(std::string detail) {
  return {ExecutorErrorClass::Timeout, std::move(detail)};
}

ExecutorError ExecutorError::resource_exhausted(std::string detail) {
  return {ExecutorErrorClass::ResourceExhausted, std::move(detail)};
}

ExecutorError ExecutorError::output_deserialization_failed(std::string detail) {
  return {ExecutorErrorClass::OutputDeserializationFailed, std::move(detail)};
}

ExecutorError ExecutorError::unsupported_artifact_type() {
  return {ExecutorErrorClass::UnsupportedArtifactType, std::string{}};
}

ExecutorError ExecutorError::overloaded(std::string detail) {
  return {ExecutorErrorClass::Overloaded, std::move(detail)};
}

ExecutorError ExecutorError::remote_unavailable(std::string detail) {
  return {ExecutorErrorClass::RemoteUnavailable, std::move(detail)};
}

std::string ExecutorError::message() const {
  std::string_view prefix;
  switch (class_) {
    case ExecutorErrorClass::BinaryLoadFailed:
      prefix = "binary load failed: ";
      break;
    case ExecutorErrorClass::ChecksumMismatch:
      prefix = "checksum mismatch: ";
      break;
    case ExecutorErrorClass::RuntimeSetupFailed:
      prefix = "runtime setup failed: ";
      break;
    case ExecutorErrorClass::MalformedWasmArtifact:
      prefix = "malformed_wasm_artifact: ";
      break;
    case ExecutorErrorClass::UnsupportedAbiVersion:
      prefix = "unsupported_abi_version: ";
      break;
    case ExecutorErrorClass::UnauthorizedHostImport:
      prefix = "unauthorized_host_import: ";
      break;
    case ExecutorErrorClass::ExecutionFailed:
      prefix = "execution failed: ";
      break;
    case ExecutorErrorClass::Timeout:
      prefix = "execution timed out: ";
      break;
    case ExecutorErrorClass::ResourceExhausted:
      prefix = "resource exhausted: ";
      break;
    case ExecutorErrorClass::OutputDeserializationFailed:
      prefix = "output deserialization failed: ";
      break;
    case ExecutorErrorClass::UnsupportedArtifactType:
      return "unsupported artifact type for this executor";
    case ExecutorErrorClass::Overloaded:
      prefix = "executor overloaded: ";
      break;
    case ExecutorErrorClass::RemoteUnavailable:
      prefix = "remote unavailable: ";
      break;
  }
  std::string text;
  text.reserve(prefix.size() + detail_.size());
  text.append(prefix).append(detail_);
  return text;
}

std::string ExecutorError::to_string() const {
  return std::string(traverse::to_string(class_)) + ": " + message();
}

}  // namespace traverse
