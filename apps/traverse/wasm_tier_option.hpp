// apps/traverse/wasm_tier_option.hpp — the shared `--wasm-tier` option of the `traverse` CLI.
//
// Declared once on the top-level app (a global flag, accepted before or after any subcommand),
// so every command that executes WebAssembly (run, workflow, package run, serve, ...) honours
// it. It sets $TRAVERSE_WASM_TIER for this process, which every WasmExecutor created without an
// explicit tier reads (traverse/wasm/wasm_tier.hpp).
#pragma once

#include <CLI/CLI.hpp>

namespace traverse::cli {

// Adds `--wasm-tier auto|aot|interpreter` to `app`.
void add_wasm_tier_option(CLI::App& app);

}  // namespace traverse::cli
