// Governing spec: 001-artifact-formats
//
// Drives the real `traverse` binary (TRAVERSE_CLI_PATH) as a user would: arguments in, stdout,
// stderr and the exit code out.
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
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "traverse/json/parse.hpp"
#include "traverse/json/value.hpp"

namespace traverse {
namespace {

const std::filesystem::path kSource = TRAVERSE_SOURCE_DIR;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct RunOptions {
  bool no_color = true;        // set NO_COLOR=1 in the child (else unset it)
  bool stdout_is_tty = false;  // give the child a pseudo-terminal as stdout
};

// Runs the CLI with `args`, capturing stdout and stderr. Fails the test (and kills the child) if
// it does not finish within 60 s.
CliRun run_cli(const std::vector<std::string>& args, RunOptions options = {}) {
  CliRun result;
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int pty_parent = -1;
  int pty_child = -1;
  if (pipe(err_pipe) != 0) {
    ADD_FAILURE() << "pipe failed";
    return result;
  }
  if (options.stdout_is_tty) {
    if (openpty(&pty_parent, &pty_child, nullptr, nullptr, nullptr) != 0) {
      ADD_FAILURE() << "openpty failed";
      return result;
    }
  } else if (pipe(out_pipe) != 0) {
    ADD_FAILURE() << "pipe failed";
    return result;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(options.stdout_is_tty ? pty_child : out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], pty_parent, pty_child}) {
      if (fd >= 0) {
        close(fd);
      }
    }
    if (options.no_color) {
      setenv("NO_COLOR", "1", 1);
    } else {
      unsetenv("NO_COLOR");
      setenv("TERM", "xterm", 1);
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
  const int out_fd = options.stdout_is_tty ? pty_parent : out_pipe[0];
  close(options.stdout_is_tty ? pty_child : out_pipe[1]);
  close(err_pipe[1]);

  std::array<pollfd, 2> fds{pollfd{out_fd, POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  bool open_fds[2] = {true, true};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((open_fds[0] || open_fds[1]) && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 2; ++i) {
      fds[static_cast<std::size_t>(i)].fd = open_fds[i] ? (i == 0 ? out_fd : err_pipe[0]) : -1;
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
    ADD_FAILURE() << "traverse did not finish within 60 s";
  }
  close(out_fd);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string example(const std::string& relative) {
  return (kSource / "examples/expedition" / relative).string();
}
std::string test_data(const std::string& relative) {
  return (kSource / "tests/data/registry" / relative).string();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

TEST(Cli, VersionPrintsNameAndVersionAndExitsZero) {
  const auto run = run_cli({"--version"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "traverse 0.1.0\n");
  EXPECT_EQ(run.err, "");
}

TEST(Cli, HelpExitsZeroAndDescribesSubcommandsAndExitCodes) {
  const auto run = run_cli({"--help"});
  EXPECT_EQ(run.exit_code, 0);  // deliberately 0, unlike the reference's 5
  EXPECT_NE(run.out.find("bundle"), std::string::npos);
  EXPECT_NE(run.out.find("contract"), std::string::npos);
  EXPECT_NE(run.out.find("5 usage error"), std::string::npos);
  const auto sub = run_cli({"contract", "validate", "--help"});
  EXPECT_EQ(sub.exit_code, 0);
  EXPECT_NE(sub.out.find("--json"), std::string::npos);
}

TEST(Cli, BundleInspectPrintsIdVersionScopeCountsAndIdLists) {
  const auto run = run_cli({"bundle", "inspect", example("bundle.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 6U + 1U + 6U + 1U + 5U + 1U + 1U);
  EXPECT_EQ(std::vector<std::string>(lines.begin(), lines.begin() + 7),
            (std::vector<std::string>{"bundle_id: expedition.planning", "version: 1.0.0",
                                      "scope: private", "capabilities: 6", "events: 5",
                                      "workflows: 1", "capability_ids:"}));
  EXPECT_EQ(lines[7], "  - expedition.planning.capture-expedition-objective@1.0.0");
  EXPECT_EQ(lines[13], "event_ids:");
  EXPECT_EQ(lines[19], "workflow_ids:");
  EXPECT_EQ(lines[20], "  - plan-expedition@1.0.0");
}

TEST(Cli, BundleInspectJsonIsOneDocumentWithTheSameKeys) {
  const auto run = run_cli({"bundle", "inspect", example("bundle.json"), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto document = parse_json(run.out);
  ASSERT_TRUE(document.has_value()) << run.out;
  EXPECT_EQ((*document)["bundle_id"], "expedition.planning");
  EXPECT_EQ((*document)["version"], "1.0.0");
  EXPECT_EQ((*document)["scope"], "private");
  EXPECT_EQ((*document)["capabilities"], 6);
  EXPECT_EQ((*document)["events"], 5);
  EXPECT_EQ((*document)["workflows"], 1);
  EXPECT_EQ((*document)["capability_ids"].size(), 6U);
  EXPECT_EQ((*document)["event_ids"].size(), 5U);
  EXPECT_EQ((*document)["workflow_ids"], Value::array({"plan-expedition@1.0.0"}));
}

TEST(Cli, BundleInspectOfMissingManifestIsIoErrorExitFour) {
  const std::string missing = (kSource / "no/such/bundle.json").string();
  const auto run = run_cli({"bundle", "inspect", missing});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find(missing), std::string::npos);
  EXPECT_NE(run.err.find("IoError"), std::string::npos);
}

TEST(Cli, BundleInspectOfInvalidBundleContentIsExitTwo) {
  // Malformed manifest content is a validation failure, not an I/O error.
  const auto run = run_cli({"bundle", "inspect", test_data("cli/malformed.json"), "--json"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("InvalidJson"), std::string::npos);
  auto document = parse_json(run.out);
  ASSERT_TRUE(document.has_value()) << run.out;
  EXPECT_EQ((*document)["exit_code"], 2);
  EXPECT_EQ((*document)["errors"][0]["code"], "InvalidJson");
}

TEST(Cli, ContractValidateAcceptsEveryExpeditionArtifactKind) {
  const std::vector<std::string> files{
      example("contracts/capture-expedition-objective.json"), example("events/plan-assembled.json"),
      example("workflows/plan-expedition.json"), example("bundle.json"),
      example("requests/plan-expedition.json")};
  const auto run =
      run_cli({"contract", "validate", files[0], files[1], files[2], files[3], files[4]});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 5U);
  EXPECT_EQ(lines[0], files[0] +
                          ": valid capability_contract "
                          "expedition.planning.capture-expedition-objective@1.0.0");
  EXPECT_EQ(lines[1], files[1] + ": valid event_contract expedition.planning.plan-assembled@1.0.0");
  EXPECT_EQ(lines[2], files[2] + ": valid workflow_definition plan-expedition@1.0.0");
  EXPECT_EQ(lines[3], files[3] + ": valid registry_bundle expedition.planning@1.0.0");
  EXPECT_EQ(lines[4].rfind(files[4] + ": valid runtime_request ", 0), 0U) << lines[4];
}

TEST(Cli, ContractValidateListsEveryViolationWithFileAndPathAndExitsTwo) {
  const std::string invalid = test_data("cli/invalid-capability.json");
  const std::string valid = example("events/plan-assembled.json");
  const auto run = run_cli({"contract", "validate", invalid, valid});
  EXPECT_EQ(run.exit_code, 2);
  // The valid file is still reported valid on stdout.
  EXPECT_EQ(run.out, valid + ": valid event_contract expedition.planning.plan-assembled@1.0.0\n");
  const auto errors = lines_of(run.err);
  ASSERT_EQ(errors.size(), 2U) << run.err;
  EXPECT_EQ(errors[0].rfind(invalid + ": $.version: InvalidSemver: ", 0), 0U) << errors[0];
  EXPECT_EQ(errors[1].rfind(invalid + ": $.owner.team: ", 0), 0U) << errors[1];
}

TEST(Cli, ContractValidateChecksBundleWorkflowsAgainstBundleCapabilities) {
  const auto run =
      run_cli({"contract", "validate", test_data("bad-workflow-bundle/manifest.json")});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("plan-expedition-broken.json: $.nodes[2]: MissingReference: "),
            std::string::npos)
      << run.err;
}

TEST(Cli, ContractValidateOfMalformedJsonNamesLineAndColumn) {
  const auto run = run_cli({"contract", "validate", test_data("cli/malformed.json")});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("malformed.json: $: InvalidJson: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("line 3"), std::string::npos) << run.err;
}

TEST(Cli, ContractValidateOfMissingFileIsIoErrorExitFour) {
  const std::string missing = (kSource / "no/such/contract.json").string();
  const auto run =
      run_cli({"contract", "validate", example("events/plan-assembled.json"), missing});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_NE(run.err.find(missing + ": $: IoError: "), std::string::npos) << run.err;
}

TEST(Cli, ContractValidateJsonIsOneMachineReadableReport) {
  const std::string invalid = test_data("cli/invalid-capability.json");
  const std::string valid = example("workflows/plan-expedition.json");
  const auto run = run_cli({"contract", "validate", "--json", valid, invalid});
  EXPECT_EQ(run.exit_code, 2);
  auto report = parse_json(run.out);
  ASSERT_TRUE(report.has_value()) << run.out;
  EXPECT_EQ((*report)["valid"], false);
  EXPECT_EQ((*report)["exit_code"], 2);
  ASSERT_EQ((*report)["files"].size(), 2U);
  const Value& first = (*report)["files"][0];
  EXPECT_EQ(first["valid"], true);
  EXPECT_EQ(first["kind"], "workflow_definition");
  EXPECT_EQ(first["id"], "plan-expedition");
  const Value& second = (*report)["files"][1];
  EXPECT_EQ(second["valid"], false);
  EXPECT_EQ(second["errors"][0]["code"], "InvalidSemver");
  EXPECT_EQ(second["errors"][0]["path"], "$.version");
  EXPECT_EQ(second["errors"][0]["file"], invalid);
}

TEST(Cli, BadUsageExitsFiveWithAMessageOnStderr) {
  const std::vector<std::vector<std::string>> cases{
      {},                        // no subcommand
      {"frobnicate"},            // unknown subcommand
      {"bundle"},                // group without a subcommand
      {"bundle", "inspect"},     // missing manifest
      {"contract", "validate"},  // missing files
      {"bundle", "inspect", "x.json", "--no-such-option"},
  };
  for (const auto& args : cases) {
    const auto run = run_cli(args);
    EXPECT_EQ(run.exit_code, 5) << ::testing::PrintToString(args);
    EXPECT_FALSE(run.err.empty()) << ::testing::PrintToString(args);
    EXPECT_EQ(run.out, "") << ::testing::PrintToString(args);
  }
}

TEST(Cli, ColourOnlyOnATerminalAndNeverWithNoColor) {
  const std::string file = example("events/plan-assembled.json");
  const auto piped = run_cli({"contract", "validate", file}, {.no_color = false});
  EXPECT_EQ(piped.exit_code, 0);
  EXPECT_EQ(piped.out.find('\x1b'), std::string::npos);  // a pipe is not a terminal

  const auto tty =
      run_cli({"contract", "validate", file}, {.no_color = false, .stdout_is_tty = true});
  EXPECT_EQ(tty.exit_code, 0);
  EXPECT_NE(tty.out.find("\x1b[32mvalid\x1b[0m"), std::string::npos) << tty.out;

  const auto tty_no_color =
      run_cli({"contract", "validate", file}, {.no_color = true, .stdout_is_tty = true});
  EXPECT_EQ(tty_no_color.exit_code, 0);
  EXPECT_EQ(tty_no_color.out.find('\x1b'), std::string::npos) << tty_no_color.out;
}

}  // namespace
}  // namespace traverse
