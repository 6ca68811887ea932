// Governing spec: 020-wasm-sandbox
// The sandbox seen from the CLI: a missing worker is explained (which path, why), and no worker
// outlives a `traverse` process killed with SIGKILL by more than 100 ms (issue 15, defects 9
// and 10).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_support.hpp"

extern char** environ;

namespace traverse {
namespace {

using cli_test::example;
using cli_test::expedition_package_args;
using cli_test::run_cli;
using cli_test::TempDir;

std::string capture_request(const TempDir& dir) {
  return dir.write(
      "capture.json",
      R"({"kind":"runtime_request","schema_version":"1.0.0","request_id":"sandbox-1",)"
      R"("intent":{"capability_id":"expedition.planning.capture-expedition-objective",)"
      R"("capability_version":"1.0.0"},"input":{"objective":"Summit Mont Blanc by the Gouter )"
      R"(route","region":"Mont Blanc massif","start_date":"2027-07-14","duration_days":4},)"
      R"("lookup":{"scope":"prefer_private","allow_ambiguity":false},)"
      R"("context":{"requested_target":"local"},)"
      R"("governing_spec":"006-runtime-request-execution"})");
}

// Sets an environment variable for one scope (the CLI child inherits it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name))
      old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(CliWasmSandbox, MissingWorkerSaysWhichPathWasTriedAndWhyItFailed) {
  TempDir dir;
  const ScopedEnv env("TRAVERSE_WASM_WORKER", "/nonexistent/traverse-wasm-worker");
  std::vector<std::string> args = {"run", example("bundle.json"), capture_request(dir),
                                   "--trace-db", dir.file("traces.db")};
  for (auto& arg : expedition_package_args())
    args.push_back(arg);
  const auto run = run_cli(args);
  EXPECT_NE(run.exit_code, 0);
  const std::string all = run.out + run.err;
  EXPECT_EQ(all.find("no executor registered"), std::string::npos) << all;
  EXPECT_NE(all.find("/nonexistent/traverse-wasm-worker ($TRAVERSE_WASM_WORKER) cannot be used: "
                     "No such file or directory"),
            std::string::npos)
      << all;
}

// The children of `pid` (every thread's), from /proc.
std::vector<int> children_of(int pid) {
  std::vector<int> children;
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "children");
    int child = 0;
    while (in >> child)
      children.push_back(child);
  }
  return children;
}

std::string status_field(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      const auto value = line.find_first_not_of(" \t", field.size() + 1);
      return value == std::string::npos ? std::string() : line.substr(value);
    }
  }
  return {};
}

std::string comm_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

TEST(CliWasmSandbox, NoWorkerOutlivesAKilledCliByMoreThanAHundredMilliseconds) {
  TempDir dir;
  // Orphans are re-parented to us, so we can reap the workers and leave no zombie behind.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  std::vector<std::string> args = {
      TRAVERSE_CLI_PATH, "run", example("bundle.json"), capture_request(dir), "--repeat", "200000",
      "--concurrency",   "2",   "--trace-db",           dir.file("traces.db")};
  for (auto& arg : expedition_package_args())
    args.push_back(arg);
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t cli = -1;
  ASSERT_EQ(posix_spawn(&cli, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);

  // Bounded wait until the CLI runs WebAssembly calls in workers that have locked themselves
  // down (seccomp mode 2 is set after the parent-death signal). A worker killed earlier, during
  // its own start-up, finds its parent gone at its getppid() check and exits there.
  std::vector<int> workers;
  const auto locked_down = [](int pid) { return status_field(pid, "Seccomp") == "2"; };
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (workers.empty() && std::chrono::steady_clock::now() < give_up) {
    for (int child : children_of(cli)) {
      if (comm_of(child).starts_with("traverse-wasm") && locked_down(child))
        workers.push_back(child);
    }
    if (workers.empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling /proc, bounded
  }
  ASSERT_FALSE(workers.empty()) << "the CLI started no sandbox worker within 60 s";
  std::vector<int> pidfds;
  for (int worker : workers)
    pidfds.push_back(static_cast<int>(syscall(SYS_pidfd_open, worker, 0)));

  ASSERT_EQ(::kill(cli, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(cli, &status, 0), cli);
  // The CLI is dead from here (its parent-death signals are sent as it exits).
  const auto killed = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < workers.size(); ++i) {
    if (pidfds[i] < 0)
      continue;  // already gone before we looked
    const auto left =
        std::chrono::milliseconds(100) - std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - killed);
    pollfd entry{pidfds[i], POLLIN, 0};
    const int ready = poll(&entry, 1, static_cast<int>(std::max<long>(left.count(), 0)));
    EXPECT_EQ(ready, 1) << "worker " << workers[i] << " outlived the killed CLI by > 100 ms";
    if (ready != 1)
      ::kill(workers[i], SIGKILL);
    ::close(pidfds[i]);
    ::waitpid(workers[i], &status, 0);  // re-parented to us
  }
  prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

}  // namespace
}  // namespace traverse
