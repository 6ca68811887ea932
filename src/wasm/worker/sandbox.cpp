// How traverse-wasm-worker locks itself down (see sandbox.hpp).
#include "sandbox.hpp"

#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace traverse::wasm_internal {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

std::string errno_text(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

// What serving requests needs after start-up (glibc, libstdc++, wabt's interpreter).
constexpr int kAllowed[] = {
    // the socket to the host, stdio (stderr diagnostics)
    SCMP_SYS(read),
    SCMP_SYS(readv),
    SCMP_SYS(recvfrom),
    SCMP_SYS(recvmsg),
    SCMP_SYS(write),
    SCMP_SYS(writev),
    SCMP_SYS(sendto),
    SCMP_SYS(sendmsg),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(close),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(lseek),
    // memory
    SCMP_SYS(brk),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    // threads, signals, timers (the per-request alarm), clocks
    SCMP_SYS(futex),
    SCMP_SYS(sched_yield),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(setitimer),
    SCMP_SYS(getitimer),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getppid),
    // abort() must still abort (uncaught exception, failed assertion)
    SCMP_SYS(tgkill),
    SCMP_SYS(rt_sigaction),
    // WASI random_get
    SCMP_SYS(getrandom),
    // leaving
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
};

// Sanitizer runtimes need more to report an error or check for leaks at exit (they read
// /proc/self/maps, start a thread and ptrace the process). Only in sanitizer builds.
constexpr int kSanitizerAllowed[] = {
    SCMP_SYS(openat),
    SCMP_SYS(open),
    SCMP_SYS(readlink),
    SCMP_SYS(readlinkat),
    SCMP_SYS(getdents64),
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(ptrace),
    SCMP_SYS(wait4),
    SCMP_SYS(waitid),
    SCMP_SYS(prctl),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(getrlimit),
    SCMP_SYS(prlimit64),
    SCMP_SYS(pipe2),
    SCMP_SYS(dup2),
    SCMP_SYS(dup3),
    SCMP_SYS(kill),
    SCMP_SYS(tkill),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(sysinfo),
    SCMP_SYS(uname),
    SCMP_SYS(access),
    SCMP_SYS(statx),
    SCMP_SYS(fcntl),
    SCMP_SYS(ioctl),
    SCMP_SYS(pread64),
    SCMP_SYS(process_vm_readv),
};

}  // namespace

void close_inherited_fds(int keep) {
  const auto fd = static_cast<unsigned>(keep);
  if (fd > 3)
    close_range(3, fd - 1, 0);
  close_range(fd + 1, ~0U, 0);
}

std::string apply_worker_rlimits(std::uint64_t address_space_bytes, std::uint64_t max_open_files) {
  const rlimit no_core{0, 0};
  if (setrlimit(RLIMIT_CORE, &no_core) != 0)
    return errno_text("setrlimit(RLIMIT_CORE)", errno);
  const rlimit files{max_open_files, max_open_files};
  if (setrlimit(RLIMIT_NOFILE, &files) != 0)
    return errno_text("setrlimit(RLIMIT_NOFILE)", errno);
  // Sanitizer shadow memory reserves terabytes of address space.
  if (address_space_bytes > 0 && !kSanitizerBuild) {
    const rlimit address_space{address_space_bytes, address_space_bytes};
    if (setrlimit(RLIMIT_AS, &address_space) != 0)
      return errno_text("setrlimit(RLIMIT_AS)", errno);
  }
  return {};
}

std::string die_with_parent(pid_t expected_parent) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return errno_text("prctl(PR_SET_NO_NEW_PRIVS)", errno);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
    return errno_text("prctl(PR_SET_PDEATHSIG)", errno);
  // The parent may have died between our start and the prctl: then no signal will ever come.
  if (getppid() != expected_parent)
    return "the parent process " + std::to_string(expected_parent) + " is gone";
  return {};
}

std::string install_worker_seccomp_filter() {
  scmp_filter_ctx filter = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (filter == nullptr)
    return "seccomp_init failed";
  std::string error;
  if (const int rc = seccomp_attr_set(filter, SCMP_FLTATR_CTL_TSYNC, 1); rc != 0)
    error = errno_text("seccomp_attr_set(TSYNC)", -rc);
  for (const int syscall_number : kAllowed) {
    if (!error.empty())
      break;
    if (const int rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, syscall_number, 0); rc != 0)
      error = errno_text("seccomp_rule_add", -rc);
  }
  if (kSanitizerBuild) {
    for (const int syscall_number : kSanitizerAllowed) {
      if (!error.empty())
        break;
      // A name unknown on this architecture resolves to a negative pseudo-number: skip it.
      if (syscall_number < 0)
        continue;
      if (const int rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, syscall_number, 0); rc != 0)
        error = errno_text("seccomp_rule_add", -rc);
    }
  }
  if (!kSanitizerBuild) {
    // glibc's malloc opens /proc/sys/vm/overcommit_memory the first time it may shrink a thread
    // arena, and treats a failure as "no": refuse opening files without killing the worker.
    for (const int syscall_number : {SCMP_SYS(open), SCMP_SYS(openat)}) {
      if (!error.empty())
        break;
      if (const int rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EACCES), syscall_number, 0);
          rc != 0)
        error = errno_text("seccomp_rule_add", -rc);
    }
  }
  if (error.empty()) {
    if (const int rc = seccomp_load(filter); rc != 0)
      error = errno_text("seccomp_load", -rc);
  }
  seccomp_release(filter);
  return error;
}

bool is_seccomp_kill_signal(int signal_number) {
  return signal_number == SIGSYS;
}

}  // namespace traverse::wasm_internal
