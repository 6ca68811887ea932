// Starting child processes and waiting for them (see child_process.hpp).
#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

extern char** environ;

namespace traverse::wasm_internal {
namespace {

using Clock = std::chrono::steady_clock;

// posix_spawn's attributes and file actions, destroyed with the scope.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attributes{};
};

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& text : strings) {
    pointers.push_back(text.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
  }
  return status;
}

}  // namespace

std::expected<pid_t, std::error_code> spawn_child(const ChildSpec& spec) {
  SpawnSetup setup;
  if (spec.stdin_null) {
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  }
  if (spec.stdout_path) {
    if (spec.stdout_path->empty()) {
      posix_spawn_file_actions_addopen(&setup.actions, 1, "/dev/null", O_WRONLY, 0);
    } else {
      posix_spawn_file_actions_addopen(&setup.actions, 1, spec.stdout_path->c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0600);
    }
  }
  if (spec.stderr_to_stdout) {
    posix_spawn_file_actions_adddup2(&setup.actions, 1, 2);
  }
  if (spec.pass_fd >= 0) {
    posix_spawn_file_actions_adddup2(&setup.actions, spec.pass_fd, spec.pass_fd_as);
  }
  short flags = 0;
  if (spec.reset_signals) {
    sigset_t no_signals;
    sigemptyset(&no_signals);
    sigset_t all_signals;
    sigfillset(&all_signals);
    posix_spawnattr_setsigmask(&setup.attributes, &no_signals);
    posix_spawnattr_setsigdefault(&setup.attributes, &all_signals);
    flags |= POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  }
  if (spec.own_process_group) {
    posix_spawnattr_setpgroup(&setup.attributes, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&setup.attributes, flags);

  std::vector<std::string> args = spec.args;
  std::vector<char*> argv = pointers_to(args);
  std::vector<std::string> env;
  std::vector<char*> envp;
  if (spec.env) {
    env = *spec.env;
    envp = pointers_to(env);
  }
  pid_t pid = -1;
  const int error = posix_spawn(&pid, spec.executable.c_str(), &setup.actions, &setup.attributes,
                                argv.data(), spec.env ? envp.data() : environ);
  if (error != 0) {
    return std::unexpected(std::error_code(error, std::generic_category()));
  }
  return pid;
}

std::optional<int> wait_child(pid_t pid, Clock::time_point deadline, bool own_process_group) {
  const auto pid_fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  std::optional<int> result;
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      result = status;
      break;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      if (own_process_group) {
        kill(-pid, SIGKILL);
      }
      kill(pid, SIGKILL);
      (void)reap(pid);
      break;
    }
    if (pid_fd >= 0) {
      pollfd entry{pid_fd, POLLIN, 0};
      (void)poll(&entry, 1, static_cast<int>(std::min<long long>(left.count(), 1'000'000)));
    } else {
      const timespec pause{0, 10'000'000};  // no pidfd (old kernel): poll the status
      nanosleep(&pause, nullptr);
    }
  }
  if (pid_fd >= 0) {
    close(pid_fd);
  }
  return result;
}

int wait_child(pid_t pid) {
  return reap(pid);
}

std::string describe_wait_status(int status) {
  if (WIFSIGNALED(status)) {
    const int signal_number = WTERMSIG(status);
    const char* name = sigabbrev_np(signal_number);
    return "signal " + std::to_string(signal_number) +
           (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
  }
  if (WIFEXITED(status)) {
    return "exit status " + std::to_string(WEXITSTATUS(status));
  }
  return "status " + std::to_string(status);
}

std::vector<std::string> sanitizer_environment() {
  std::vector<std::string> kept;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (text.substr(0, text.find('=')).ends_with("SAN_OPTIONS")) {
      kept.emplace_back(text);
    }
  }
#endif
  return kept;
}

}  // namespace traverse::wasm_internal
