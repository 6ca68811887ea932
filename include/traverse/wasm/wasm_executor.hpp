// traverse/wasm/wasm_executor.hpp — runs wasm32-wasip1 command modules in sandbox processes.
//
// A WasmExecutor owns a bounded pool of `traverse-wasm-worker` processes (posix_spawn over a
// socketpair). A module file is read and SHA-256-hashed once; its bytes are kept in memory and
// are the only bytes that run for it (bounded store: module_cache_entries files, 256 MiB). Per
// call, on the calling thread: stat the .wasm (`wasm_binary_path`; a changed file is read and
// hashed again, an unchanged one never is), check the SHA-256 against `wasm_checksum` (bare hex
// or "sha256:"-prefixed; before anything is decoded or sent), check the host ABI and every
// import against the whitelist (host_abi.hpp; once per module and ABI version), then hand the
// canonical input JSON (WASI stdin), the limits and the guest's identity to a free worker in one
// message. The worker decodes the module once per digest (cached), runs it in fresh guest state
// and answers in one message: stdout, exit status, stderr tail and emitted events; the host
// parses stdout as exactly one JSON value and records the events through the ExecutionContext
// (docs/wasm-capabilities-in-c.md, D3, D4, D10).
//
// Tiers (wasm_tier.hpp, docs/wasm-tiers.md): in the ahead-of-time tier a module is compiled once
// into a cached shared object (outside the host process, under limits) and each worker is started
// for one module, loading its object before it locks itself down; the module's bytes still go to
// the worker, which checks imports and limits exactly as the interpreter does.
//
// Workers are locked down (see docs): no new privileges, a seccomp-bpf allow list (a forbidden
// system call kills the worker: ExecutionFailed "sandbox worker died: signal 31 (SIGSYS) ..."),
// rlimits, an empty environment, no inherited files, and SIGKILL when the host process dies.
//
// A guest that hangs, crashes or exhausts its worker costs only that worker: it is killed and
// replaced, and the caller gets a typed error (Timeout; ExecutionFailed "sandbox worker died:
// signal N"). Calls beyond the worker count wait in a bounded queue (full: Overloaded).
// Destruction closes every worker (each exits on EOF; stragglers are killed) and reaps it; no
// call may be in progress when the executor is destroyed.
//
// Thread safety: safe for concurrent access from many threads without external synchronization.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "traverse/executor/capability_executor.hpp"
#include "traverse/wasm/wasm_executor_config.hpp"
#include "traverse/wasm/wasm_worker_error.hpp"

namespace traverse {

// Counters since creation. Times are sums in nanoseconds; divide by the matching count.
struct WasmExecutorStats {
  std::uint64_t executions = 0;     // calls handed to a worker
  std::uint64_t timeouts = 0;       // deadline expiries (worker killed)
  std::uint64_t worker_deaths = 0;  // workers that died during a call
  std::uint64_t workers_spawned = 0;
  std::uint64_t workers_replaced = 0;     // after a timeout, death, trap or protocol error
  std::uint64_t workers_recycled = 0;     // after recycle_after_executions
  std::uint64_t overloaded = 0;           // calls rejected because the queue was full
  std::uint64_t module_cache_hits = 0;    // worker module cache (by digest)
  std::uint64_t module_cache_misses = 0;  // the module was sent and decoded
  std::uint64_t module_file_reads = 0;    // .wasm files read and hashed (first use or changed)
  std::uint64_t spawn_ns = 0;             // over workers_spawned: spawn until the worker is ready
  std::uint64_t ipc_ns = 0;               // over executions: round trip minus the worker's work
  std::uint64_t decode_ns = 0;            // over module_cache_misses: decode + validate
  std::uint64_t instantiate_ns = 0;       // over executions
  std::uint64_t run_ns = 0;               // over executions: guest code
  std::uint64_t json_ns = 0;              // over executions: canonical input, output and events
  // The ahead-of-time tier (wasm_tier.hpp).
  std::uint64_t aot_executions = 0;     // calls run by compiled code
  std::uint64_t aot_compiles = 0;       // modules compiled by this executor
  std::uint64_t aot_object_reuses = 0;  // compiled objects found (and verified) in the cache
  std::uint64_t aot_fallbacks = 0;      // module versions that run in the interpreter (Auto)
  std::uint64_t aot_compile_ns = 0;     // over aot_compiles
  std::uint64_t workers_switched = 0;   // idle workers stopped to serve another module's tier
};

// What WasmExecutor::compile_ahead did.
struct WasmAotCompileReport {
  std::filesystem::path module_path;
  std::string module_sha256;
  std::filesystem::path object_path;  // the cached object
  bool compiled = false;              // false: a verified object was already cached
  std::chrono::nanoseconds compile_time{0};
  std::uint64_t object_bytes = 0;
};

// Where the worker executable is (see WasmExecutorConfig::worker_path for the search order).
// `configured` non-empty: that path, which must be an executable file. Failure: every path
// tried and why it could not be used.
[[nodiscard]] std::expected<std::filesystem::path, WasmWorkerError> find_wasm_worker(
    const std::filesystem::path& configured = {});

// An executor for when no sandbox worker can be used: every call fails with RuntimeSetupFailed
// "no sandbox worker for WebAssembly: <why>", so the reason reaches the user instead of a bare
// "no executor". Thread-safe.
[[nodiscard]] std::shared_ptr<const CapabilityExecutor> make_unavailable_wasm_executor(
    WasmWorkerError why);

class WasmExecutor final : public CapabilityExecutor {
 public:
  // Checks `config` and finds the worker executable (and starts the workers when
  // `prestart_workers`). Failure: RuntimeSetupFailed naming the invalid option (with the value
  // given and the accepted range), the missing worker executable, or the worker that could not
  // start.
  [[nodiscard]] static std::expected<std::unique_ptr<WasmExecutor>, ExecutorError> create(
      WasmExecutorConfig config = {});

  ~WasmExecutor() override;
  WasmExecutor(const WasmExecutor&) = delete;
  WasmExecutor& operator=(const WasmExecutor&) = delete;

  // Runs `capability` (artifact type Wasm) on `input`; see the file comment. Errors, by class:
  // UnsupportedArtifactType (not Wasm), BinaryLoadFailed (no path, unreadable, too large),
  // ChecksumMismatch, MalformedWasmArtifact, UnsupportedAbiVersion, UnauthorizedHostImport,
  // RuntimeSetupFailed (import with the wrong signature, no `_start`, no worker could start),
  // ExecutionFailed (trap, non-zero proc_exit with the stderr tail, worker died),
  // Timeout (deadline; or no worker free within queue_timeout), ResourceExhausted (memory,
  // table, stdout or event limit), OutputDeserializationFailed (stdout is not exactly one JSON
  // value, including empty), Overloaded (queue full). Emitted events are recorded in `context`
  // and returned only on success. Thread-safe.
  [[nodiscard]] std::expected<ExecutorOutput, ExecutorError> execute(
      const ExecutorCapability& capability, const Value& input,
      ExecutionContext& context) const override;

  // execute(...) on the calling thread (the guest runs in a sandbox worker process while the
  // caller waits for it); the completion is already fulfilled. Thread-safe.
  [[nodiscard]] ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                                          ExecutionContext& context) const override;

  [[nodiscard]] const WasmExecutorConfig& config() const;
  [[nodiscard]] const std::filesystem::path& worker_path() const;
  // Process ids of the live worker processes (idle or busy). Thread-safe.
  [[nodiscard]] std::vector<int> worker_pids() const;
  [[nodiscard]] WasmExecutorStats stats() const;
  // The tier in use: Interpreter, Aot, or Auto (compiles, falls back per module). Auto with no
  // usable compiler reports Interpreter.
  [[nodiscard]] WasmTier tier() const;
  // Compiles the module at `wasm_path` into the AOT cache now (or finds it there) so that its
  // first call does not wait for the compiler. RuntimeSetupFailed when the tier does not compile
  // or the compile fails; BinaryLoadFailed / MalformedWasmArtifact for a bad file. Thread-safe.
  [[nodiscard]] std::expected<WasmAotCompileReport, ExecutorError> compile_ahead(
      const std::filesystem::path& wasm_path) const;

 private:
  struct Impl;
  explicit WasmExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace traverse
