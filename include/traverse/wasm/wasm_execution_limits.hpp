// traverse/wasm/wasm_execution_limits.hpp — what one WebAssembly execution may use.
//
// WasmExecutorConfig holds the default limits and per-capability overrides. Every limit is
// enforced for every call; hitting one stops the guest and returns a typed ExecutorError.
//
// Value type; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>

namespace traverse {

struct WasmExecutionLimits {
  // Wall-clock time from handing the call to a sandbox worker until its result arrives (module
  // transfer and decode on a cache miss included). On expiry the worker process is killed and
  // replaced, and the call returns Timeout. Accepted: 1 ms ..= 1 h.
  std::chrono::milliseconds deadline{5000};
  // Linear memory per instance, enforced by the engine: a module declaring more initial memory,
  // or a `memory.grow` past it, stops the guest with ResourceExhausted. Rounded down to whole
  // 64 KiB pages. Accepted: 64 KiB ..= 4 GiB.
  std::uint64_t max_memory_bytes = 8U * 1024U * 1024U;
  // Elements per table; a larger declared table (or more than 8 tables) is ResourceExhausted,
  // `table.grow` past it returns -1. Accepted: 0 ..= 10,000,000.
  std::uint32_t max_table_elements = 1024;
  // Bytes the guest may write to stdout; one more is ResourceExhausted. Accepted: 0 ..= 64 MiB.
  std::uint64_t max_stdout_bytes = 64U * 1024U;
  // How much of the end of stderr is kept to explain a failure. Accepted: 0 ..= 1 MiB.
  std::uint64_t stderr_tail_bytes = 4096;
  // Accepted `traverse_host.emit_event` calls per execution; one more is ResourceExhausted.
  // Accepted: 0 ..= 65,536.
  std::uint32_t max_events = 256;

  friend bool operator==(const WasmExecutionLimits&, const WasmExecutionLimits&) = default;
};

}  // namespace traverse
