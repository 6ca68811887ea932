// Governing spec: 047-thread-pool-executor
#include "traverse/executor/executor_error.hpp"

#include <gtest/gtest.h>

#include "traverse/executor/artifact_type.hpp"

namespace traverse {
namespace {

TEST(ExecutorError, MessagesMatchTheReferenceDisplayText) {
  EXPECT_EQ(ExecutorError::binary_load_failed("no wasm_binary_path set").message(),
            "binary load failed: no wasm_binary_path set");
  EXPECT_EQ(ExecutorError::checksum_mismatch("abc", "def").message(),
            "checksum mismatch: expected abc, got def");
  EXPECT_EQ(ExecutorError::runtime_setup_failed("module link: unknown import").message(),
            "runtime setup failed: module link: unknown import");
  EXPECT_EQ(ExecutorError::malformed_wasm_artifact("module compile: bad magic").message(),
            "malformed_wasm_artifact: module compile: bad magic");
  EXPECT_EQ(ExecutorError::unsupported_abi_version("2.0.0").message(),
            "unsupported_abi_version: requested Traverse Host ABI 2.0.0, supported 1.0.0");
  EXPECT_EQ(ExecutorError::unauthorized_host_import("1.0.0", "wasi_snapshot_preview1", "random_get")
                .message(),
            "unauthorized_host_import: ABI 1.0.0 does not allow import "
            "wasi_snapshot_preview1::random_get");
  EXPECT_EQ(ExecutorError::execution_failed("inner failed").message(),
            "execution failed: inner failed");
  EXPECT_EQ(ExecutorError::timeout("all fuel consumed").message(),
            "execution timed out: all fuel consumed");
  EXPECT_EQ(ExecutorError::resource_exhausted("memory limit").message(),
            "resource exhausted: memory limit");
  EXPECT_EQ(ExecutorError::output_deserialization_failed("empty stdout").message(),
            "output deserialization failed: empty stdout");
  EXPECT_EQ(ExecutorError::unsupported_artifact_type().message(),
            "unsupported artifact type for this executor");
  EXPECT_EQ(ExecutorError::overloaded("queue full").message(), "executor overloaded: queue full");
  EXPECT_EQ(ExecutorError::remote_unavailable("no node").message(), "remote unavailable: no node");
}

TEST(ExecutorError, ClassNamesAreStable) {
  EXPECT_EQ(ExecutorError::binary_load_failed("x").class_name(), "BinaryLoadFailed");
  EXPECT_EQ(ExecutorError::checksum_mismatch("a", "b").class_name(), "ChecksumMismatch");
  EXPECT_EQ(ExecutorError::runtime_setup_failed("x").class_name(), "RuntimeSetupFailed");
  EXPECT_EQ(ExecutorError::malformed_wasm_artifact("x").class_name(), "MalformedWasmArtifact");
  EXPECT_EQ(ExecutorError::unsupported_abi_version("x").class_name(), "UnsupportedAbiVersion");
  EXPECT_EQ(ExecutorError::unauthorized_host_import("a", "b", "c").class_name(),
            "UnauthorizedHostImport");
  EXPECT_EQ(ExecutorError::execution_failed("x").class_name(), "ExecutionFailed");
  EXPECT_EQ(ExecutorError::timeout("x").class_name(), "Timeout");
  EXPECT_EQ(ExecutorError::resource_exhausted("x").class_name(), "ResourceExhausted");
  EXPECT_EQ(ExecutorError::output_deserialization_failed("x").class_name(),
            "OutputDeserializationFailed");
  EXPECT_EQ(ExecutorError::unsupported_artifact_type().class_name(), "UnsupportedArtifactType");
  EXPECT_EQ(ExecutorError::overloaded("x").class_name(), "Overloaded");
}

TEST(ExecutorError, StructuredFieldsKeepTheVariantPayload) {
  const auto mismatch = ExecutorError::checksum_mismatch("expected-hex", "actual-hex");
  EXPECT_EQ(mismatch.kind(), ExecutorErrorClass::ChecksumMismatch);
  EXPECT_EQ(mismatch.first(), "expected-hex");
  EXPECT_EQ(mismatch.second(), "actual-hex");
  EXPECT_EQ(mismatch.detail(), "expected expected-hex, got actual-hex");

  const auto import = ExecutorError::unauthorized_host_import("1.0.0", "env", "f");
  EXPECT_EQ(import.first(), "env");
  EXPECT_EQ(import.second(), "f");
  EXPECT_EQ(import.detail(), "ABI 1.0.0 does not allow import env::f");

  const auto abi = ExecutorError::unsupported_abi_version("9.9.9");
  EXPECT_EQ(abi.first(), "9.9.9");
  EXPECT_TRUE(abi.second().empty());

  const auto failed = ExecutorError::execution_failed("boom");
  EXPECT_EQ(failed.detail(), "boom");
  EXPECT_TRUE(failed.first().empty());
  EXPECT_TRUE(ExecutorError::unsupported_artifact_type().detail().empty());
}

TEST(ExecutorError, EqualityComparesClassAndPayload) {
  EXPECT_EQ(ExecutorError::execution_failed("a"), ExecutorError::execution_failed("a"));
  EXPECT_NE(ExecutorError::execution_failed("a"), ExecutorError::execution_failed("b"));
  EXPECT_NE(ExecutorError::execution_failed("a"), ExecutorError::timeout("a"));
}

TEST(ExecutorErrorClass, ToStringCoversEveryClass) {
  EXPECT_EQ(to_string(ExecutorErrorClass::Overloaded), "Overloaded");
  EXPECT_EQ(to_string(ExecutorErrorClass::RemoteUnavailable), "RemoteUnavailable");
  EXPECT_EQ(to_string(ExecutorErrorClass::Timeout), "Timeout");
  EXPECT_EQ(to_string(ArtifactType::Native), "Native");  // from artifact_type.hpp
}

}  // namespace
}  // namespace traverse
