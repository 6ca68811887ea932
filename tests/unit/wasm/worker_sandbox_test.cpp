// Governing spec: 020-wasm-sandbox
// The sandbox worker's lock-down (src/wasm/worker/sandbox.hpp): the seccomp filter kills a
// forbidden system call and lets serving through; the real worker runs under it with no
// environment, no inherited files, small rlimits and no new privileges; a forbidden system call
// inside the serving loop fails the call with a typed error and the worker is replaced; and a
// worker never outlives its host (SIGKILL of the host → gone within 100 ms).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sandbox.hpp"
#include "wasm_test_support.hpp"

extern char** environ;

namespace traverse {
namespace {

using wasm_test::expect_echo_works;
using wasm_test::make_executor;
using wasm_test::message_of;
using wasm_test::module_path;
using wasm_test::run;
using wasm_test::test_config;
using wasm_test::wasm_capability;

void lock_down_like_the_worker() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    std::_Exit(10);
  if (!wasm_internal::install_worker_seccomp_filter().empty())
    std::_Exit(11);
}

TEST(WorkerSandboxDeathTest, ForbiddenSyscallUnderTheWorkerFilterKillsTheProcessWithSigsys) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        lock_down_like_the_worker();
        syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
        std::_Exit(0);  // not reached
      },
      ::testing::KilledBySignal(SIGSYS), "");
  EXPECT_EXIT(
      {
        lock_down_like_the_worker();
        syscall(SYS_execve, "/bin/true", nullptr, nullptr);
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGSYS), "");
}

TEST(WorkerSandboxDeathTest, WhatServingNeedsStillWorksUnderTheFilter) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        lock_down_like_the_worker();
        std::vector<char> memory(1 << 20, 'x');  // malloc / mmap
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        char random[16];
        if (syscall(SYS_getrandom, random, sizeof random, 0) != 16)
          std::_Exit(2);
        std::_Exit(memory[100] == 'x' ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(WorkerSandboxDeathTest, DieWithParentRefusesWhenTheExpectedParentIsAlreadyGone) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // As if the parent had died before the prctl: getppid() is no longer the expected pid.
  EXPECT_EXIT(std::_Exit(wasm_internal::die_with_parent(getpid()).empty() ? 1 : 0),
              ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(std::_Exit(wasm_internal::die_with_parent(getppid()).empty() ? 0 : 1),
              ::testing::ExitedWithCode(0), "");
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string status_field(int pid, const std::string& field) {
  std::istringstream status(read_text("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      const auto value = line.find_first_not_of(" \t", field.size() + 1);
      return value == std::string::npos ? std::string() : line.substr(value);
    }
  }
  return {};
}

TEST(WorkerSandbox, RealWorkerRunsSeccompFilteredWithoutPrivilegesEnvironmentOrInheritedFiles) {
  // A descriptor the host has open (not close-on-exec) must not reach the worker.
  const int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  WasmExecutorConfig config = test_config();
  config.prestart_workers = true;
  auto executor = make_executor(config);
  ::close(leaked);
  ASSERT_NE(executor, nullptr);
  expect_echo_works(*executor);
  const std::vector<int> pids = executor->worker_pids();
  ASSERT_EQ(pids.size(), 1U);
  const int pid = pids.front();

  EXPECT_EQ(status_field(pid, "NoNewPrivs"), "1");
  EXPECT_EQ(status_field(pid, "Seccomp"), "2");  // filter mode

  std::vector<std::string> fds;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    fds.push_back(entry.path().filename().string());
  }
  std::sort(fds.begin(), fds.end());
  EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2", "3"}));

  // Empty environment (sanitizer builds pass only their *SAN_OPTIONS).
  const std::string environment = read_text("/proc/" + std::to_string(pid) + "/environ");
  std::istringstream entries(environment);
  std::string entry;
  while (std::getline(entries, entry, '\0')) {
    const std::string name = entry.substr(0, entry.find('='));
    EXPECT_TRUE(name.ends_with("SAN_OPTIONS")) << "worker environment has " << name;
  }

  const std::string limits = read_text("/proc/" + std::to_string(pid) + "/limits");
  EXPECT_NE(limits.find("Max core file size        0                    0"), std::string::npos)
      << limits;
  EXPECT_NE(limits.find("Max open files            16                   16"), std::string::npos)
      << limits;
}

TEST(WorkerSandbox, ForbiddenSyscallInTheServingWorkerFailsTheCallTypedAndTheWorkerIsReplaced) {
  WasmExecutorConfig config = test_config();
  config.worker_path = TRAVERSE_WASM_WORKER_PROBE_PATH;
  config.prestart_workers = true;
  auto executor = make_executor(config);
  ASSERT_NE(executor, nullptr);
  const std::vector<int> before = executor->worker_pids();
  ASSERT_EQ(before.size(), 1U);

  auto result = run(*executor, wasm_capability("echo", "test.sandbox.forbidden-syscall"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), ExecutorErrorClass::ExecutionFailed);
  EXPECT_NE(message_of(result).find("sandbox worker died: signal 31 (SIGSYS)"), std::string::npos)
      << message_of(result);
  EXPECT_NE(message_of(result).find("seccomp filter stopped a forbidden system call"),
            std::string::npos)
      << message_of(result);
  EXPECT_EQ(executor->stats().worker_deaths, 1U);

  // The next call gets a fresh worker and works.
  expect_echo_works(*executor);
  const std::vector<int> after = executor->worker_pids();
  ASSERT_EQ(after.size(), 1U);
  EXPECT_NE(after.front(), before.front());
  // The prestarted worker is an interpreter worker; in the AOT tier it is switched for one
  // started with the module's compiled object.
  EXPECT_EQ(executor->stats().workers_spawned, 2U + executor->stats().workers_switched);
}

// Spawns `argv` with stdout on a pipe; returns the pid and the read end.
std::pair<pid_t, int> spawn_with_stdout(std::vector<std::string> args) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (error != 0) {
    ::close(out[0]);
    return {-1, -1};
  }
  return {pid, out[0]};
}

// Reads one line from `fd` within `timeout`.
std::string read_line(int fd, std::chrono::milliseconds timeout) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (line.empty() || line.back() != '\n') {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd entry{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&entry, 1, static_cast<int>(left.count())) <= 0)
      break;
    char c = 0;
    if (::read(fd, &c, 1) != 1)
      break;
    line.push_back(c);
  }
  return line;
}

TEST(WorkerSandbox, WorkerRunningAnEndlessGuestDiesWithinAHundredMillisecondsOfItsKilledHost) {
  // Orphans are re-parented to us, so we can reap the worker and leave no zombie behind.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  auto [host, out] =
      spawn_with_stdout({TRAVERSE_WASM_ORPHAN_HOST_PATH, module_path("infinite_loop")});
  ASSERT_GT(host, 0);
  const std::string line = read_line(out, std::chrono::seconds(30));
  ::close(out);
  ASSERT_EQ(line.rfind("worker ", 0), 0U) << "host said: " << line;
  const int worker = std::stoi(line.substr(7));
  const int worker_fd = static_cast<int>(syscall(SYS_pidfd_open, worker, 0));
  ASSERT_GE(worker_fd, 0);

  ASSERT_EQ(::kill(host, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(host, &status, 0), host);
  // The host is dead from here (its parent-death signals are sent as it exits).
  const auto killed = std::chrono::steady_clock::now();
  pollfd entry{worker_fd, POLLIN, 0};
  const int ready = poll(&entry, 1, 100);  // readable when the worker has exited
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed);
  EXPECT_EQ(ready, 1) << "the worker " << worker << " outlived its killed host by "
                      << waited.count() << " ms";
  if (ready != 1)
    ::kill(worker, SIGKILL);
  ::close(worker_fd);
  EXPECT_EQ(::waitpid(worker, &status, 0), worker);  // re-parented to us: reap it
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

}  // namespace
}  // namespace traverse
