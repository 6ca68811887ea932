// Governing spec: 001-artifact-formats
#include "traverse/contracts/registry_bundle.hpp"

#include <gtest/gtest.h>

#include <string>

#include "contracts_test_support.hpp"

namespace traverse {
namespace {

// A writable copy of the expedition example, so tests can break one file at a time.
class RegistryBundleTest : public testing::Test {
 protected:
  void SetUp() override { test::copy_expedition(dir_.path()); }
  [[nodiscard]] std::filesystem::path manifest() const { return dir_.path() / "bundle.json"; }
  [[nodiscard]] Value manifest_doc() const { return test::read_json(manifest()); }
  void write_manifest(const Value& doc) const { test::write_json(manifest(), doc); }
  [[nodiscard]] const std::filesystem::path& root() const { return dir_.path(); }

  test::TempDir dir_;
};

TEST_F(RegistryBundleTest, LoadsExpeditionBundleWithSixFiveOne) {
  const auto bundle = load_registry_bundle(test::expedition_dir() / "bundle.json");
  ASSERT_TRUE(bundle) << test::describe(bundle.error());
  EXPECT_EQ(bundle->bundle_id, "expedition.planning");
  EXPECT_EQ(bundle->version, "1.0.0");
  EXPECT_EQ(bundle->scope, Scope::Private);
  ASSERT_EQ(bundle->capabilities.size(), 6U);
  ASSERT_EQ(bundle->events.size(), 5U);
  ASSERT_EQ(bundle->workflows.size(), 1U);
  ASSERT_EQ(bundle->capability_entries.size(), 6U);
  ASSERT_EQ(bundle->event_entries.size(), 5U);
  ASSERT_EQ(bundle->workflow_entries.size(), 1U);
  for (std::size_t i = 0; i < bundle->capabilities.size(); ++i) {
    EXPECT_EQ(bundle->capabilities[i].id, bundle->capability_entries[i].id);
    EXPECT_TRUE(std::filesystem::is_regular_file(bundle->capability_entries[i].path));
  }
  EXPECT_EQ(bundle->capabilities.back().id, "expedition.planning.plan-expedition");
  EXPECT_EQ(bundle->workflows[0].key(), "plan-expedition@1.0.0");
}

TEST_F(RegistryBundleTest, ResolvesPathsRelativeToManifestFolderNotWorkingDirectory) {
  // Manifest one folder deeper, entries reaching back with "../".
  Value doc = manifest_doc();
  for (const char* section : {"capabilities", "events", "workflows"}) {
    for (auto& entry : doc[section]) {
      entry["path"] = "../" + entry["path"].get<std::string>();
    }
  }
  test::write_json(root() / "registry" / "manifest.json", doc);
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(std::filesystem::temp_directory_path());
  const auto bundle = load_registry_bundle(root() / "registry" / "manifest.json");
  std::filesystem::current_path(previous);
  ASSERT_TRUE(bundle) << test::describe(bundle.error());
  EXPECT_EQ(bundle->capabilities.size(), 6U);
}

TEST_F(RegistryBundleTest, InvalidScope) {
  Value doc = manifest_doc();
  doc["scope"] = "shared";
  write_manifest(doc);
  const auto result = load_registry_bundle(manifest());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U) << test::describe(result.error());
  EXPECT_EQ(result.error()[0].code(), "InvalidScope");
  EXPECT_EQ(result.error()[0].path(), "$.scope");
  EXPECT_EQ(result.error()[0].file(), manifest().string());
}

TEST_F(RegistryBundleTest, MissingSectionKey) {
  Value doc = manifest_doc();
  doc.erase("workflows");
  write_manifest(doc);
  const auto result = load_registry_bundle(manifest());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U) << test::describe(result.error());
  EXPECT_EQ(result.error()[0].code(), "MissingRequiredField");
  EXPECT_EQ(result.error()[0].path(), "$.workflows");
}

TEST_F(RegistryBundleTest, MissingReferencedFile) {
  std::filesystem::remove(root() / "events" / "conditions-assessed.json");
  const auto result = load_registry_bundle(manifest());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U) << test::describe(result.error());
  const ValidationError& error = result.error()[0];
  EXPECT_EQ(error.code(), "MissingArtifactFile");
  EXPECT_EQ(error.path(), "$.events[2].path");
  EXPECT_EQ(error.file(), manifest().string());
  EXPECT_NE(error.message().find("expedition.planning.conditions-assessed@1.0.0"),
            std::string::npos);
  EXPECT_NE(error.message().find("conditions-assessed.json"), std::string::npos);
}

TEST_F(RegistryBundleTest, DuplicateArtifactId) {
  Value doc = manifest_doc();
  doc["events"].push_back(doc["events"][1]);
  write_manifest(doc);
  const auto result = load_registry_bundle(manifest());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U) << test::describe(result.error());
  EXPECT_EQ(result.error()[0].code(), "DuplicateArtifactId");
  EXPECT_EQ(result.error()[0].path(), "$.events[5]");
}

TEST_F(RegistryBundleTest, ArtifactIdAndVersionMismatch) {
  Value doc = manifest_doc();
  doc["capabilities"][0]["id"] = "expedition.planning.capture-objective";
  doc["workflows"][0]["version"] = "1.0.1";
  write_manifest(doc);
  const auto result = load_registry_bundle(manifest());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 2U) << test::describe(result.error());
  EXPECT_TRUE(test::contains(result.error(), "ArtifactIdMismatch", "$.capabilities[0].id"));
  EXPECT_TRUE(test::contains(result.error(), "ArtifactVersionMismatch", "$.workflows[0].version"));
}

TEST_F(RegistryBundleTest, MalformedArtifactReportsParseFailureAndItsOwnFile) {
  const auto contract = root() / "contracts" / "interpret-expedition-intent.json";
  test::write_text(contract, "{\"kind\": \"capability_contract\",");
  const auto result = load_registry_bundle(manifest());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 2U) << test::describe(result.error());
  EXPECT_EQ(result.error()[0].code(), "CapabilityParseFailed");
  EXPECT_EQ(result.error()[0].path(), "$.capabilities[1].path");
  EXPECT_EQ(result.error()[0].file(), manifest().string());
  EXPECT_EQ(result.error()[1].code(), "InvalidJson");
  EXPECT_EQ(result.error()[1].file(), contract.string());
}

TEST_F(RegistryBundleTest, InvalidArtifactIsFullyValidated) {
  const auto workflow_file = root() / "workflows" / "plan-expedition.json";
  Value workflow = test::read_json(workflow_file);
  workflow["edges"].push_back({{"edge_id", "loop"},
                               {"from", "assemble_plan"},
                               {"to", "capture_objective"},
                               {"trigger", "direct"}});
  test::write_json(workflow_file, workflow);
  const auto result = load_registry_bundle(manifest());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 2U) << test::describe(result.error());
  EXPECT_TRUE(test::contains(result.error(), "WorkflowParseFailed", "$.workflows[0].path"));
  EXPECT_TRUE(test::contains(result.error(), "DeterministicCycleNotAllowed", "$.edges"));
  EXPECT_EQ(result.error()[1].file(), workflow_file.string());
}

TEST_F(RegistryBundleTest, ReportsAllErrorsAcrossManifestAndArtifacts) {
  Value doc = manifest_doc();
  doc["scope"] = "internal";
  doc["capabilities"][2]["path"] = "contracts/absent.json";
  write_manifest(doc);
  Value event = test::read_json(root() / "events" / "plan-assembled.json");
  event["version"] = "one";
  test::write_json(root() / "events" / "plan-assembled.json", event);

  const auto result = load_registry_bundle(manifest());
  ASSERT_FALSE(result);
  EXPECT_TRUE(test::contains(result.error(), "InvalidScope", "$.scope"));
  EXPECT_TRUE(test::contains(result.error(), "MissingArtifactFile", "$.capabilities[2].path"));
  EXPECT_TRUE(test::contains(result.error(), "EventParseFailed", "$.events[4].path"));
  EXPECT_TRUE(test::contains(result.error(), "InvalidSemver", "$.version"));
  EXPECT_TRUE(test::contains(result.error(), "ArtifactVersionMismatch", "$.events[4].version"));
  EXPECT_EQ(result.error().size(), 5U) << test::describe(result.error());
}

TEST_F(RegistryBundleTest, MalformedManifest) {
  test::write_text(manifest(), "{\"bundle_id\": \"x\", \"version\": }");
  const auto result = load_registry_bundle(manifest());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U);
  EXPECT_EQ(result.error()[0].code(), "InvalidJson");
  EXPECT_EQ(result.error()[0].file(), manifest().string());
}

TEST_F(RegistryBundleTest, EntryWithWrongShape) {
  Value doc = manifest_doc();
  doc["capabilities"][3] = "contracts/validate-team-readiness.json";
  doc["events"][0].erase("path");
  write_manifest(doc);
  const auto result = load_registry_bundle(manifest());
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 2U) << test::describe(result.error());
  EXPECT_TRUE(test::contains(result.error(), "InvalidType", "$.capabilities[3]"));
  EXPECT_TRUE(test::contains(result.error(), "MissingRequiredField", "$.events[0].path"));
}

TEST_F(RegistryBundleTest, UnreadableManifest) {
  const auto result = load_registry_bundle(root() / "nope.json");
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U);
  EXPECT_EQ(result.error()[0].code(), "IoError");
}

}  // namespace
}  // namespace traverse
