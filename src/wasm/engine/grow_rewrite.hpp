// src/wasm/engine/grow_rewrite.hpp — makes a failed `memory.grow` trap (internal, C++17).
//
// The reference runtime runs guests with "trap on grow failure": growing linear memory past the
// limit stops the guest with ResourceExhausted. wabt's interpreter instead returns -1 from
// `memory.grow`, with no hook. So, once per module (at load), every `memory.grow` is replaced by
// a call to an appended helper function that performs the grow and, when it fails, sets an
// appended mutable i32 global to 1 and executes `unreachable`. The engine reads that global after
// a trap to classify it as MemoryLimit. Appending (never inserting) a function, a type and a
// global keeps every existing index valid.
//
// Thread safety: pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace traverse::wasm_internal {

struct GrowRewrite {
  bool rewritten = false;           // false: the module has no memory.grow; bytes is empty
  std::vector<std::uint8_t> bytes;  // the rewritten module
  std::uint32_t flag_global = 0;    // index of the appended "grow failed" global
};

// Rewrites `bytes` (already validated). On failure returns false and sets `*error`.
[[nodiscard]] bool rewrite_memory_grow(std::string_view bytes, GrowRewrite* out,
                                       std::string* error);

}  // namespace traverse::wasm_internal
