// Shared by the cluster tests (label `cluster`): a real `nats-server -js` on a free port of
// 127.0.0.1 and real `traverse node` processes, started and stopped by the test (bounded waits;
// no sleeps as synchronisation). A test skips, saying why, only when nats-server is missing.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "traverse/cluster/cluster_client.hpp"
#include "traverse/cluster/nats_connection.hpp"
#include "traverse/cluster/node_directory.hpp"

extern char** environ;

namespace traverse::cluster_test {

inline const std::filesystem::path kSource = TRAVERSE_SOURCE_DIR;

// The expedition example: its bundle, package folder, workflow input and runtime request.
namespace expedition {
inline const std::filesystem::path kFolder = kSource / "examples/expedition";
inline const std::string kBundle = (kFolder / "bundle.json").string();
inline const std::string kPackages = (kFolder / "capabilities").string();
inline const std::string kInput = (kFolder / "inputs/plan-expedition.json").string();
inline const std::string kRequest = (kFolder / "requests/plan-expedition.json").string();
}  // namespace expedition

// A ClusterClient of the server at `url`, returned once `nodes` nodes have announced themselves
// within `within`; null (the failure recorded) when it cannot connect or they do not announce.
inline std::shared_ptr<ClusterClient> connect_when_announced(const std::string& url,
                                                             std::size_t nodes,
                                                             std::chrono::seconds within,
                                                             ClusterClientConfig config = {}) {
  NatsOptions options;
  options.url = url;
  auto client = ClusterClient::connect(options, std::move(config));
  if (!client) {
    ADD_FAILURE() << "cannot connect to " << url << ": " << client.error().to_string();
    return nullptr;
  }
  if (!(*client)->directory()->wait_until(
          [nodes](const auto& announced) { return announced.size() == nodes; }, within)) {
    ADD_FAILURE() << nodes << " node(s) did not announce themselves within " << within.count()
                  << " s";
    return nullptr;
  }
  return *client;
}

// The nats-server binary, or nullopt (the test then skips).
inline std::optional<std::filesystem::path> find_nats_server() {
  for (const char* candidate :
       {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"}) {
    if (access(candidate, X_OK) == 0) {
      return std::filesystem::path(candidate);
    }
  }
  return std::nullopt;
}

// A TCP port of 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) {
      close(fd);
    }
    return 0;
  }
  const int port = ntohs(address.sin_port);
  close(fd);
  return port;
}

// A child process started with posix_spawn; stopped (SIGTERM, then SIGKILL after a bound) and
// reaped on destruction.
class ChildProcess {
 public:
  ChildProcess() = default;
  explicit ChildProcess(const std::vector<std::string>& argv,
                        const std::filesystem::path& log = {}) {
    std::vector<char*> args;
    for (const std::string& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!log.empty()) {
      posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
      posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    }
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] bool started() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }

  // Sends SIGKILL and reaps the process (a crash, as far as everyone else can tell).
  void kill_hard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  // SIGTERM, up to `grace` for a clean exit, then SIGKILL. Returns the exit status (or -1).
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10'000)) {
    if (pid_ <= 0) {
      return -1;
    }
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a child's exit
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

// A nats-server with JetStream on a free port, its store in a fresh folder.
class NatsServer {
 public:
  // Starts it and waits (bounded) until a client can connect; url() is empty on failure.
  bool start() {
    const auto binary = find_nats_server();
    if (!binary) {
      return false;
    }
    std::random_device random;
    folder_ = std::filesystem::temp_directory_path() /
              ("traverse-cluster-" + std::to_string(getpid()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(folder_);
    for (int attempt = 0; attempt < 5 && url_.empty(); ++attempt) {
      const int port = free_port();
      process_ = std::make_unique<ChildProcess>(
          std::vector<std::string>{binary->string(), "-js", "-a", "127.0.0.1", "-p",
                                   std::to_string(port), "-sd", (folder_ / "js").string()},
          folder_ / "nats-server.log");
      const std::string url = "nats://127.0.0.1:" + std::to_string(port);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (std::chrono::steady_clock::now() < deadline) {
        NatsOptions options;
        options.url = url;
        options.connect_timeout = std::chrono::milliseconds(200);
        if (NatsConnection::connect(options)) {
          url_ = url;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling readiness
      }
      if (url_.empty()) {
        process_.reset();
      }
    }
    return !url_.empty();
  }

  ~NatsServer() {
    process_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
  }

  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path folder_;
  std::unique_ptr<ChildProcess> process_;
  std::string url_;
};

// Skips when nats-server is missing, except where TRAVERSE_TESTS_REQUIRE_TOOLS is set (CI sets
// it): there a missing server is a failure, so a CI run can never pass by skipping.
#define TRAVERSE_START_NATS_OR_SKIP(server)                                                     \
  do {                                                                                          \
    if (!::traverse::cluster_test::find_nats_server()) {                                        \
      if (std::getenv("TRAVERSE_TESTS_REQUIRE_TOOLS") != nullptr) {                             \
        FAIL() << "nats-server is not installed and TRAVERSE_TESTS_REQUIRE_TOOLS is set";       \
      }                                                                                         \
      GTEST_SKIP() << "nats-server is not installed (Debian package nats-server); the cluster " \
                      "tests need a real server";                                               \
    }                                                                                           \
    ASSERT_TRUE((server).start()) << "nats-server did not start";                               \
  } while (false)

// Connects a test client to `url`.
inline std::shared_ptr<NatsConnection> connect_to(const std::string& url) {
  NatsOptions options;
  options.url = url;
  auto connection = NatsConnection::connect(options);
  EXPECT_TRUE(connection.has_value()) << (connection ? "" : connection.error().to_string());
  return connection ? *connection : nullptr;
}

}  // namespace traverse::cluster_test
