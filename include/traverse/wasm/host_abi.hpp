// traverse/wasm/host_abi.hpp — the Traverse host ABI: which imports a WebAssembly capability may
// use, and the standalone verifier behind `traverse wasm verify` (docs/wasm-capabilities-in-c.md,
// D4).
//
// ABI 1.0.0 allows `wasi_snapshot_preview1` {fd_read, fd_write, proc_exit, fd_close,
// fd_fdstat_get, fd_seek, fd_prestat_get, fd_prestat_dir_name, args_get, args_sizes_get,
// environ_get, environ_sizes_get, clock_res_get, clock_time_get, random_get, sched_yield} and
// `traverse_host` {emit_event, capability_id, capability_version, execution_id, trace_context,
// runtime_config, connector_invoke}. Signatures are checked when the module is linked, not here.
//
// Thread safety: pure functions, safe from any thread.
#pragma once

#include <compare>
#include <expected>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/executor/executor_error.hpp"

namespace traverse {

// The only host ABI version this runtime supports.
inline constexpr std::string_view kHostAbiVersion = "1.0.0";

// One import of a module (any kind: function, table, memory, global).
struct WasmImport {
  std::string module;
  std::string name;
  friend auto operator<=>(const WasmImport&, const WasmImport&) = default;
};

struct HostAbiReport {
  std::string abi_version;
  std::vector<WasmImport> imports;  // every import, sorted by (module, name)
};

// The ABI versions this runtime supports (["1.0.0"]).
[[nodiscard]] std::span<const std::string_view> supported_host_abi_versions();

// Whether ABI 1.0.0 allows importing `module`::`name`.
[[nodiscard]] bool is_allowed_host_import(std::string_view module, std::string_view name);

// Checks `bytes` as the reference's verifier does, in this order: the module decodes and
// validates (else MalformedWasmArtifact "module compile: ..."); `abi_version` is supported (else
// UnsupportedAbiVersion); every import is allowed (else UnauthorizedHostImport naming the first
// offender in (module, name) order). On success: the ABI version and the sorted imports.
// Decoding runs in the calling process (use WasmExecutor for untrusted modules at run time).
[[nodiscard]] std::expected<HostAbiReport, ExecutorError> verify_wasm_host_abi(
    std::string_view bytes, std::string_view abi_version = kHostAbiVersion);

// Reads `path` (BinaryLoadFailed "cannot read <path>: <reason>" if it cannot) and verifies it.
// The file must be a regular file of at most WasmExecutorConfig{}.max_module_bytes (32 MiB);
// its type and size are checked before any byte is read. Memory per call: the module's bytes plus
// the decoder's structures; every count the decoder allocates from is first checked against the
// bytes present (at most one entry per byte; at most 50,000 locals per function), so they grow
// with the module's size, not with the counts it declares.
[[nodiscard]] std::expected<HostAbiReport, ExecutorError> verify_wasm_host_abi_file(
    const std::filesystem::path& path, std::string_view abi_version = kHostAbiVersion);

}  // namespace traverse
