// src/wasm/child_process.hpp — starting child processes and waiting for them (internal).
//
// One piece for every process the wasm module starts: sandbox workers (worker_process.cpp), the
// worker's compile mode (aot_cache.cpp) and the C compiler processes the compile mode runs
// (worker/main.cpp). spawn_child is posix_spawn with the file descriptors, environment, signal
// state and process group a ChildSpec asks for; wait_child reaps a child, and after a deadline
// kills its process group (when it has its own) and the child, then reaps it.
//
// Thread safety: the functions are safe to call from any thread; a child is waited for by one
// caller.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace traverse::wasm_internal {

struct ChildSpec {
  std::string executable;
  std::vector<std::string> args;  // argv, args[0] included
  // The child's whole environment; nullopt: this process's environment.
  std::optional<std::vector<std::string>> env;
  // Standard input from /dev/null (else inherited).
  bool stdin_null = false;
  // Standard output: nullopt inherits it, "" is /dev/null, a path is created (0600, truncated).
  std::optional<std::string> stdout_path;
  // Standard error joins standard output (else inherited).
  bool stderr_to_stdout = false;
  // `pass_fd` becomes descriptor `pass_fd_as` in the child (-1: none). The caller keeps
  // `pass_fd` and closes it after the spawn.
  int pass_fd = -1;
  int pass_fd_as = -1;
  // Its own process group (so that a deadline kills it and everything it starts).
  bool own_process_group = false;
  // Default dispositions and an empty mask for every signal (else inherited).
  bool reset_signals = true;
};

// Starts the child; its pid, or posix_spawn's error.
[[nodiscard]] std::expected<pid_t, std::error_code> spawn_child(const ChildSpec& spec);

// Waits for `pid` until `deadline`; after it kills the child (and its process group when
// `own_process_group`) and reaps it. Returns the wait status, or nullopt on timeout.
[[nodiscard]] std::optional<int> wait_child(pid_t pid,
                                            std::chrono::steady_clock::time_point deadline,
                                            bool own_process_group);

// Waits for `pid` without a deadline (EINTR retried). Returns the wait status (-1 when the
// child cannot be waited for).
int wait_child(pid_t pid);

// "exit status N", "signal N (SIGNAME)" for a wait status.
[[nodiscard]] std::string describe_wait_status(int status);

// The environment entries a child built with this process's sanitizers needs (their *SAN_OPTIONS
// variables); empty in builds without sanitizers.
[[nodiscard]] std::vector<std::string> sanitizer_environment();

}  // namespace traverse::wasm_internal
