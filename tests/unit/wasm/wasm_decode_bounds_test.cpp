// Governing spec: 020-wasm-sandbox
//
// Defect 1 of issue 15 (memory blow-up decoding .wasm on the host side): decoding is bounded by
// the bytes present, the module size cap applies before any read, and a module declaring
// billions of locals is rejected with a typed error before any worker sees it.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "traverse/wasm/host_abi.hpp"
#include "traverse/wasm/wasm_executor.hpp"
#include "wasm_test_support.hpp"

namespace traverse {
namespace {

std::string leb(std::uint32_t value) {
  std::string out;
  do {
    auto byte = static_cast<unsigned char>(value & 0x7FU);
    value >>= 7;
    if (value != 0) {
      byte |= 0x80U;
    }
    out.push_back(static_cast<char>(byte));
  } while (value != 0);
  return out;
}

std::string section(std::uint8_t id, const std::string& body) {
  return std::string(1, static_cast<char>(id)) + leb(static_cast<std::uint32_t>(body.size())) +
         body;
}

const std::string kHeader("\0asm\x01\x00\x00\x00", 8);

// A module whose `_start` () -> () declares `locals` i32 locals (one declaration).
std::string module_with_locals(std::uint32_t locals) {
  const std::string types = section(1, std::string("\x01\x60\x00\x00", 4));
  const std::string funcs = section(3, std::string("\x01\x00", 2));
  const std::string exports = section(7, std::string("\x01\x06_start\x00\x00", 10));
  const std::string body = std::string("\x01", 1) + leb(locals) + "\x7f\x0b";
  const std::string code =
      section(10, "\x01" + leb(static_cast<std::uint32_t>(body.size())) + body);
  return kHeader + types + funcs + exports + code;
}

std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::path(TRAVERSE_BINARY_DIR) / "test-tmp" / "wasm" /
             (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string write_module(const std::string& bytes) {
  const auto path = scratch_dir() / "module.wasm";
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

TEST(WasmDecodeDefect, ModuleDeclaringBillionsOfLocalsIsMalformedOnTheHost) {
  const std::string bytes = module_with_locals(0xFFFFFFF0U);
  EXPECT_LT(bytes.size(), 64U);
  const auto report = verify_wasm_host_abi(bytes);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind(), ExecutorErrorClass::MalformedWasmArtifact);
  EXPECT_NE(report.error().detail().find("declares more than 50000 locals"), std::string::npos)
      << report.error().detail();
}

TEST(WasmDecodeDefect, FiftyThousandLocalsAreStillAccepted) {
  const auto report = verify_wasm_host_abi(module_with_locals(50'000));
  EXPECT_TRUE(report.has_value()) << report.error().message();
}

TEST(WasmDecodeDefect, ModuleDeclaringBillionsOfLocalsNeverReachesAWorker) {
  const auto executor = wasm_test::make_executor();
  ASSERT_NE(executor, nullptr);
  ExecutorCapability capability = wasm_test::wasm_capability("echo");
  capability.wasm_binary_path = write_module(module_with_locals(0xFFFFFFF0U));
  const auto result = wasm_test::run(*executor, capability);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), ExecutorErrorClass::MalformedWasmArtifact)
      << result.error().message();
  EXPECT_NE(result.error().message().find("locals"), std::string::npos) << result.error().message();
  wasm_test::expect_echo_works(*executor);
}

TEST(WasmDecodeDefect, HeaderPlusZerosIsMalformedNotWhitelisted) {
  // Each pair of zero bytes reads as an empty custom section without a name.
  const std::string bytes = kHeader + std::string(std::size_t{4} << 20, '\0');
  const auto report = verify_wasm_host_abi(bytes);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind(), ExecutorErrorClass::MalformedWasmArtifact);
  EXPECT_NE(report.error().detail().find("custom section name extends past its section at "
                                         "offset 8"),
            std::string::npos)
      << report.error().detail();
}

TEST(WasmDecodeDefect, CountLargerThanTheRemainingBytesIsMalformed) {
  // A function section declaring 2^32-1 functions in 6 bytes.
  const std::string bytes = kHeader + section(3, leb(0xFFFFFFFFU) + std::string(1, '\0'));
  const auto report = verify_wasm_host_abi(bytes);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind(), ExecutorErrorClass::MalformedWasmArtifact);
  EXPECT_NE(report.error().detail().find("section 3 declares 4294967295 entries but has only 1 "
                                         "bytes left"),
            std::string::npos)
      << report.error().detail();
}

TEST(WasmDecodeDefect, FileLargerThanTheModuleCapIsRefusedBeforeReading) {
  // 1 TiB apparent size, no blocks: refused from stat.
  const auto path = scratch_dir() / "huge.wasm";
  std::ofstream(path, std::ios::binary) << kHeader;
  std::filesystem::resize_file(path, std::uintmax_t{1} << 40);
  const auto report = verify_wasm_host_abi_file(path);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind(), ExecutorErrorClass::BinaryLoadFailed);
  EXPECT_NE(report.error().message().find("larger than the limit of 33554432 bytes"),
            std::string::npos)
      << report.error().message();
}

TEST(WasmDecodeDefect, DeviceIsRefusedAsNotARegularFile) {
  const auto report = verify_wasm_host_abi_file("/dev/zero");
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind(), ExecutorErrorClass::BinaryLoadFailed);
  EXPECT_NE(report.error().message().find("not a regular file (character device)"),
            std::string::npos)
      << report.error().message();
}

}  // namespace
}  // namespace traverse
