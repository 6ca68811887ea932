// Governing spec: 010-runtime-stack
//
// docs/compatibility.md D10: a capability package's fnv1a64 digest is verified when it is loaded,
// and the module's SHA-256 taken then is checked again before every execution, so a .wasm replaced
// on disk after loading never runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "traverse/json/parse.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/wasm/wasm_executor_config.hpp"

namespace traverse {
namespace {

namespace fs = std::filesystem;

const char* const kCapability = "expedition.planning.capture-expedition-objective";

RuntimeRequest capture_request(std::string request_id) {
  RuntimeRequest request;
  request.request_id = std::move(request_id);
  request.capability_id = kCapability;
  request.capability_version = "1.0.0";
  request.input = Value{{"objective", "Summit Mont Blanc by the Gouter route"},
                        {"region", "Mont Blanc massif"},
                        {"start_date", "2027-07-14"},
                        {"duration_days", 4}};
  return request;
}

TEST(PackageChecksum, ModuleReplacedOnDiskAfterLoadingIsRefusedWithChecksumMismatch) {
  // A private copy of the expedition example, so the test can tamper with a module.
  const fs::path root =
      fs::temp_directory_path() / ("traverse-package-checksum-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::copy(fs::path(TRAVERSE_SOURCE_DIR) / "examples/expedition", root,
           fs::copy_options::recursive);
  const fs::path package_dir = root / "capabilities/capture-expedition-objective";

  TraverseRuntime::Builder builder;
  builder.with_wasm_config(WasmExecutorConfig{});
  auto runtime = builder.build();
  ASSERT_TRUE(runtime.has_value()) << runtime.error().message();
  auto registered = (*runtime)->register_package(package_dir / "package.json");
  ASSERT_TRUE(registered.has_value()) << to_string(registered.error().front());

  const RuntimeResult before = (*runtime)->execute_capability(capture_request("before"));
  ASSERT_TRUE(before.completed()) << before.error->message();

  // Replace the module with another valid expedition module: same size class, different bytes.
  const auto other = read_file(root /
                               "capabilities/interpret-expedition-intent/"
                               "interpret-expedition-intent.wasm");
  ASSERT_TRUE(other.has_value());
  {
    std::ofstream out(package_dir / "capture-expedition-objective.wasm",
                      std::ios::binary | std::ios::trunc);
    out << *other;
  }

  const RuntimeResult after = (*runtime)->execute_capability(capture_request("after"));
  ASSERT_FALSE(after.completed());
  ASSERT_TRUE(after.error.has_value());
  EXPECT_EQ(after.error->code(), "execution_failed");
  EXPECT_NE(after.error->message().find("checksum mismatch"), std::string::npos)
      << after.error->message();
  fs::remove_all(root);
}

}  // namespace
}  // namespace traverse
