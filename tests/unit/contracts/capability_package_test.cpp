// Governing spec: 001-artifact-formats
#include "traverse/contracts/capability_package.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "contracts_test_support.hpp"
#include "traverse/support/digest.hpp"

namespace traverse {
namespace {

// A package for the capture step: manifest in pkg/, contract in contracts/ (one level up),
// a C source and a stand-in .wasm whose fnv1a64 digest the manifest declares.
class CapabilityPackageTest : public testing::Test {
 protected:
  void SetUp() override {
    test::copy_expedition(dir_.path());
    test::write_text(pkg() / "src" / "main.c", "int main(void) { return 0; }\n");
    test::write_text(pkg() / "build" / "module.wasm", wasm_bytes_);
    manifest_ =
        Value{{"kind", "capability_package"},
              {"schema_version", "1.0.0"},
              {"package_id", "expedition.planning.capture-expedition-objective-package"},
              {"version", "1.0.0"},
              {"summary", "Packages the capture step as a WebAssembly command module."},
              {"capability_ref",
               {{"id", "expedition.planning.capture-expedition-objective"},
                {"version", "1.0.0"},
                {"contract_path", "../contracts/capture-expedition-objective.json"}}},
              {"known_compositions",
               Value::array({{{"workflow_id", "plan-expedition"}, {"workflow_version", "1.0.0"}}})},
              {"source", {{"path", "src/main.c"}, {"language", "c"}, {"entry", "main"}}},
              {"binary",
               {{"path", "build/module.wasm"},
                {"format", "wasm"},
                {"expected_digest", fnv1a64_digest(wasm_bytes_)},
                {"abi_version", "1.0.0"}}},
              {"constraints",
               {{"host_api_access", "none"},
                {"network_access", "forbidden"},
                {"filesystem_access", "none"}}},
              {"model_dependencies", Value::array()}};
  }

  [[nodiscard]] std::filesystem::path pkg() const { return dir_.path() / "pkg"; }
  [[nodiscard]] std::filesystem::path manifest_path() const { return pkg() / "manifest.json"; }

  std::expected<CapabilityPackage, ValidationErrors> load() {
    test::write_json(manifest_path(), manifest_);
    return load_capability_package(manifest_path());
  }

  // Expects exactly one error with this code, path and file.
  void expect_single(const std::string& code, const std::string& path,
                     const std::filesystem::path& file) {
    const auto result = load();
    ASSERT_FALSE(result) << "package was accepted";
    ASSERT_EQ(result.error().size(), 1U) << test::describe(result.error());
    EXPECT_EQ(result.error()[0].code(), code) << test::describe(result.error());
    EXPECT_EQ(result.error()[0].path(), path);
    EXPECT_EQ(result.error()[0].file(), file.string());
  }

  test::TempDir dir_;
  std::string wasm_bytes_ = std::string("\0asm\1\0\0\0", 8);
  Value manifest_;
};

TEST_F(CapabilityPackageTest, LoadsValidPackageAndVerifiesDigest) {
  const auto package = load();
  ASSERT_TRUE(package) << test::describe(package.error());
  EXPECT_EQ(package->package_id, "expedition.planning.capture-expedition-objective-package");
  EXPECT_EQ(package->contract.id, "expedition.planning.capture-expedition-objective");
  EXPECT_EQ(package->binary_digest, fnv1a64_digest(wasm_bytes_));
  EXPECT_EQ(package->binary_digest.size(), std::string("fnv1a64:").size() + 16);
  EXPECT_EQ(package->binary_path, pkg() / "build" / "module.wasm");
  EXPECT_EQ(package->source_path, pkg() / "src" / "main.c");
  EXPECT_EQ(package->source_language, "c");
  EXPECT_EQ(package->abi_version, "1.0.0");
  ASSERT_EQ(package->known_compositions.size(), 1U);
  EXPECT_EQ(package->known_compositions[0].workflow_id, "plan-expedition");
}

TEST_F(CapabilityPackageTest, AcceptsLegacyWorkflowRefs) {
  manifest_["workflow_refs"] = manifest_["known_compositions"];
  manifest_.erase("known_compositions");
  const auto package = load();
  ASSERT_TRUE(package) << test::describe(package.error());
  ASSERT_EQ(package->known_compositions.size(), 1U);
}

TEST_F(CapabilityPackageTest, DigestMismatch) {
  test::write_text(pkg() / "build" / "module.wasm", std::string("\0asm\1\0\0\0\0", 9));
  expect_single("DigestMismatch", "$.binary.expected_digest", manifest_path());
}

TEST_F(CapabilityPackageTest, DigestWithWrongFormat) {
  manifest_["binary"]["expected_digest"] = "sha256:" + std::string(64, 'a');
  expect_single("InvalidDigest", "$.binary.expected_digest", manifest_path());
}

TEST_F(CapabilityPackageTest, DigestWithUppercaseHex) {
  std::string digest = fnv1a64_digest(wasm_bytes_);
  for (auto& c : digest) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  manifest_["binary"]["expected_digest"] = "fnv1a64:" + digest.substr(8);
  expect_single("InvalidDigest", "$.binary.expected_digest", manifest_path());
}

TEST_F(CapabilityPackageTest, MissingBinary) {
  std::filesystem::remove(pkg() / "build" / "module.wasm");
  expect_single("MissingArtifactFile", "$.binary.path", manifest_path());
}

TEST_F(CapabilityPackageTest, MissingSource) {
  manifest_["source"]["path"] = "src/absent.c";
  expect_single("MissingArtifactFile", "$.source.path", manifest_path());
}

TEST_F(CapabilityPackageTest, MissingContract) {
  manifest_["capability_ref"]["contract_path"] = "contract.json";
  expect_single("MissingArtifactFile", "$.capability_ref.contract_path", manifest_path());
}

TEST_F(CapabilityPackageTest, ContractIdMismatch) {
  manifest_["capability_ref"]["id"] = "expedition.planning.other";
  expect_single("ArtifactIdMismatch", "$.capability_ref.id", manifest_path());
}

TEST_F(CapabilityPackageTest, ContractVersionMismatch) {
  manifest_["capability_ref"]["version"] = "1.0.1";
  expect_single("ArtifactVersionMismatch", "$.capability_ref.version", manifest_path());
}

TEST_F(CapabilityPackageTest, KindLiteral) {
  manifest_["kind"] = "package";
  expect_single("InvalidLiteral", "$.kind", manifest_path());
}

TEST_F(CapabilityPackageTest, BinaryFormatLiteral) {
  manifest_["binary"]["format"] = "elf";
  expect_single("InvalidLiteral", "$.binary.format", manifest_path());
}

TEST_F(CapabilityPackageTest, AbiVersionLiteral) {
  manifest_["binary"]["abi_version"] = "2.0.0";
  expect_single("InvalidLiteral", "$.binary.abi_version", manifest_path());
}

TEST_F(CapabilityPackageTest, ManifestConstraintLiteral) {
  manifest_["constraints"]["network_access"] = "required";
  expect_single("InvalidLiteral", "$.constraints.network_access", manifest_path());
}

TEST_F(CapabilityPackageTest, CompositionsDisagreeWithLegacyRefs) {
  manifest_["workflow_refs"] =
      Value::array({{{"workflow_id", "other-flow"}, {"workflow_version", "1.0.0"}}});
  expect_single("CompositionMismatch", "$.workflow_refs", manifest_path());
}

TEST_F(CapabilityPackageTest, ContractEntrypointMustBeRun) {
  const auto contract = dir_.path() / "contracts" / "capture-expedition-objective.json";
  Value doc = test::read_json(contract);
  doc["execution"]["entrypoint"]["command"] = "start";
  test::write_json(contract, doc);
  expect_single("InvalidLiteral", "$.execution.entrypoint.command", contract);
}

TEST_F(CapabilityPackageTest, ContractMustNotRequireNetwork) {
  const auto contract = dir_.path() / "contracts" / "capture-expedition-objective.json";
  Value doc = test::read_json(contract);
  doc["execution"]["constraints"]["network_access"] = "required";
  test::write_json(contract, doc);
  expect_single("InvalidLiteral", "$.execution.constraints.network_access", contract);
}

TEST_F(CapabilityPackageTest, InvalidContractIsReportedWithItsFile) {
  const auto contract = dir_.path() / "contracts" / "capture-expedition-objective.json";
  Value doc = test::read_json(contract);
  doc["lifecycle"] = "live";
  test::write_json(contract, doc);
  const auto result = load();
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 2U) << test::describe(result.error());
  EXPECT_EQ(result.error()[0].code(), "CapabilityParseFailed");
  EXPECT_EQ(result.error()[0].file(), manifest_path().string());
  EXPECT_EQ(result.error()[1].code(), "InvalidLiteral");
  EXPECT_EQ(result.error()[1].path(), "$.lifecycle");
  EXPECT_EQ(result.error()[1].file(), contract.string());
}

TEST_F(CapabilityPackageTest, MalformedManifest) {
  test::write_text(manifest_path(), "[1, 2");
  const auto result = load_capability_package(manifest_path());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U);
  EXPECT_EQ(result.error()[0].code(), "InvalidJson");
}

}  // namespace
}  // namespace traverse
