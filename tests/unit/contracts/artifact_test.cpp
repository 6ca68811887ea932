// Governing spec: 001-artifact-formats
#include "traverse/contracts/artifact.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "contracts_test_support.hpp"

namespace traverse {
namespace {

TEST(Artifact, DispatchesEveryExpeditionArtifactByKind) {
  const std::map<std::string, std::string> expected = {
      {"bundle.json", "registry_bundle"},
      {"contracts/capture-expedition-objective.json", "capability_contract"},
      {"contracts/plan-expedition.json", "capability_contract"},
      {"events/plan-assembled.json", "event_contract"},
      {"workflows/plan-expedition.json", "workflow_definition"},
      {"requests/plan-expedition.json", "runtime_request"},
  };
  for (const auto& [relative, kind] : expected) {
    const auto artifact = load_artifact(test::expedition_dir() / relative);
    ASSERT_TRUE(artifact) << relative << test::describe(artifact.error());
    EXPECT_EQ(artifact_kind(*artifact), kind) << relative;
  }
}

TEST(Artifact, LoadedBundleCarriesItsArtifacts) {
  const auto artifact = load_artifact(test::expedition_dir() / "bundle.json");
  ASSERT_TRUE(artifact) << test::describe(artifact.error());
  const auto* bundle = std::get_if<RegistryBundle>(&*artifact);
  ASSERT_NE(bundle, nullptr);
  EXPECT_EQ(bundle->capabilities.size(), 6U);
}

TEST(Artifact, DispatchesCapabilityPackage) {
  test::TempDir dir;
  test::copy_expedition(dir.path());
  const std::string wasm("\0asm\1\0\0\0", 8);
  test::write_text(dir.path() / "module.wasm", wasm);
  test::write_text(dir.path() / "main.c", "int main(void) { return 0; }\n");
  const Value manifest{{"kind", "capability_package"},
                       {"schema_version", "1.0.0"},
                       {"package_id", "capture-package"},
                       {"version", "1.0.0"},
                       {"summary", "Capture step package."},
                       {"capability_ref",
                        {{"id", "expedition.planning.capture-expedition-objective"},
                         {"version", "1.0.0"},
                         {"contract_path", "contracts/capture-expedition-objective.json"}}},
                       {"source", {{"path", "main.c"}, {"language", "c"}, {"entry", "main"}}},
                       {"binary",
                        {{"path", "module.wasm"},
                         {"format", "wasm"},
                         {"expected_digest", "fnv1a64:0000000000000000"},
                         {"abi_version", "1.0.0"}}},
                       {"constraints",
                        {{"host_api_access", "none"},
                         {"network_access", "forbidden"},
                         {"filesystem_access", "none"}}}};
  test::write_json(dir.path() / "manifest.json", manifest);
  const auto artifact = load_artifact(dir.path() / "manifest.json");
  ASSERT_FALSE(artifact);
  ASSERT_EQ(artifact.error().size(), 1U) << test::describe(artifact.error());
  EXPECT_EQ(artifact.error()[0].code(), "DigestMismatch");
}

TEST(Artifact, UnknownKind) {
  test::TempDir dir;
  test::write_json(dir.path() / "a.json", Value{{"kind", "connector_manifest"}});
  const auto artifact = load_artifact(dir.path() / "a.json");
  ASSERT_FALSE(artifact);
  ASSERT_EQ(artifact.error().size(), 1U);
  EXPECT_EQ(artifact.error()[0].code(), "UnknownArtifactKind");
  EXPECT_EQ(artifact.error()[0].path(), "$.kind");
  EXPECT_EQ(artifact.error()[0].file(), (dir.path() / "a.json").string());
}

TEST(Artifact, MissingKindWithoutBundleId) {
  test::TempDir dir;
  test::write_json(dir.path() / "a.json", Value{{"objective", "x"}});
  const auto artifact = load_artifact(dir.path() / "a.json");
  ASSERT_FALSE(artifact);
  ASSERT_EQ(artifact.error().size(), 1U);
  EXPECT_EQ(artifact.error()[0].code(), "MissingRequiredField");
  EXPECT_EQ(artifact.error()[0].path(), "$.kind");
}

TEST(Artifact, KindOfWrongTypeAndNonObjectDocument) {
  test::TempDir dir;
  test::write_json(dir.path() / "a.json", Value{{"kind", 3}});
  test::write_json(dir.path() / "b.json", Value::array({"capability_contract"}));
  const auto a = load_artifact(dir.path() / "a.json");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error()[0].code(), "InvalidType");
  EXPECT_EQ(a.error()[0].path(), "$.kind");
  const auto b = load_artifact(dir.path() / "b.json");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error()[0].code(), "InvalidType");
  EXPECT_EQ(b.error()[0].path(), "$");
}

TEST(Artifact, MalformedJsonNamesLineAndColumn) {
  test::TempDir dir;
  test::write_text(dir.path() / "a.json", "{\n  \"kind\": \"event_contract\",\n  \"id\": tru\n}\n");
  const auto artifact = load_artifact(dir.path() / "a.json");
  ASSERT_FALSE(artifact);
  ASSERT_EQ(artifact.error().size(), 1U);
  EXPECT_EQ(artifact.error()[0].code(), "InvalidJson");
  EXPECT_EQ(artifact.error()[0].file(), (dir.path() / "a.json").string());
  EXPECT_NE(artifact.error()[0].message().find("line 3"), std::string::npos)
      << artifact.error()[0].message();
  EXPECT_NE(artifact.error()[0].message().find("column"), std::string::npos);
}

TEST(Artifact, UnreadableFile) {
  test::TempDir dir;
  const auto artifact = load_artifact(dir.path() / "missing.json");
  ASSERT_FALSE(artifact);
  ASSERT_EQ(artifact.error().size(), 1U);
  EXPECT_EQ(artifact.error()[0].code(), "IoError");
  const auto directory = load_artifact(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error()[0].code(), "IoError");
}

TEST(Artifact, EmptyFile) {
  test::TempDir dir;
  test::write_text(dir.path() / "empty.json", "");
  const auto artifact = load_artifact(dir.path() / "empty.json");
  ASSERT_FALSE(artifact);
  EXPECT_EQ(artifact.error()[0].code(), "InvalidJson");
}

}  // namespace
}  // namespace traverse
