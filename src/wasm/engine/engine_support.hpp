// src/wasm/engine/engine_support.hpp — small pieces both engines (interpreter_engine.cpp,
// aot_engine.cpp) use: how wabt reads a module and reports errors, and run timing (internal,
// C++17, includes wabt headers).
//
// Thread safety: pure functions.
#pragma once

#include <wabt/binary-reader.h>
#include <wabt/error.h>
#include <wabt/feature.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace traverse::wasm_internal {

// Nanoseconds since `since`.
inline std::uint64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since)
          .count());
}

// wabt's errors as one line: "at offset N: message; ..." ("invalid module" when there are none).
inline std::string format_wabt_errors(const wabt::Errors& errors) {
  std::string out;
  for (const wabt::Error& error : errors) {
    if (!out.empty()) {
      out += "; ";
    }
    out += "at offset " + std::to_string(error.loc.offset) + ": " + error.message;
  }
  return out.empty() ? std::string("invalid module") : out;
}

// How both engines read a module: no debug names, stop at the first error, custom sections that
// do not parse are ignored.
inline wabt::ReadBinaryOptions wabt_read_options(const wabt::Features& features) {
  return wabt::ReadBinaryOptions(features, nullptr, /*read_debug_names=*/false,
                                 /*stop_on_first_error=*/true,
                                 /*fail_on_custom_section_error=*/false);
}

}  // namespace traverse::wasm_internal
