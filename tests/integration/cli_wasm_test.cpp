// Governing spec: 040-cli
//
// `traverse wasm verify` and `traverse package inspect`: the host ABI whitelist report per
// module, the reference's error texts, exit codes 2/4/5, and the package summary.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_test_support.hpp"

namespace traverse::cli_test {
namespace {

const std::string kCapturePackage = "capabilities/capture-expedition-objective/package.json";
const std::string kCaptureWasm =
    "capabilities/capture-expedition-objective/capture-expedition-objective.wasm";

// A valid module with no imports and nothing else.
std::string empty_module() {
  return std::string("\0asm\x01\0\0\0", 8);
}

// A valid module importing env::f (a function of type () -> ()), which ABI 1.0.0 forbids.
std::string module_importing_env_f() {
  const char bytes[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  // magic, version
                        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,              // type: () -> ()
                        0x02, 0x09, 0x01, 0x03, 'e',  'n',  'v',  0x01, 'f', 0x00, 0x00};
  return std::string(bytes, sizeof bytes);
}

TEST(CliWasmVerify, ExpeditionModulesPassWithTheirImportCount) {
  const std::string file = example(kCaptureWasm);
  const auto run = run_cli({"wasm", "verify", file,
                            example("capabilities/assemble-expedition-plan/"
                                    "assemble-expedition-plan.wasm")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0], file + ": ABI 1.0.0 import whitelist passed (4 imports)");
  EXPECT_NE(lines[1].find(": ABI 1.0.0 import whitelist passed ("), std::string::npos);

  const auto verbose = run_cli({"wasm", "verify", file, "--verbose"});
  EXPECT_NE(verbose.out.find("  - traverse_host::emit_event\n"), std::string::npos) << verbose.out;
}

TEST(CliWasmVerify, FailuresPrintFileAndExecutorErrorAndExitTwo) {
  TempDir dir;
  const std::string good = dir.write("empty.wasm", empty_module());
  const std::string bad_import = dir.write("env_f.wasm", module_importing_env_f());
  const std::string bad_magic = dir.write("notwasm.wasm", "this is not wasm");
  const auto run = run_cli({"wasm", "verify", good, bad_import, bad_magic});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.out, good + ": ABI 1.0.0 import whitelist passed (0 imports)\n");
  const auto errors = lines_of(run.err);
  ASSERT_EQ(errors.size(), 2U) << run.err;
  EXPECT_EQ(errors[0],
            bad_import + ": unauthorized_host_import: ABI 1.0.0 does not allow import env::f");
  EXPECT_EQ(errors[1].rfind(bad_magic + ": malformed_wasm_artifact: ", 0), 0U) << errors[1];

  const auto abi = run_cli({"wasm", "verify", good, "--abi", "2.0.0"});
  EXPECT_EQ(abi.exit_code, 2);
  EXPECT_NE(abi.err.find("unsupported_abi_version"), std::string::npos) << abi.err;
}

TEST(CliWasmVerify, JsonReportsEveryFile) {
  TempDir dir;
  const std::string bad_import = dir.write("env_f.wasm", module_importing_env_f());
  const auto run = run_cli({"wasm", "verify", example(kCaptureWasm), bad_import, "--json"});
  EXPECT_EQ(run.exit_code, 2);
  const Value doc = json_of(run);
  EXPECT_EQ(doc["valid"], false);
  EXPECT_EQ(doc["exit_code"], 2);
  ASSERT_EQ(doc["files"].size(), 2U);
  EXPECT_EQ(doc["files"][0]["valid"], true);
  EXPECT_EQ(doc["files"][0]["abi_version"], "1.0.0");
  EXPECT_EQ(doc["files"][0]["imports"].size(), 4U);
  EXPECT_EQ(doc["files"][0]["imports"][0],
            (Value{{"module", "traverse_host"}, {"name", "emit_event"}}));
  EXPECT_EQ(doc["files"][1]["error"]["class"], "UnauthorizedHostImport");
  EXPECT_EQ(doc["files"][1]["error"]["module"], "env");
  EXPECT_EQ(doc["files"][1]["error"]["name"], "f");
}

TEST(CliWasmVerify, UnreadableFileIsExitFourAndUsageIsExitFive) {
  TempDir dir;
  const std::string missing = dir.file("missing.wasm");
  const auto run = run_cli({"wasm", "verify", missing});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_EQ(run.err.rfind(missing + ": binary load failed: ", 0), 0U) << run.err;
  EXPECT_EQ(run_cli({"wasm", "verify"}).exit_code, 5);
  EXPECT_EQ(run_cli({"wasm"}).exit_code, 5);
}

TEST(CliPackageInspect, PrintsIdsFilesVerifiedDigestImportsAndCompositions) {
  const auto run = run_cli({"package", "inspect", example(kCapturePackage)});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 13U) << run.out;
  EXPECT_EQ(lines[0], "package_id: expedition.planning.capture-expedition-objective");
  EXPECT_EQ(lines[1], "version: 1.0.0");
  EXPECT_EQ(lines[2].rfind("summary: ", 0), 0U);
  EXPECT_EQ(lines[3], "capability_id: expedition.planning.capture-expedition-objective");
  EXPECT_EQ(lines[4], "capability_version: 1.0.0");
  EXPECT_NE(lines[5].find("contracts/capture-expedition-objective.json"), std::string::npos);
  EXPECT_NE(lines[6].find("capture_expedition_objective.c (c)"), std::string::npos);
  EXPECT_NE(lines[7].find("capture-expedition-objective.wasm"), std::string::npos);
  EXPECT_EQ(lines[8], "binary_digest: fnv1a64:f091b8df9d40fdfd (verified)");
  EXPECT_EQ(lines[9], "abi_version: 1.0.0");
  EXPECT_EQ(lines[10], "imports: 4 (ABI 1.0.0 import whitelist passed)");
  EXPECT_EQ(lines[11], "known_compositions:");
  EXPECT_EQ(lines[12], "  - plan-expedition@1.0.0");
}

TEST(CliPackageInspect, JsonHasTheSameFieldsAndTheImports) {
  const auto run = run_cli({"package", "inspect", example(kCapturePackage), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Value doc = json_of(run);
  EXPECT_EQ(doc["package_id"], "expedition.planning.capture-expedition-objective");
  EXPECT_EQ(doc["capability_version"], "1.0.0");
  EXPECT_EQ(doc["binary_digest"], "fnv1a64:f091b8df9d40fdfd");
  EXPECT_EQ(doc["source_language"], "c");
  EXPECT_EQ(doc["valid"], true);
  EXPECT_EQ(doc["imports"].size(), 4U);
  EXPECT_EQ(doc["known_compositions"], Value::array({"plan-expedition@1.0.0"}));
}

TEST(CliPackageInspect, WrongDigestIsExitTwoAndMissingManifestIsExitFour) {
  TempDir dir;
  const auto source = kSource / "examples/expedition/capabilities/capture-expedition-objective";
  auto manifest = parse_json_file(source / "package.json");
  ASSERT_TRUE(manifest.has_value());
  (*manifest)["binary"]["expected_digest"] = "fnv1a64:0000000000000000";
  (*manifest)["capability_ref"]["contract_path"] =
      (kSource / "examples/expedition/contracts/capture-expedition-objective.json").string();
  (*manifest)["source"]["path"] = (source / "capture_expedition_objective.c").string();
  (*manifest)["binary"]["path"] = (source / "capture-expedition-objective.wasm").string();
  const std::string package = dir.write("package.json", canonical_dump(*manifest));
  const auto bad = run_cli({"package", "inspect", package, "--json"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(package + ": $.binary.expected_digest: DigestMismatch: "),
            std::string::npos)
      << bad.err;
  EXPECT_EQ(json_of(bad)["errors"][0]["code"], "DigestMismatch");

  const std::string missing = dir.file("missing.json");
  const auto run = run_cli({"package", "inspect", missing});
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_NE(run.err.find(missing), std::string::npos);
  EXPECT_EQ(run_cli({"package", "inspect"}).exit_code, 5);
}

}  // namespace
}  // namespace traverse::cli_test
