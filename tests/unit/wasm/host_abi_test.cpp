// Governing spec: 020-wasm-sandbox
#include "traverse/wasm/host_abi.hpp"

#include <gtest/gtest.h>

#include <string>

#include "traverse/json/parse.hpp"
#include "wasm_test_support.hpp"

namespace traverse {
namespace {

using wasm_test::module_path;

std::string module_bytes(std::string_view name) {
  auto bytes = read_file(module_path(name));
  EXPECT_TRUE(bytes.has_value()) << module_path(name);
  return bytes.value_or("");
}

TEST(HostAbi, WhitelistIsExactlyAbiOneDotZero) {
  for (const char* name :
       {"fd_read", "fd_write", "proc_exit", "fd_close", "fd_fdstat_get", "fd_seek",
        "fd_prestat_get", "fd_prestat_dir_name", "args_get", "args_sizes_get", "environ_get",
        "environ_sizes_get", "clock_res_get", "clock_time_get", "random_get", "sched_yield"}) {
    EXPECT_TRUE(is_allowed_host_import("wasi_snapshot_preview1", name)) << name;
  }
  for (const char* name : {"emit_event", "capability_id", "capability_version", "execution_id",
                           "trace_context", "runtime_config", "connector_invoke"}) {
    EXPECT_TRUE(is_allowed_host_import("traverse_host", name)) << name;
  }
  EXPECT_FALSE(is_allowed_host_import("wasi_snapshot_preview1", "path_open"));
  EXPECT_FALSE(is_allowed_host_import("wasi_snapshot_preview1", "sock_accept"));
  EXPECT_FALSE(is_allowed_host_import("traverse_host", "fd_write"));
  EXPECT_FALSE(is_allowed_host_import("env", "memory"));
  ASSERT_EQ(supported_host_abi_versions().size(), 1U);
  EXPECT_EQ(supported_host_abi_versions()[0], "1.0.0");
}

TEST(HostAbi, VerifyReportsSortedImports) {
  auto report = verify_wasm_host_abi(module_bytes("emit_event"));
  ASSERT_TRUE(report.has_value()) << report.error().message();
  EXPECT_EQ(report->abi_version, "1.0.0");
  const std::vector<WasmImport> expected = {{"traverse_host", "emit_event"},
                                            {"wasi_snapshot_preview1", "fd_read"},
                                            {"wasi_snapshot_preview1", "fd_write"}};
  EXPECT_EQ(report->imports, expected);
}

TEST(HostAbi, VerifyNamesTheFirstUnauthorizedImportInSortedOrder) {
  auto report = verify_wasm_host_abi(module_bytes("unauthorized_import"));
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind(), ExecutorErrorClass::UnauthorizedHostImport);
  EXPECT_EQ(report.error().first(), "env");
  EXPECT_EQ(report.error().second(), "getenv");
  EXPECT_EQ(report.error().message(),
            "unauthorized_host_import: ABI 1.0.0 does not allow import env::getenv");
}

TEST(HostAbi, VerifyRejectsAnUnsupportedAbiVersion) {
  auto report = verify_wasm_host_abi(module_bytes("echo"), "2.0.0");
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind(), ExecutorErrorClass::UnsupportedAbiVersion);
  EXPECT_EQ(report.error().first(), "2.0.0");
}

TEST(HostAbi, VerifyRejectsBadMagicAsMalformed) {
  auto report =
      verify_wasm_host_abi(std::string("\x7f"
                                       "ELF\x01\x00\x00\x00",
                                       8));
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind(), ExecutorErrorClass::MalformedWasmArtifact);
  EXPECT_NE(report.error().detail().find("module compile: bad magic number"), std::string::npos)
      << report.error().detail();
}

TEST(HostAbi, VerifyRejectsAnInvalidFunctionBodyAsMalformed) {
  auto report = verify_wasm_host_abi(module_bytes("invalid_body"));
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind(), ExecutorErrorClass::MalformedWasmArtifact);
  EXPECT_NE(report.error().detail().find("type mismatch"), std::string::npos)
      << report.error().detail();
}

TEST(HostAbi, VerifyRejectsATruncatedSection) {
  std::string bytes = module_bytes("echo");
  bytes.resize(bytes.size() - 5);
  auto report = verify_wasm_host_abi(bytes);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind(), ExecutorErrorClass::MalformedWasmArtifact);
}

TEST(HostAbi, VerifyFileReportsAnUnreadablePath) {
  auto report = verify_wasm_host_abi_file("/nonexistent/module.wasm");
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind(), ExecutorErrorClass::BinaryLoadFailed);
  EXPECT_NE(report.error().message().find("cannot read /nonexistent/module.wasm"),
            std::string::npos);
}

}  // namespace
}  // namespace traverse
