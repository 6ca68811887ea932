// Governing spec: 040-cli
//
// A new user's first capability, through the real binary in a temporary folder:
// `traverse new capability` → `package build` → `package run` → `run` with a bundle → a 2-step
// workflow, exactly as docs/getting-started.md section 7 shows it (the commands and files are read
// from the document itself). Also `package digest`, build errors, the native scaffold, id
// checks, and `--schema-profile reference`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_support.hpp"

namespace traverse::cli_test {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream stream(line);
  std::vector<std::string> out;
  for (std::string word; stream >> word;) {
    out.push_back(word);
  }
  return out;
}

// One step of the walkthrough: a command to run or a file to write, in document order.
struct DocStep {
  std::vector<std::string> command;  // without the leading "traverse"
  std::string file;
  std::string content;
};

// The marked commands and files of docs/getting-started.md: a fenced block right after
// "<!-- acceptance: ... -->" holds commands (one per line); one after "<!-- file: P -->" is
// the content of P.
std::vector<DocStep> walkthrough() {
  const std::string doc = read_text(kSource / "docs" / "getting-started.md");
  std::vector<DocStep> steps;
  std::istringstream lines(doc);
  std::string marker;
  bool in_block = false;
  std::string block;
  for (std::string line; std::getline(lines, line);) {
    if (!in_block) {
      if (line.starts_with("<!-- acceptance:") || line.starts_with("<!-- file:")) {
        marker = line;
      } else if (line.starts_with("```") && !marker.empty()) {
        in_block = true;
        block.clear();
      } else if (!line.empty()) {
        marker.clear();
      }
      continue;
    }
    if (line != "```") {
      block += line + "\n";
      continue;
    }
    in_block = false;
    if (marker.starts_with("<!-- file:")) {
      std::smatch match;
      const std::regex name(R"(<!-- file: (\S+) -->)");
      if (std::regex_search(marker, match, name)) {
        steps.push_back(DocStep{{}, match[1], block});
      }
    } else {
      std::istringstream commands(block);
      for (std::string command; std::getline(commands, command);) {
        auto args = words(command);
        if (!args.empty() && args.front() == "traverse") {
          args.erase(args.begin());
          steps.push_back(DocStep{std::move(args), {}, {}});
        }
      }
    }
    marker.clear();
  }
  return steps;
}

bool have_wasm_clang() {
  for (const char* name : {"clang-14", "clang"}) {
    if (std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0) {
      return true;
    }
  }
  return false;
}

class NewCapability : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_wasm_clang()) {
      // CI sets TRAVERSE_TESTS_REQUIRE_TOOLS: there a missing tool fails instead of skipping.
      if (std::getenv("TRAVERSE_TESTS_REQUIRE_TOOLS") != nullptr) {
        FAIL() << "no clang for wasm32-wasi on PATH and TRAVERSE_TESTS_REQUIRE_TOOLS is set";
      }
      GTEST_SKIP() << "no clang for wasm32-wasi on PATH";
    }
  }

  CliRun run_here(const std::vector<std::string>& args) const {
    RunOptions options;
    options.cwd = dir_.path();
    options.timeout = std::chrono::seconds(300);
    return run_cli(args, options);
  }

  // `new capability <id>` then `package build` in the temporary folder.
  void new_and_build(const std::string& id, const std::string& name) const {
    const CliRun made = run_here({"new", "capability", id});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    const CliRun built = run_here({"package", "build", name + "/package.json"});
    ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  }

  TempDir dir_;
};

TEST_F(NewCapability, GettingStartedWalkthroughRunsACapabilityABundleAndATwoStepWorkflow) {
  const auto steps = walkthrough();
  ASSERT_GE(steps.size(), 10U) << "docs/getting-started.md lost its marked walkthrough";
  std::vector<CliRun> runs;
  for (const auto& step : steps) {
    if (!step.file.empty()) {
      dir_.write(step.file, step.content);
      continue;
    }
    runs.push_back(run_here(step.command));
    const std::string shown = [&] {
      std::string text = "traverse";
      for (const auto& arg : step.command) {
        text += " " + arg;
      }
      return text;
    }();
    ASSERT_EQ(runs.back().exit_code, 0) << shown << "\n" << runs.back().out << runs.back().err;
  }
  // package run and run (bundle + package) print the capability's output.
  bool package_ran = false;
  bool bundle_ran = false;
  bool workflow_ran = false;
  for (std::size_t i = 0, r = 0; i < steps.size(); ++i) {
    if (!steps[i].file.empty()) {
      continue;
    }
    const auto& command = steps[i].command;
    const CliRun& run = runs[r++];
    if (command.size() >= 2 && command[0] == "package" && command[1] == "run") {
      EXPECT_NE(run.out.find("\"text\": \"HELLO, TRAVERSE\""), std::string::npos) << run.out;
      EXPECT_NE(run.out.find("\"length\": 15"), std::string::npos) << run.out;
      package_ran = true;
    } else if (command[0] == "run") {
      EXPECT_NE(run.out.find("\"text\": \"HELLO, TRAVERSE\""), std::string::npos) << run.out;
      bundle_ran = true;
    } else if (command[0] == "workflow") {
      EXPECT_NE(run.out.find("status: completed"), std::string::npos) << run.out;
      EXPECT_NE(run.out.find("\"text\": \"HELLO, TRAVERSE!\""), std::string::npos) << run.out;
      EXPECT_NE(run.out.find("\"length\": 16"), std::string::npos) << run.out;
      workflow_ran = true;
    }
  }
  EXPECT_TRUE(package_ran && bundle_ran && workflow_ran);
}

TEST_F(NewCapability, WritesEveryFileAndTheNextSteps) {
  const CliRun made = run_here({"new", "capability", "acme.text.shout", "--dir", "here"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  for (const char* file :
       {"contract.json", "package.json", "shout.c", "request.json", "bundle.json"}) {
    EXPECT_TRUE(fs::exists(dir_.path() / "here" / file)) << file;
  }
  EXPECT_NE(made.out.find("package build here/package.json"), std::string::npos) << made.out;
  // The contract and the bundle are valid before anything is built.
  const CliRun validated = run_here({"contract", "validate", "here/contract.json"});
  EXPECT_EQ(validated.exit_code, 0) << validated.out << validated.err;
  const CliRun bundle = run_here({"bundle", "inspect", "here/bundle.json"});
  EXPECT_EQ(bundle.exit_code, 0) << bundle.out << bundle.err;
}

TEST_F(NewCapability, RefusesToOverwriteWithoutForce) {
  ASSERT_EQ(run_here({"new", "capability", "acme.text.shout"}).exit_code, 0);
  const CliRun again = run_here({"new", "capability", "acme.text.shout"});
  EXPECT_EQ(again.exit_code, 5);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(run_here({"new", "capability", "acme.text.shout", "--force"}).exit_code, 0);
}

TEST_F(NewCapability, RejectsAnIdWithoutNamespaceOrWithUppercase) {
  for (const char* id : {"shout", "Acme.text.Shout", "acme..shout", "acme.text.-shout"}) {
    const CliRun made = run_here({"new", "capability", id});
    EXPECT_EQ(made.exit_code, 5) << id;
    EXPECT_NE(made.err.find("is not a capability id"), std::string::npos) << made.err;
  }
}

TEST_F(NewCapability, NativeScaffoldWritesAValidContractAndAHandler) {
  const CliRun made =
      run_here({"new", "capability", "acme.text.shout", "--lang", "native", "--dir", "native"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_TRUE(fs::exists(dir_.path() / "native" / "shout.cpp"));
  EXPECT_TRUE(fs::exists(dir_.path() / "native" / "CMakeLists.txt"));
  EXPECT_FALSE(fs::exists(dir_.path() / "native" / "package.json"));
  EXPECT_EQ(run_here({"contract", "validate", "native/contract.json"}).exit_code, 0);
}

TEST_F(NewCapability, PackageDigestPrintsTheDigestAndWriteRestoresIt) {
  ASSERT_NO_FATAL_FAILURE(new_and_build("acme.text.shout", "shout"));
  const std::string manifest = (dir_.path() / "shout" / "package.json").string();
  const std::string built = read_text(manifest);
  std::smatch match;
  ASSERT_TRUE(std::regex_search(built, match, std::regex("fnv1a64:[0-9a-f]{16}")));
  const std::string digest = match[0];
  EXPECT_NE(digest, "fnv1a64:0000000000000000");

  const CliRun printed = run_here({"package", "digest", "shout/package.json"});
  EXPECT_EQ(printed.exit_code, 0);
  EXPECT_EQ(printed.out, digest + "\n");

  dir_.write("shout/package.json", std::regex_replace(built, std::regex(digest), "fnv1a64:0"));
  EXPECT_NE(run_here({"package", "inspect", "shout/package.json"}).exit_code, 0);
  const CliRun warned = run_here({"package", "digest", "shout/package.json"});
  EXPECT_EQ(warned.out, digest + "\n");
  EXPECT_NE(warned.err.find("--write"), std::string::npos) << warned.err;
  EXPECT_EQ(run_here({"package", "digest", "shout/package.json", "--write"}).exit_code, 0);
  EXPECT_EQ(read_text(manifest), built);  // only the digest changed, layout kept
  EXPECT_EQ(run_here({"package", "inspect", "shout/package.json"}).exit_code, 0);
}

TEST_F(NewCapability, PackageBuildReportsACompileErrorAgainstTheSource) {
  ASSERT_EQ(run_here({"new", "capability", "acme.text.shout"}).exit_code, 0);
  dir_.write("shout/shout.c", "int main(void) { return undeclared; }\n");
  const CliRun built = run_here({"package", "build", "shout/package.json"});
  EXPECT_EQ(built.exit_code, 2);
  EXPECT_NE(built.err.find("CompileFailed"), std::string::npos) << built.err;
  EXPECT_NE(built.err.find("undeclared"), std::string::npos) << built.err;  // clang's message
}

TEST_F(NewCapability, ReferenceSchemaProfileEnforcesOnlyTypeRequiredPropertiesAndItems) {
  ASSERT_NO_FATAL_FAILURE(new_and_build("acme.text.shout", "shout"));
  // "" breaks the contract's minLength 1, a keyword Rust Traverse does not enforce.
  const std::string request = read_text(dir_.path() / "shout" / "request.json");
  dir_.write("empty.json", std::regex_replace(request, std::regex("hello, traverse"), ""));
  const CliRun strict = run_here({"package", "run", "shout/package.json", "empty.json"});
  EXPECT_EQ(strict.exit_code, 2) << strict.out << strict.err;
  EXPECT_NE(strict.err.find("minLength"), std::string::npos) << strict.err;

  const CliRun reference = run_here(
      {"package", "run", "shout/package.json", "empty.json", "--schema-profile", "reference"});
  EXPECT_EQ(reference.exit_code, 0) << reference.out << reference.err;
  EXPECT_NE(reference.out.find("\"length\": 0"), std::string::npos) << reference.out;

  // `type` is still enforced under the reference profile.
  dir_.write("number.json", std::regex_replace(request, std::regex("\"hello, traverse\""), "7"));
  const CliRun mistyped = run_here(
      {"package", "run", "shout/package.json", "number.json", "--schema-profile", "reference"});
  EXPECT_EQ(mistyped.exit_code, 2) << mistyped.out << mistyped.err;

  const CliRun bad =
      run_here({"package", "run", "shout/package.json", "empty.json", "--schema-profile", "loose"});
  EXPECT_EQ(bad.exit_code, 5);
}

TEST_F(NewCapability, InlineRequestRunsAndItsTraceIsFoundByAnIdPrefix) {
  ASSERT_NO_FATAL_FAILURE(new_and_build("acme.text.shout", "shout"));
  const std::string inline_request =
      R"({"kind": "runtime_request", "schema_version": "1.0.0", "request_id": "inline-1",
          "intent": {"capability_id": "acme.text.shout"}, "input": {"text": "abc"},
          "lookup": {"scope": "public_only", "allow_ambiguity": false},
          "context": {"requested_target": "local"},
          "governing_spec": "006-runtime-request-execution"})";
  const CliRun ran = run_here({"package", "run", "shout/package.json", inline_request, "--json"});
  ASSERT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  const Value result = json_of(ran);
  EXPECT_EQ(result["output"]["text"], "ABC");
  const std::string trace_id = result["trace_ref"].get<std::string>();
  ASSERT_GE(trace_id.size(), 8U);

  const CliRun shown = run_here({"trace", "show", trace_id.substr(0, 8), "--json"});
  EXPECT_EQ(shown.exit_code, 0) << shown.out << shown.err;
  EXPECT_EQ(json_of(shown)["public"]["id"], trace_id);

  const CliRun none = run_here({"trace", "list", "--capability", "acme.text.nothing"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_NE(none.out.find("no trace entries match these filters"), std::string::npos) << none.out;

  const CliRun broken = run_here({"package", "run", "shout/package.json", "{\"kind\": "});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("<inline>"), std::string::npos) << broken.err;
}

TEST(CliSuggestions, AMistypedWorkflowIdGetsDidYouMeanAndAWrongVersionTheRegisteredOnes) {
  TempDir dir;
  const std::string db = dir.file("traces.db");
  const CliRun typo =
      run_cli({"workflow", "run", example("bundle.json"), "plan-expedtion", "--input",
               example("inputs/plan-expedition.json"), "--trace-db", db});
  EXPECT_EQ(typo.exit_code, 2) << typo.err;
  EXPECT_NE(typo.err.find("hint: did you mean workflow plan-expedition?"), std::string::npos)
      << typo.err;

  const CliRun version =
      run_cli({"workflow", "run", example("bundle.json"), "plan-expedition@9.9.9", "--input",
               example("inputs/plan-expedition.json"), "--trace-db", db});
  EXPECT_EQ(version.exit_code, 2) << version.err;
  EXPECT_NE(version.err.find("registered versions of workflow plan-expedition: 1.0.0"),
            std::string::npos)
      << version.err;
}

}  // namespace
}  // namespace traverse::cli_test
