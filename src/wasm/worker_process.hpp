// src/wasm/worker_process.hpp — one sandbox worker process, seen from the host (internal).
//
// Owns the child process and the host end of its socket. Every blocking operation takes a
// deadline. The process is always reaped: by kill_and_reap / reap_after_close / shutdown, or by
// the destructor (which kills).
//
// Thread safety: confine to one thread at a time (the pool hands a worker to one caller).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace traverse::wasm_internal {

struct WorkerSpawnOptions {
  std::filesystem::path executable;
  std::size_t cache_entries = 64;
  std::uint64_t address_space_bytes = 0;
  std::chrono::milliseconds start_timeout{10'000};
  // Ahead-of-time tier: the compiled object the worker loads at start, the key it must carry
  // and the digest of the one module it serves. Empty: an interpreter worker (any module).
  std::string aot_object;
  std::string aot_key;
  std::string aot_digest;
};

// Whether the CPUs are not contended now (no more runnable threads than CPUs, the caller
// included), by the kernel's instantaneous count in /proc/loadavg, sampled at most once a
// millisecond. Polling for
// a worker's answer instead of sleeping pays only then: waking an idle CPU costs tens of
// microseconds on a paravirtualised machine, while on a busy one a polling thread takes the CPU
// the worker needs. False when the count cannot be read. Thread-safe.
[[nodiscard]] bool cpu_idle_now();

class WorkerProcess {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Io { Ok, Timeout, Closed, ProtocolError };

  // Starts the worker and waits for its Hello. Failure: why (spawn error, exit, timeout).
  [[nodiscard]] static std::expected<std::unique_ptr<WorkerProcess>, std::string> spawn(
      const WorkerSpawnOptions& options);
  // The two halves of spawn. The worker asks for SIGKILL when the *thread* that started it
  // exits (PR_SET_PDEATHSIG follows the thread), so `start` must run on a thread that lives as
  // long as the worker should; `await_ready` may run anywhere.
  [[nodiscard]] static std::expected<std::unique_ptr<WorkerProcess>, std::string> start(
      const WorkerSpawnOptions& options);
  [[nodiscard]] std::expected<void, std::string> await_ready(const WorkerSpawnOptions& options);

  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  // The AOT key the worker was started with (empty: an interpreter worker).
  [[nodiscard]] const std::string& aot_key() const { return aot_key_; }
  // Whether an idle worker still looks usable: an idle worker never writes, so a readable or
  // hung-up socket means it died (or misbehaved) while idle.
  [[nodiscard]] bool idle_and_alive() const;
  [[nodiscard]] std::size_t executions() const { return executions_; }
  void count_execution() { ++executions_; }

  // Sends one framed message (one send(2) when the socket buffer has room).
  [[nodiscard]] Io send(std::string_view framed, Clock::time_point deadline);
  // Receives one message; `*payload` is the payload without the length prefix. It points into
  // this worker's receive buffer and stays valid until the next receive. A message that fits
  // the buffer (64 KiB) is read with one recv(2).
  // `spin`: poll the socket for a short while before sleeping (see cpu_idle_now).
  [[nodiscard]] Io receive(std::string_view* payload, Clock::time_point deadline,
                           bool spin = false);
  // A buffer the caller may encode its next request into and hand back (kept between calls so
  // the hot path does not allocate).
  [[nodiscard]] std::string take_scratch() { return std::move(scratch_); }
  void give_scratch(std::string buffer) { scratch_ = std::move(buffer); }

  // SIGKILL, then reap. Returns how the process ended, e.g. "signal 9 (SIGKILL)".
  std::string kill_and_reap();
  // After the socket closed unexpectedly: waits up to `grace` for the process to end (killing it
  // after that), reaps it and describes how it ended.
  std::string reap_after_close(std::chrono::milliseconds grace);
  // Closes the socket (the worker exits on EOF); finish_shutdown then waits up to `deadline` for
  // the exit and kills a straggler.
  void begin_shutdown();
  void finish_shutdown(Clock::time_point deadline);

 private:
  WorkerProcess(pid_t pid, int socket_fd, int pid_fd);
  bool wait_for_exit(Clock::time_point deadline);
  std::string reap();

  pid_t pid_;
  int socket_fd_;
  int pid_fd_;  // pidfd for bounded waits; -1 when the kernel has none
  bool reaped_ = false;
  std::size_t executions_ = 0;
  std::string aot_key_;
  std::string receive_buffer_;
  std::string scratch_;
};

}  // namespace traverse::wasm_internal
