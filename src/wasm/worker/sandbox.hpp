// src/wasm/worker/sandbox.hpp — how traverse-wasm-worker locks itself down (internal).
//
// The worker calls these at start-up, in this order: close_inherited_fds, apply_worker_rlimits,
// die_with_parent, then (after everything that needs more system calls is set up: engine,
// service thread, first message buffers) install_worker_seccomp_filter. After that the process
// can only do what serving requests needs: socket I/O on its inherited socket, memory
// management, threads' futexes, clocks, timers, random bytes and exiting. Any other system call
// (socket, execve, fork, ptrace, ...) kills the whole process with SIGSYS; opening a file fails
// with EACCES (glibc's malloc probes /proc/sys/vm/overcommit_memory and copes with a refusal).
//
// Exposed as a library so tests can install exactly the filter the worker runs under.
// Thread safety: call from one thread at start-up; the filter applies to every thread (TSYNC).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace traverse::wasm_internal {

// Closes every file descriptor except 0, 1, 2 and `keep`.
void close_inherited_fds(int keep);

// RLIMIT_CORE 0, RLIMIT_NOFILE `max_open_files`, and RLIMIT_AS `address_space_bytes` (0 = leave
// as is). Returns an empty string or what failed.
[[nodiscard]] std::string apply_worker_rlimits(std::uint64_t address_space_bytes,
                                               std::uint64_t max_open_files);

// PR_SET_NO_NEW_PRIVS, then PR_SET_PDEATHSIG(SIGKILL), then checks that the parent is still
// `expected_parent` (the parent may have died before the prctl: then this returns false and the
// worker must exit). Returns an empty string or what failed.
[[nodiscard]] std::string die_with_parent(pid_t expected_parent);

// Loads the worker's seccomp-bpf allow list into every thread of the process. Unlisted system
// calls kill the process (SCMP_ACT_KILL_PROCESS). Requires PR_SET_NO_NEW_PRIVS. Returns an empty
// string or what failed.
[[nodiscard]] std::string install_worker_seccomp_filter();

// True when `signal_number` is the signal a seccomp kill delivers (SIGSYS).
[[nodiscard]] bool is_seccomp_kill_signal(int signal_number);

}  // namespace traverse::wasm_internal
