// src/wasm/engine/aot_engine.hpp — the ahead-of-time engine: guests compiled to C by wabt's C
// writer (wasm2c), built into a shared object by the system C compiler (internal, C++17).
//
// Two halves, both used only inside traverse-wasm-worker (the host never loads compiled code):
// - translate_to_aot_c (compile mode of the worker executable): module bytes → C files (one or
//   more translation units) plus their header, with a small fixed-ABI wrapper (traverse_aot_*)
//   appended so the worker never needs to know wasm2c's name mangling.
// - load_aot_engine (serving mode, before the seccomp filter is installed): dlopen the object,
//   check its embedded key, and return an Engine that runs that one module. The worker defines
//   the wasm-rt.h runtime (memory with the run's cap, tables, traps through a per-thread jmp_buf,
//   a call-depth limit) and every whitelisted import (host_calls.hpp), exported to the object
//   from the worker executable.
//
// Thread safety: one run at a time per process (wasm-rt.h's call-depth counter is a process
// global); the worker serves one request at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine.hpp"

namespace traverse::wasm_internal {

// Version of the traverse_aot_* wrapper ABI and of the runtime the worker provides; part of the
// cache key, so objects built for another version are never loaded.
inline constexpr std::uint32_t kAotAbiVersion = 1;
// Wasm call depth at which compiled code traps with "call stack exhausted" (the worker's service
// thread has a 64 MiB stack: 4 KiB per frame).
inline constexpr std::uint32_t kAotMaxCallDepth = 16384;

// How the C compiler builds an object (part of the cache key). Explicit bounds checks instead of
// guard pages (no 8 GiB reservation per memory, no signal handler), and call-depth counting.
// -O1: GCC 12 on wabt's C output for a 28 KB expedition module (13k lines of C) takes 1.1 s of
// CPU at -O1, 1.8 s at -O2 and 0.6 s at -Og; the guest runs in 5.4 us at -O1 and 13 us at -Og
// (of a 35 us call), so -Og would cost more per call than it saves once (docs/wasm-tiers.md).
// The wall time is cut instead by compiling the module as several translation units at once
// (aot_units.hpp). -pipe: no temporary assembly files between the compiler and the assembler.
inline constexpr const char* kAotCompilerFlags[] = {
    "-O1",
    "-fPIC",
    "-pipe",
    "-w",
    "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0",
    "-DWASM_RT_USE_STACK_DEPTH_COUNT=1",
    "-DWASM_RT_MAX_CALL_STACK_DEPTH=16384",  // kAotMaxCallDepth
};
// How the units' objects (or the one unit's source) become the shared object.
inline constexpr const char* kAotLinkFlags[] = {"-shared"};

// Writes `dir`/module.h and the module's C as `dir`/module_<i>.c, split into at most
// `max_units` translation units (split_aot_c, aot_units.hpp), and returns their paths in
// `*sources`. `key` is embedded as the object's traverse_aot_key. On failure returns false and
// sets `*error`.
[[nodiscard]] bool translate_to_aot_c(std::string_view bytes, const std::string& key,
                                      const std::string& dir, std::size_t max_units,
                                      std::vector<std::string>* sources, std::string* error);

// dlopens `object_path`, checks that its traverse_aot_key is `key` and its ABI version matches,
// and returns the engine for its module (null and `*error` on failure). The engine's `load`
// decodes the module bytes for the import and limit checks; its `run` executes compiled code.
[[nodiscard]] std::unique_ptr<Engine> load_aot_engine(const std::string& object_path,
                                                      const std::string& key, std::string* error);

}  // namespace traverse::wasm_internal
