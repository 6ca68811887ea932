// src/wasm/engine/engine.hpp — the internal WebAssembly engine interface (not installed).
//
// An Engine decodes and validates a module once (`load`) and runs a loaded module any number of
// times (`run`), each run in fresh guest state: its own store, instance, linear memory and WASI
// context. The sandbox worker owns one Engine; the host uses only `validate_wasm`. A second
// engine (ahead-of-time compiled, e.g. wasm2c) can implement the same interface without touching
// the worker or the host.
//
// This header is C++17 (no std::expected): engine sources compile as C++17 because wabt's
// interp headers do not compile as C++20 or later.
//
// Thread safety: an Engine and its LoadedModules may be used from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace traverse::wasm_internal {

// What one run may use. Enforced inside the engine (the wall-clock deadline is enforced outside,
// by the host killing the worker process).
struct EngineLimits {
  std::uint64_t max_memory_bytes = 8U * 1024U * 1024U;  // linear memory, rounded down to pages
  std::uint32_t max_table_elements = 1024;
  std::uint64_t max_stdout_bytes = 64U * 1024U;
  std::uint64_t stderr_tail_bytes = 4096;
  std::uint32_t max_events = 256;  // accepted emit_event calls per run
};

// What the guest may ask the host (traverse_host query functions) and which events it may emit.
struct GuestContext {
  std::string capability_id;
  std::string capability_version;
  std::string execution_id;
  std::string trace_context;
  std::string runtime_config;  // canonical JSON text
  bool subscribable = false;
  std::vector<std::pair<std::string, std::string>> emits;  // (event_id, version)
};

// One accepted `traverse_host.emit_event` call.
struct GuestEvent {
  std::string event_id;
  std::string version;
  std::string payload_json;  // the payload re-serialised as compact JSON ("{}" when absent)
};

enum class RunStatus : std::uint8_t {
  Returned = 0,      // `_start` returned normally
  Exited = 1,        // proc_exit(exit_code)
  Trapped = 2,       // a wasm trap (message says which)
  MemoryLimit = 3,   // linear memory past max_memory_bytes (at instantiation or memory.grow)
  TableLimit = 4,    // a table larger than max_table_elements
  StdoutLimit = 5,   // stdout past max_stdout_bytes
  EventLimit = 6,    // more than max_events events
  LinkFailed = 7,    // an import the host does not provide, or with the wrong type
  NoEntryPoint = 8,  // no `_start` (or "") export of type () -> ()
  EngineFailed = 9,  // the engine itself could not prepare the run
};

struct RunReport {
  RunStatus status = RunStatus::Returned;
  std::int32_t exit_code = 0;  // for Exited
  std::string message;         // human detail for every status except Returned
  std::string stdout_data;
  std::string stderr_tail;  // the last stderr_tail_bytes bytes the guest wrote to fd 2
  std::vector<GuestEvent> events;
  std::uint64_t instantiate_ns = 0;
  std::uint64_t run_ns = 0;
};

// A decoded, validated module, ready to instantiate. Immutable after load.
class LoadedModule {
 public:
  virtual ~LoadedModule() = default;
  LoadedModule(const LoadedModule&) = delete;
  LoadedModule& operator=(const LoadedModule&) = delete;

 protected:
  LoadedModule() = default;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Decodes and validates `bytes`. On failure returns null and sets `*error` to the decoder's
  // message (the module is malformed).
  [[nodiscard]] virtual std::shared_ptr<const LoadedModule> load(std::string_view bytes,
                                                                 std::string* error) = 0;

  // Instantiates `module` in fresh state and runs its `_start` with `stdin_bytes` as WASI stdin.
  [[nodiscard]] virtual RunReport run(const LoadedModule& module, std::string_view stdin_bytes,
                                      const GuestContext& context, const EngineLimits& limits) = 0;
};

// The wabt interpreter engine.
[[nodiscard]] std::unique_ptr<Engine> make_interpreter_engine();

// Decodes and validates `bytes` with the interpreter's reader; on failure returns false and sets
// `*error`. Runs in the calling process (used by verify_wasm_host_abi).
[[nodiscard]] bool validate_wasm(std::string_view bytes, std::string* error);

}  // namespace traverse::wasm_internal
