// Shared by the `traverse serve` integration tests: starts the real binary on 127.0.0.1 port 0
// (reading the URL it prints, bounded wait), runs clients (curl, the WebSocket client script) as
// child processes with bounded waits, and stops the server.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "cli_test_support.hpp"

namespace traverse::serve_test {

using namespace std::chrono_literals;
using cli_test::kSource;

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A child process with its stdout/stderr captured.
class Process {
 public:
  // `stderr_file`: write the child's stderr there instead of a pipe (a long-running server's
  // log must never fill a pipe nobody reads).
  explicit Process(const std::vector<std::string>& argv, std::string stderr_file = {})
      : stderr_file_(std::move(stderr_file)) {
    int out[2];
    int err[2];
    if (pipe(out) != 0 || pipe(err) != 0) {
      ADD_FAILURE() << "pipe failed";
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      if (stderr_file_.empty()) {
        dup2(err[1], STDERR_FILENO);
      } else {
        const int file = open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(file, STDERR_FILENO);
      }
      for (int fd : {out[0], out[1], err[0], err[1]}) {
        close(fd);
      }
      setenv("NO_COLOR", "1", 1);
      std::vector<std::string> storage = argv;
      std::vector<char*> args;
      for (auto& arg : storage) {
        args.push_back(arg.data());
      }
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    if (!stderr_file_.empty()) {
      close(err_fd_);
      err_fd_ = -1;
    }
  }
  ~Process() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      (void)wait_exit(10s);
    }
    for (int fd : {out_fd_, err_fd_}) {
      if (fd >= 0)
        close(fd);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool reaped() const { return reaped_; }
  [[nodiscard]] const std::string& out() const { return out_; }
  [[nodiscard]] const std::string& err() {
    if (!stderr_file_.empty()) {
      std::ifstream in(stderr_file_, std::ios::binary);
      err_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return err_;
  }

  // Reads output until stdout holds a complete line starting with `prefix`, or the timeout.
  std::optional<std::string> wait_line(const std::string& prefix,
                                       std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::size_t start = 0;
      while (start < out_.size()) {
        const auto end = out_.find('\n', start);
        if (end == std::string::npos)
          break;
        const std::string line = out_.substr(start, end - start);
        if (line.rfind(prefix, 0) == 0) {
          return line;
        }
        start = end + 1;
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline ||
          !pump(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now))) {
        return std::nullopt;
      }
    }
  }

  // Reads output until stderr contains `text`, or the timeout.
  bool wait_err(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (err().find(text) == std::string::npos) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return false;
      }
      // Bounded: at most 50 ms per round (output on stdout ends it earlier).
      pump(std::min<std::chrono::milliseconds>(
          50ms, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)));
      if (out_fd_ < 0 && err_fd_ < 0) {
        pollfd none{};
        poll(&none, 0, 50);
      }
    }
    return true;
  }

  // Waits for the process to exit (reading its output meanwhile); nullopt on timeout. Once
  // reaped, returns the same exit code at once (its pid may already belong to another process).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    if (reaped_)
      return exit_code_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out_fd_ >= 0 || err_fd_ >= 0) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline)
        return std::nullopt;
      pump(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    }
    for (;;) {
      int status = 0;
      const pid_t done = waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        reaped_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      if (done < 0 && errno != EINTR)
        return std::nullopt;  // not our child (cannot happen once reaped_ is checked above)
      if (std::chrono::steady_clock::now() >= deadline)
        return std::nullopt;
      // Output closed, exit imminent: a short poll on nothing (bounded by the deadline).
      poll(nullptr, 0, 5);
    }
  }

 private:
  // One poll round; false when nothing is open any more.
  bool pump(std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    if (out_fd_ < 0 && err_fd_ < 0)
      return false;
    const int wait_ms = static_cast<int>(std::min<long long>(timeout.count(), 200));
    if (poll(fds, 2, wait_ms) < 0)
      return false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char buffer[8192];
        const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
        int& fd = i == 0 ? out_fd_ : err_fd_;
        if (n <= 0) {
          close(fd);
          fd = -1;
        } else {
          (i == 0 ? out_ : err_).append(buffer, static_cast<std::size_t>(n));
        }
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;  // valid once reaped_
  std::string stderr_file_;
  std::string out_;
  std::string err_;
};

inline ProcessResult run(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = 60s) {
  Process process(argv);
  ProcessResult result;
  const auto code = process.wait_exit(timeout);
  EXPECT_TRUE(code.has_value()) << argv[0] << " did not finish in time";
  result.exit_code = code.value_or(-1);
  result.out = process.out();
  result.err = process.err();
  return result;
}

// An HTTP exchange through curl: the status and the body.
struct HttpResult {
  int status = 0;
  std::string body;
  std::string headers;
  [[nodiscard]] Value json() const {
    auto value = parse_json(body);
    EXPECT_TRUE(value.has_value()) << "not JSON: " << body;
    return value ? *value : Value();
  }
};

inline HttpResult curl(std::vector<std::string> args) {
  std::vector<std::string> argv{"curl",       "-sS",         "-D", "/dev/stderr",
                                "-o",         "/dev/stdout", "-w", "\n%{http_code}",
                                "--max-time", "60"};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult result = run(argv);
  HttpResult http;
  const auto last = result.out.rfind('\n');
  if (last == std::string::npos) {
    ADD_FAILURE() << "curl failed: " << result.err;
    return http;
  }
  http.status = std::atoi(result.out.c_str() + last + 1);
  http.body = result.out.substr(0, last);
  http.headers = result.err;
  return http;
}

// The real `traverse serve` on 127.0.0.1 port 0 with the expedition bundle and packages.
class Server {
 public:
  explicit Server(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{
        TRAVERSE_CLI_PATH, "serve",       "--bundle",   cli_test::example("bundle.json"),
        "--listen",        "127.0.0.1:0", "--trace-db", dir_.file("traces.db")};
    for (const auto& arg : cli_test::expedition_package_args())
      argv.push_back(arg);
    for (auto& arg : extra)
      argv.push_back(std::move(arg));
    process_ = std::make_unique<Process>(argv, dir_.file("serve.log"));
    // "http://..." or, with TLS, "https://...".
    const auto line = process_->wait_line("http", 60s);
    EXPECT_TRUE(line.has_value()) << "serve printed no URL; stderr:\n" << process_->err();
    url_ = line.value_or("http://127.0.0.1:1");
  }
  ~Server() {
    if (process_ && !process_->reaped()) {
      kill(process_->pid(), SIGTERM);
      (void)process_->wait_exit(30s);
    }
  }

  [[nodiscard]] const std::string& url() const { return url_; }
  // ws:// (wss:// when the server speaks TLS) for `path`.
  [[nodiscard]] std::string ws_url(const std::string& path) const {
    const bool tls = url_.rfind("https://", 0) == 0;
    return (tls ? "wss://" : "ws://") + url_.substr(url_.find("://") + 3) + path;
  }
  [[nodiscard]] Process& process() { return *process_; }
  [[nodiscard]] const cli_test::TempDir& dir() const { return dir_; }

  // SIGTERM and the exit code (nullopt: it did not stop in time).
  std::optional<int> stop() {
    if (!process_->reaped())
      kill(process_->pid(), SIGTERM);
    auto code = process_->wait_exit(30s);
    return code;
  }

 private:
  cli_test::TempDir dir_;
  std::unique_ptr<Process> process_;
  std::string url_;
};

inline std::string plan_request() {
  return cli_test::example("requests/plan-expedition.json");
}

}  // namespace traverse::serve_test
