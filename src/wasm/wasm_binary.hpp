// src/wasm/wasm_binary.hpp — a small, bounds-checked reader of a wasm module's section framing
// and import section (internal). The host uses it to check ABI imports before any module
// reaches a worker, without decoding untrusted code in the host process.
//
// Thread safety: pure functions.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/executor/executor_error.hpp"
#include "traverse/wasm/host_abi.hpp"

namespace traverse::wasm_internal {

// Checks the header, that every section fits and that every declared count is bounded by the
// bytes present (check_module_bounds, module_bounds.hpp), and returns the imports in module order.
// Memory: the returned imports only (at most one per 4 bytes of the import section).
// Failure: what is wrong and at which byte offset (e.g. "bad magic number at offset 0").
[[nodiscard]] std::expected<std::vector<WasmImport>, std::string> read_wasm_imports(
    std::string_view bytes);

// The host ABI check (docs/wasm-capabilities-in-c.md, section 5) on already-read imports:
// `abi_version` must be supported, then the first non-whitelisted import in (module, name) order is
// reported. On success: the imports, sorted.
[[nodiscard]] std::expected<std::vector<WasmImport>, ExecutorError> check_host_abi(
    std::vector<WasmImport> imports, std::string_view abi_version);

}  // namespace traverse::wasm_internal
