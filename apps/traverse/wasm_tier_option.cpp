// The shared `--wasm-tier` option (see wasm_tier_option.hpp).
#include "wasm_tier_option.hpp"

#include <cstdlib>
#include <string>

#include "traverse/wasm/wasm_tier.hpp"

namespace traverse::cli {

void add_wasm_tier_option(CLI::App& app) {
  app.add_option_function<std::string>(
         "--wasm-tier",
         [](const std::string& tier) { setenv(kWasmTierEnvironmentVariable, tier.c_str(), 1); },
         "How WebAssembly capabilities run: auto (default: compiled ahead of time when a C "
         "compiler is available, else interpreted), aot (compiled; fails without a C compiler) "
         "or interpreter. Sets $TRAVERSE_WASM_TIER")
      ->type_name("TIER")
      ->check(CLI::IsMember({"auto", "aot", "interpreter"}));
}

}  // namespace traverse::cli
