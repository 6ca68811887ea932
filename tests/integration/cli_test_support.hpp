// Shared by the CLI integration tests (cli_*_test.cpp): runs the real `traverse` binary
// (TRAVERSE_CLI_PATH) as a user would — arguments in; stdout, stderr and the exit code out —
// optionally on a pseudo-terminal, in a given folder, with a bounded wait.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "traverse/json/parse.hpp"
#include "traverse/json/value.hpp"

namespace traverse::cli_test {

inline const std::filesystem::path kSource = TRAVERSE_SOURCE_DIR;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct RunOptions {
  bool no_color = true;         // set NO_COLOR=1 in the child (else unset it)
  bool stdout_is_tty = false;   // give the child a pseudo-terminal as stdout
  bool stderr_is_tty = false;   // give the child a pseudo-terminal as stderr
  std::filesystem::path cwd{};  // the child's working folder (empty: inherited)
  std::chrono::seconds timeout{120};
  std::filesystem::path stdin_file{};  // opened as the child's stdin (empty: inherited)
};

// Runs the CLI with `args`, capturing stdout and stderr. Fails the test (and kills the child) if
// it does not finish within options.timeout.
inline CliRun run_cli(const std::vector<std::string>& args, const RunOptions& options = {}) {
  CliRun result;
  int fds_out[2] = {-1, -1};  // [parent end, child end]
  int fds_err[2] = {-1, -1};
  const auto make = [](bool tty, int(&ends)[2]) {
    if (tty) {
      return openpty(&ends[0], &ends[1], nullptr, nullptr, nullptr) == 0;
    }
    int p[2];
    if (pipe(p) != 0) {
      return false;
    }
    ends[0] = p[0];
    ends[1] = p[1];
    return true;
  };
  if (!make(options.stdout_is_tty, fds_out) || !make(options.stderr_is_tty, fds_err)) {
    ADD_FAILURE() << "pipe/openpty failed";
    return result;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds_out[1], STDOUT_FILENO);
    dup2(fds_err[1], STDERR_FILENO);
    for (int fd : {fds_out[0], fds_out[1], fds_err[0], fds_err[1]}) {
      close(fd);
    }
    if (options.no_color) {
      setenv("NO_COLOR", "1", 1);
    } else {
      unsetenv("NO_COLOR");
      setenv("TERM", "xterm", 1);
    }
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) {
      _exit(126);
    }
    if (!options.stdin_file.empty()) {
      const int in = open(options.stdin_file.c_str(), O_RDONLY | O_CLOEXEC);
      if (in < 0 || dup2(in, STDIN_FILENO) < 0) {
        _exit(126);
      }
    }
    std::vector<std::string> argv_storage{TRAVERSE_CLI_PATH};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_storage) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds_out[1]);
  close(fds_err[1]);

  std::array<pollfd, 2> fds{pollfd{fds_out[0], POLLIN, 0}, pollfd{fds_err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  const int parent_fds[2] = {fds_out[0], fds_err[0]};
  bool open_fds[2] = {true, true};
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  while ((open_fds[0] || open_fds[1]) && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 2; ++i) {
      fds[static_cast<std::size_t>(i)].fd = open_fds[i] ? parent_fds[i] : -1;
    }
    if (poll(fds.data(), fds.size(), 1000) < 0) {
      break;
    }
    for (int i = 0; i < 2; ++i) {
      auto& p = fds[static_cast<std::size_t>(i)];
      if (p.fd >= 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char buffer[4096];
        const ssize_t n = read(p.fd, buffer, sizeof buffer);
        if (n <= 0) {
          open_fds[i] = false;  // EOF (a pty reports EIO once the child has closed it)
        } else {
          sinks[i]->append(buffer, static_cast<std::size_t>(n));
        }
      }
    }
  }
  if (open_fds[0] || open_fds[1]) {
    kill(pid, SIGKILL);
    ADD_FAILURE() << "traverse did not finish within " << options.timeout.count() << " s";
  }
  close(fds_out[0]);
  close(fds_err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

inline std::string example(const std::string& relative) {
  return (kSource / "examples/expedition" / relative).string();
}

// The five expedition capability packages as repeated --package arguments.
inline std::vector<std::string> expedition_package_args() {
  std::vector<std::string> args;
  for (const char* name :
       {"capture-expedition-objective", "interpret-expedition-intent",
        "assess-expedition-conditions", "validate-team-readiness", "assemble-expedition-plan"}) {
    args.emplace_back("--package");
    args.push_back(example(std::string("capabilities/") + name + "/package.json"));
  }
  return args;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

inline std::vector<std::string> concat(std::vector<std::string> a,
                                       const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Parses stdout as exactly one JSON document; fails the test otherwise.
inline Value json_of(const CliRun& run) {
  auto document = parse_json(run.out);
  EXPECT_TRUE(document.has_value()) << "stdout is not one JSON document:\n" << run.out;
  return document ? *document : Value();
}

// A fresh folder under the build tree, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::path(TRAVERSE_BINARY_DIR) / "cli-test-tmp" /
            ("t" + std::to_string(getpid()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

  // Writes `content` to `name` (creating folders) and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    const auto target = path_ / name;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream out(target, std::ios::binary);
    out << content;
    return target.string();
  }

 private:
  std::filesystem::path path_;
};

// A command and the words its --help must mention.
struct HelpMentions {
  std::vector<std::string> command;
  std::vector<std::string> mentions;
};

// Runs `<command> --help` for each entry: exit 0, and every mention appears in the text.
inline void expect_help_mentions(const std::vector<HelpMentions>& cases) {
  for (const auto& [command, mentions] : cases) {
    std::vector<std::string> args = command;
    args.emplace_back("--help");
    const CliRun help = run_cli(args);
    EXPECT_EQ(help.exit_code, 0) << help.err;
    for (const std::string& mention : mentions) {
      EXPECT_NE(help.out.find(mention), std::string::npos) << args[0] << " lacks " << mention;
    }
  }
}

}  // namespace traverse::cli_test
