// The host ABI whitelist and the standalone verifier (see traverse/wasm/host_abi.hpp).
#include "traverse/wasm/host_abi.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "engine/engine.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/wasm/wasm_executor_config.hpp"
#include "wasm_binary.hpp"

namespace traverse {
namespace {

constexpr std::array<std::string_view, 1> kSupportedVersions = {kHostAbiVersion};

constexpr std::array<std::string_view, 16> kWasiAllowed = {
    "args_get",          "args_sizes_get", "clock_res_get", "clock_time_get",      "environ_get",
    "environ_sizes_get", "fd_close",       "fd_fdstat_get", "fd_prestat_dir_name", "fd_prestat_get",
    "fd_read",           "fd_seek",        "fd_write",      "proc_exit",           "random_get",
    "sched_yield",
};

constexpr std::array<std::string_view, 7> kHostAllowed = {
    "capability_id", "capability_version", "connector_invoke", "emit_event",
    "execution_id",  "runtime_config",     "trace_context",
};

}  // namespace

std::span<const std::string_view> supported_host_abi_versions() {
  return kSupportedVersions;
}

bool is_allowed_host_import(std::string_view module, std::string_view name) {
  const auto contains = [name](const auto& list) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  if (module == "wasi_snapshot_preview1")
    return contains(kWasiAllowed);
  if (module == "traverse_host")
    return contains(kHostAllowed);
  return false;
}

std::expected<HostAbiReport, ExecutorError> verify_wasm_host_abi(std::string_view bytes,
                                                                 std::string_view abi_version) {
  auto imports = wasm_internal::read_wasm_imports(bytes);
  if (!imports) {
    return std::unexpected(
        ExecutorError::malformed_wasm_artifact("module compile: " + imports.error()));
  }
  std::string error;
  if (!wasm_internal::validate_wasm(bytes, &error)) {
    return std::unexpected(ExecutorError::malformed_wasm_artifact("module compile: " + error));
  }
  auto checked = wasm_internal::check_host_abi(std::move(*imports), abi_version);
  if (!checked)
    return std::unexpected(std::move(checked.error()));
  return HostAbiReport{std::string(abi_version), std::move(*checked)};
}

std::expected<HostAbiReport, ExecutorError> verify_wasm_host_abi_file(
    const std::filesystem::path& path, std::string_view abi_version) {
  const std::uint64_t max_bytes = WasmExecutorConfig{}.max_module_bytes;
  auto bytes = read_regular_file(path, max_bytes);
  if (!bytes) {
    std::string why = std::move(bytes.error().message());
    if (bytes.error().kind() == FileReadError::Kind::TooLarge) {
      why += " (the largest module WasmExecutorConfig::max_module_bytes accepts by default)";
    }
    return std::unexpected(
        ExecutorError::binary_load_failed("cannot read " + path.string() + ": " + why));
  }
  return verify_wasm_host_abi(*bytes, abi_version);
}

}  // namespace traverse
