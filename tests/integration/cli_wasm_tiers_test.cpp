// Governing spec: 021-wasm-aot-tier
//
// `--wasm-tier` and `traverse package compile`: every committed expedition package run through
// `traverse package run` gives the same output in the interpreter and the ahead-of-time tier,
// and `package compile` compiles once, then finds the verified object in the cache.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "cli_test_support.hpp"
#include "traverse/json/parse.hpp"

namespace traverse::cli_test {
namespace {

struct Step {
  const char* package;
  std::vector<const char*> reads;
};

// The plan-expedition workflow's data flow (examples/expedition/README.md), one package a step.
const std::vector<Step> kSteps = {
    {"capture-expedition-objective", {"objective", "region", "start_date", "duration_days"}},
    {"interpret-expedition-intent", {"captured_objective"}},
    {"assess-expedition-conditions", {"captured_objective", "intent"}},
    {"validate-team-readiness", {"objective_id", "team", "intent", "conditions"}},
    {"assemble-expedition-plan",
     {"objective_id", "captured_objective", "intent", "conditions", "readiness"}},
};

std::string manifest_of(const std::string& package) {
  return example("capabilities/" + package + "/package.json");
}

// Runs the five packages in order in `tier`; returns each step's output.
std::vector<Value> run_chain(const TempDir& dir, const std::string& tier) {
  auto input = read_file(example("inputs/plan-expedition.json"));
  EXPECT_TRUE(input.has_value());
  Value state = parse_json(input.value_or("{}")).value_or(Value::object());
  std::vector<Value> outputs;
  for (const Step& step : kSteps) {
    const auto inspected = run_cli({"package", "inspect", manifest_of(step.package), "--json"});
    EXPECT_EQ(inspected.exit_code, 0) << inspected.err;
    const Value package = json_of(inspected);
    Value picked = Value::object();
    for (const char* key : step.reads)
      picked[key] = state[key];
    const Value request{{"kind", "runtime_request"},
                        {"schema_version", "1.0.0"},
                        {"request_id", std::string("tiers-") + step.package},
                        {"intent",
                         {{"capability_id", package["capability_id"]},
                          {"capability_version", package["capability_version"]}}},
                        {"input", picked},
                        {"lookup", {{"scope", "prefer_private"}, {"allow_ambiguity", false}}},
                        {"context", {{"requested_target", "local"}}},
                        {"governing_spec", "006-runtime-request-execution"}};
    const std::string request_file =
        dir.write(tier + "-" + step.package + ".json", canonical_dump(request));
    const auto run =
        run_cli({"package", "run", manifest_of(step.package), request_file, "--trace-db",
                 dir.file(tier + "-traces.db"), "--json", "--wasm-tier", tier});
    EXPECT_EQ(run.exit_code, 0) << step.package << " (" << tier << "): " << run.err;
    // No fallback warning: in the aot tier the package really ran compiled code.
    EXPECT_EQ(run.err.find("runs in the interpreter"), std::string::npos) << run.err;
    const Value document = json_of(run);
    EXPECT_EQ(document["status"], "completed") << step.package;
    const Value output = document["output"];
    for (const auto& [key, value] : output.items())
      state[key] = value;
    outputs.push_back(output);
  }
  return outputs;
}

TEST(CliWasmTiers, EveryExpeditionPackageRunGivesTheSameOutputInBothTiers) {
  TempDir dir;
  // Compiled objects go to the build tree (inherited by the CLI), never to the user's cache.
  setenv("TRAVERSE_AOT_CACHE_DIR", (std::string(TRAVERSE_BINARY_DIR) + "/aot-cache").c_str(), 1);
  const std::vector<Value> interpreted = run_chain(dir, "interpreter");
  const std::vector<Value> compiled = run_chain(dir, "aot");
  ASSERT_EQ(interpreted.size(), kSteps.size());
  ASSERT_EQ(compiled.size(), kSteps.size());
  for (std::size_t i = 0; i < kSteps.size(); ++i) {
    EXPECT_EQ(canonical_dump(compiled[i]), canonical_dump(interpreted[i])) << kSteps[i].package;
    EXPECT_FALSE(compiled[i].is_null()) << kSteps[i].package;
  }
}

TEST(CliWasmTiers, PackageCompileCompilesOnceThenFindsTheObjectCached) {
  TempDir dir;
  setenv("TRAVERSE_AOT_CACHE_DIR", dir.file("aot").c_str(), 1);  // inherited by the CLI
  const std::string manifest = manifest_of("assess-expedition-conditions");
  const auto first = run_cli({"package", "compile", manifest, "--json", "--wasm-tier", "auto"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const Value report = json_of(first);
  EXPECT_EQ(report["compiled"], true);
  const std::string object = report["object"].get<std::string>();
  EXPECT_EQ(object.rfind(dir.file("aot") + "/", 0), 0U) << object;
  EXPECT_TRUE(std::filesystem::exists(object));

  const auto second = run_cli({"package", "compile", manifest, "--wasm-tier", "aot"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("object: " + object), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("already compiled (cached object verified)"), std::string::npos)
      << second.out;

  const auto interpreter = run_cli({"package", "compile", manifest, "--wasm-tier", "interpreter"});
  EXPECT_EQ(interpreter.exit_code, 1);
  EXPECT_NE(interpreter.err.find("the ahead-of-time tier is not in use"), std::string::npos)
      << interpreter.err;
}

TEST(CliWasmTiers, AnUnknownTierIsAUsageError) {
  const auto run = run_cli(
      {"package", "compile", manifest_of("assess-expedition-conditions"), "--wasm-tier", "jit"});
  EXPECT_EQ(run.exit_code, 5);
}

}  // namespace
}  // namespace traverse::cli_test
