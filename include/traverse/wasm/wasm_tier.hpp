// traverse/wasm/wasm_tier.hpp — how WebAssembly guests are executed.
//
// - Interpreter: wabt's interpreter in the sandbox worker (no C compiler needed).
// - Aot: the module is translated to C (wabt's C writer), compiled once by the system C compiler
//   into a cached shared object, and run as machine code in the sandbox worker. No usable C
//   compiler is an error when the executor is created.
// - Auto (default): Aot when a C compiler is usable; otherwise the interpreter, with one warning.
// In both compiling tiers a module whose compile fails or times out runs in the interpreter, with
// one warning saying why (a malformed module is reported as malformed, without a warning).
//
// Value type and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace traverse {

enum class WasmTier : std::uint8_t { Auto, Aot, Interpreter };

// "auto", "aot" or "interpreter".
[[nodiscard]] std::string_view to_string(WasmTier tier);
// The tier named `text` ("auto", "aot", "interpreter"), or nothing.
[[nodiscard]] std::optional<WasmTier> parse_wasm_tier(std::string_view text);

// The environment variable that selects the tier when WasmExecutorConfig::tier is not set (the
// CLI's --wasm-tier sets it for its process).
inline constexpr const char* kWasmTierEnvironmentVariable = "TRAVERSE_WASM_TIER";

}  // namespace traverse
