// src/wasm/engine/host_calls.hpp — the host functions a guest may import, shared by every engine
// (internal, C++17).
//
// WASI preview1 (in-memory stdio, no files/network/args/env; clocks and random bytes from the
// worker) and the traverse_host ABI 1.0.0 are implemented once here, over a plain view of the
// guest's linear memory, so the interpreter and the ahead-of-time engine behave identically: the
// same import whitelist, the same stdout cap and the same answers. An engine only converts its
// own calling convention to `call_host` and stops the guest when it returns `stop`.
//
// Thread safety: pure functions over the caller's HostCallState (one run, one thread).
#pragma once

#include <wabt/interp/interp.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine.hpp"

namespace traverse::wasm_internal {

enum class HostFn : std::uint8_t {
  ArgsGet,
  ArgsSizesGet,
  EnvironGet,
  EnvironSizesGet,
  ClockResGet,
  ClockTimeGet,
  FdClose,
  FdFdstatGet,
  FdPrestatGet,
  FdPrestatDirName,
  FdRead,
  FdSeek,
  FdWrite,
  ProcExit,
  RandomGet,
  SchedYield,
  EmitEvent,
  CapabilityId,
  CapabilityVersion,
  ExecutionId,
  TraceContext,
  RuntimeConfig,
  ConnectorInvoke,
};

// One importable host function: its module, name and WebAssembly signature.
struct HostFnSpec {
  const char* module;
  const char* name;
  HostFn fn;
  wabt::interp::ValueTypes params;
  wabt::interp::ValueTypes results;
};

// Every host function, in a fixed order (an import binds to an index into this list).
[[nodiscard]] const std::vector<HostFnSpec>& host_functions();

// The index in host_functions() of `module`::`name`, or -1 (not on the whitelist).
[[nodiscard]] int find_host_function(std::string_view module, std::string_view name);

// Checks the imports of a decoded module against the whitelist and signatures. On success fills
// `bindings` (one host_functions() index per import) and returns nothing; otherwise the
// LinkFailed message ("unknown import m::n", "import m::n has type ...").
[[nodiscard]] std::optional<std::string> link_imports(
    const std::vector<wabt::interp::ImportDesc>& imports, std::vector<int>* bindings);

// Checks declared memories and tables against `limits` before instantiation; caps `desc`'s
// maxima at the limits. Returns the refusal (MemoryLimit or TableLimit with its message).
[[nodiscard]] std::optional<std::pair<RunStatus, std::string>> apply_declared_limits(
    wabt::interp::ModuleDesc* desc, const EngineLimits& limits);

// The message of a `memory.grow` past the limit (both engines).
[[nodiscard]] std::string memory_grow_limit_message(const EngineLimits& limits);

// A view of the guest's linear memory, taken at the time of the host call (memory.grow moves it).
struct GuestMemory {
  std::uint8_t* data = nullptr;
  std::uint64_t size = 0;
  bool present = false;

  [[nodiscard]] bool in_bounds(std::uint64_t offset, std::uint64_t length) const {
    return present && offset <= size && length <= size - offset;
  }
  [[nodiscard]] std::uint32_t load_u32(std::uint64_t offset) const {
    std::uint32_t value = 0;
    std::memcpy(&value, data + offset, sizeof value);
    return value;
  }
  void store_u32(std::uint64_t offset, std::uint32_t value) const {
    std::memcpy(data + offset, &value, sizeof value);
  }
  void store_u64(std::uint64_t offset, std::uint64_t value) const {
    std::memcpy(data + offset, &value, sizeof value);
  }
};

// What one run's host calls share. Lives on the run's stack.
struct HostCallState {
  const GuestContext* context = nullptr;
  const EngineLimits* limits = nullptr;
  std::string_view stdin_bytes;
  std::size_t stdin_offset = 0;
  RunReport* report = nullptr;
  // Set by a host function that stops the guest on purpose.
  bool exited = false;
  std::int32_t exit_code = 0;
  RunStatus stop_status = RunStatus::Returned;  // a limit hit inside a host function
  std::string stop_message;
};

struct HostCallResult {
  bool stop = false;         // stop the guest now (proc_exit or a limit; the state says which)
  std::uint32_t value = 0;   // the i32 result (bits), for functions that return one
  std::string stop_message;  // for an engine's trap object when `stop`
};

// Runs host function `fn` with its arguments (i32 arguments as u32 bits, i64 as u64).
[[nodiscard]] HostCallResult call_host(HostFn fn, HostCallState& state, const GuestMemory& memory,
                                       const std::uint64_t* args);

// Classifies a stopped or trapped run from the state a host call left (Exited, a limit status);
// false when no host call stopped the guest (a plain trap).
[[nodiscard]] bool classify_host_stop(const HostCallState& state, RunReport* report);

}  // namespace traverse::wasm_internal
