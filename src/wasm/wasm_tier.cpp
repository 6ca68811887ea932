// Tier names (see wasm_tier.hpp).
#include "traverse/wasm/wasm_tier.hpp"

namespace traverse {

std::string_view to_string(WasmTier tier) {
  switch (tier) {
    case WasmTier::Auto:
      return "auto";
    case WasmTier::Aot:
      return "aot";
    case WasmTier::Interpreter:
      return "interpreter";
  }
  return "auto";
}

std::optional<WasmTier> parse_wasm_tier(std::string_view text) {
  if (text == "auto")
    return WasmTier::Auto;
  if (text == "aot")
    return WasmTier::Aot;
  if (text == "interpreter")
    return WasmTier::Interpreter;
  return std::nullopt;
}

}  // namespace traverse
