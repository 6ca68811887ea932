// Governing spec: 040-cli
//
// Every `traverse` subcommand's --help is non-empty, exits 0 and mentions each of its options;
// global flags (--quiet/--verbose) work before and after the subcommand.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "cli_test_support.hpp"

namespace traverse::cli_test {
namespace {

struct HelpCase {
  std::vector<std::string> command;
  std::vector<std::string> mentions;
};

const std::vector<HelpCase>& help_cases() {
  static const std::vector<HelpCase> cases{
      {{},
       {"bundle", "contract", "new", "package", "run", "trace", "wasm", "workflow", "--quiet",
        "--verbose", "--version", "Exit codes"}},
      {{"new"}, {"capability"}},
      {{"new", "capability"}, {"id", "--lang", "--dir", "--force"}},
      {{"bundle"}, {"inspect"}},
      {{"bundle", "inspect"}, {"manifest", "--json"}},
      {{"contract"}, {"validate"}},
      {{"contract", "validate"}, {"files", "--json"}},
      {{"package"}, {"inspect", "run", "build", "digest"}},
      {{"package", "build"}, {"manifest", "--cc", "--sdk", "--json"}},
      {{"package", "digest"}, {"manifest", "--write"}},
      {{"package", "inspect"}, {"manifest", "--json"}},
      {{"package", "run"},
       {"manifest", "request", "--trace-db", "--json", "--bundle", "--schema-profile"}},
      {{"run"},
       {"bundle", "request", "--package", "--trace-db", "--json", "--repeat", "--concurrency",
        "p50", "--schema-profile"}},
      {{"workflow"}, {"run"}},
      {{"workflow", "run"},
       {"bundle", "workflow", "--input", "--package", "--trace-db", "--json", "--schema-profile"}},
      {{"trace"}, {"list", "show"}},
      {{"trace", "list"},
       {"--capability", "--outcome", "--run", "--limit", "--trace-db", "--json"}},
      {{"trace", "show"}, {"id", "--trace-db", "--json"}},
      {{"wasm"}, {"verify"}},
      {{"wasm", "verify"}, {"files", "--abi", "--json"}},
  };
  return cases;
}

TEST(CliHelp, EverySubcommandHelpIsCompleteAndExitsZero) {
  for (const auto& help : help_cases()) {
    auto args = help.command;
    args.emplace_back("--help");
    const auto run = run_cli(args);
    const std::string name = ::testing::PrintToString(help.command);
    EXPECT_EQ(run.exit_code, 0) << name;
    EXPECT_EQ(run.err, "") << name;
    EXPECT_GT(run.out.size(), 80U) << name;
    for (const auto& mention : help.mentions) {
      EXPECT_NE(run.out.find(mention), std::string::npos) << name << " lacks " << mention;
    }
  }
}

TEST(CliHelp, TraceDbDefaultIsDocumented) {
  const auto run = run_cli({"run", "--help"});
  EXPECT_NE(run.out.find(".traverse/traces.db"), std::string::npos) << run.out;
}

TEST(CliGlobalFlags, QuietAndVerboseWorkAnywhereAndExcludeEachOther) {
  const std::string wasm =
      example("capabilities/capture-expedition-objective/capture-expedition-objective.wasm");
  const auto after = run_cli({"wasm", "verify", wasm, "--verbose"});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_NE(after.out.find("  - wasi_snapshot_preview1::fd_read"), std::string::npos);
  const auto before = run_cli({"--verbose", "wasm", "verify", wasm});
  EXPECT_EQ(before.exit_code, 0) << before.err;
  EXPECT_EQ(before.out, after.out);
  const auto both = run_cli({"--quiet", "--verbose", "wasm", "verify", wasm});
  EXPECT_EQ(both.exit_code, 5);
  EXPECT_FALSE(both.err.empty());
}

}  // namespace
}  // namespace traverse::cli_test
