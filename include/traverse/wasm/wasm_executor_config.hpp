// traverse/wasm/wasm_executor_config.hpp — how a WasmExecutor runs its sandbox workers.
//
// Passed by value to WasmExecutor::create, which checks every field (ranges below) and keeps a
// copy. Value type; thread-compatible.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "traverse/wasm/wasm_execution_limits.hpp"
#include "traverse/wasm/wasm_tier.hpp"

namespace traverse {

struct WasmExecutorConfig {
  // --- Parameters that affect behaviour ---

  // Limits for every capability without an entry in `capability_limits`.
  WasmExecutionLimits default_limits;
  // Per-capability limits, keyed by capability id (replaces `default_limits` as a whole).
  std::map<std::string, WasmExecutionLimits, std::less<>> capability_limits;
  // The traverse-wasm-worker executable. Empty (default): $TRAVERSE_WASM_WORKER, then the folder
  // of the running executable (and its ../libexec/traverse), then this build tree, then the
  // install prefix's libexec/traverse. See find_wasm_worker.
  std::filesystem::path worker_path;
  // How guests run (wasm_tier.hpp). Unset (default): $TRAVERSE_WASM_TIER ("auto", "aot",
  // "interpreter"), else Auto.
  std::optional<WasmTier> tier;
  // Replace a worker after a guest trap (including a limit hit), not only after a crash or a
  // timeout. Guest state never outlives a call either way; this also discards anything a trap
  // may have left in the worker's engine.
  bool replace_worker_after_trap = true;

  // --- Parameters that affect performance and resource use ---

  // Sandbox worker processes: at most this many guests run at once. Accepted: 1 ..= 64.
  std::size_t worker_count = 2;
  // Callers that may wait for a free worker; one more gets Overloaded at once. 0 means a call
  // that finds every worker busy is rejected. Accepted: 0 ..= 65,536.
  std::size_t max_queued_calls = 64;
  // How long a queued caller waits for a worker before giving up with Timeout (nothing ran).
  // Accepted: 1 ms ..= 1 h.
  std::chrono::milliseconds queue_timeout{30'000};
  // Replace a worker after it served this many executions; 0 = never.
  std::size_t recycle_after_executions = 10'000;
  // Decoded modules each worker keeps, keyed by SHA-256, evicted in insertion order (FIFO, as
  // the reference's module cache). 0 is treated as 1. Accepted: 0 ..= 4,096.
  std::size_t module_cache_entries = 64;
  // Largest .wasm file accepted; a larger one is BinaryLoadFailed. Accepted: 8 B ..= 128 MiB.
  std::uint64_t max_module_bytes = 32U * 1024U * 1024U;
  // Address-space limit (RLIMIT_AS) of each worker process; 0 = none. Not applied when the
  // worker is built with AddressSanitizer or ThreadSanitizer (their shadow memory needs more).
  // Accepted: 0, or 64 MiB ..= 1 TiB.
  std::uint64_t worker_address_space_bytes = 1024U * 1024U * 1024U;
  // How long a new worker may take to report ready. Accepted: 1 ms ..= 10 min.
  std::chrono::milliseconds worker_start_timeout{10'000};
  // Start every worker in `create` (fail fast, no spawn latency on first calls) instead of on
  // first use.
  bool prestart_workers = false;

  // --- The ahead-of-time tier (docs/wasm-tiers.md) ---

  // Where compiled objects are cached. Empty: $TRAVERSE_AOT_CACHE_DIR, else
  // $XDG_CACHE_HOME/traverse/aot, else $HOME/.cache/traverse/aot. Created (0700) on first use.
  std::filesystem::path aot_cache_dir;
  // Total size of the cached objects; past it the least recently used are deleted.
  // Accepted: 1 MiB ..= 1 TiB.
  std::uint64_t aot_cache_max_bytes = 512U * 1024U * 1024U;
  // Wall-clock limit of one module's compile (translation + C compiler); the compiler's process
  // group is killed after it. Accepted: 100 ms ..= 1 h.
  std::chrono::milliseconds aot_compile_timeout{120'000};
  // Address-space limit of each compiler process (a large module is compiled by up to four at
  // once, docs/wasm-tiers.md); 0 = none. Accepted: 0, or 64 MiB ..= 1 TiB.
  std::uint64_t aot_compile_memory_bytes = 2048ULL * 1024U * 1024U;
  // The C compiler. Empty: $TRAVERSE_AOT_CC (when set, even if empty: "no compiler"), else `cc`
  // on $PATH.
  std::filesystem::path c_compiler;
  // Where warnings go (Auto falling back to the interpreter: once per executor when no compiler
  // can be used, once per module version whose compile failed). Default (empty): one line on
  // stderr, "traverse: warning: ...". Called on the calling thread; must not call the executor.
  std::function<void(std::string_view)> on_warning;

  // Diagnostics and tests: called on the calling thread right after a call was handed to the
  // worker with process id `pid`. Must not block for long and must not call the executor. If it
  // throws, the call still completes in the worker (which stays usable) and then fails with
  // ExecutionFailed "WasmExecutorConfig::on_dispatch threw: <what>" (its result discarded).
  std::function<void(int pid)> on_dispatch;
};

}  // namespace traverse
