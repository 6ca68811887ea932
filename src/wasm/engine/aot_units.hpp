// src/wasm/engine/aot_units.hpp — splitting the C writer's output into translation units that
// the C compiler builds in parallel (internal, C++17).
//
// The C compiler spends about a second of CPU on an expedition module's 13k lines of C, nearly
// all of it in the optimiser, which works one function at a time. Compiled as N translation
// units by N concurrent compiler processes and linked into one shared object, the same code
// builds in about 1/N of the wall time for a few per cent more CPU (each unit parses the
// C writer's prelude again).
//
// split_aot_c works on the layout wabt 1.0.32's C writer emits: a prelude (includes, macros,
// helpers, the func_types table), one block of `static` declarations of every function, the
// data and table initialisers, the function definitions (each `static ... w2c_NAME(...) {`
// up to a line `}`), then exports and the instantiate/free functions. Unit 0 keeps everything
// but the other units' function definitions; every other unit is the prelude, the declaration
// block and its share of the definitions (contiguous, balanced by size). A function called from
// another unit loses `static` and becomes a hidden symbol of the object; func_types becomes one
// hidden array defined in unit 0. Anything unexpected (a function body in another unit naming
// any other file-scope static object, a layout it does not recognise) leaves the source whole:
// splitting only ever changes how fast the object is built, never what it does.
//
// Thread safety: pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace traverse::wasm_internal {

// Version of the splitting scheme (part of the cache key with the two bounds below).
inline constexpr std::uint32_t kAotUnitsVersion = 1;
// Below this many bytes of function definitions per unit a module is not split (the extra
// compiler processes and prelude parses cost more than they save).
inline constexpr std::size_t kAotMinUnitBytes = 48U * 1024U;
// The most units a module is split into (the compile mode uses at most one per idle CPU).
inline constexpr std::size_t kAotMaxUnits = 4;

// The C sources of one module's translation units: `c` itself (one element) when it is not
// split, else between 2 and `max_units` sources that together define exactly what `c` defines.
[[nodiscard]] std::vector<std::string> split_aot_c(std::string_view c, std::size_t max_units,
                                                   std::size_t min_unit_bytes = kAotMinUnitBytes);

}  // namespace traverse::wasm_internal
