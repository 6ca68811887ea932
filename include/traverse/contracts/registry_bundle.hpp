// traverse/contracts/registry_bundle.hpp — a registry bundle manifest and the artifacts it names.
//
// Loading reads the manifest, resolves every artifact path relative to the manifest's folder,
// and parses and validates each artifact. Unlike the reference loader (which stops at the first
// error and validates nothing), every error in the manifest and in every artifact is reported,
// each with its file and JSON path. A bundle with any error yields no RegistryBundle at all.
// Value type; thread-compatible.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/event_contract.hpp"
#include "traverse/contracts/validation_error.hpp"
#include "traverse/contracts/vocabulary.hpp"
#include "traverse/contracts/workflow_definition.hpp"

namespace traverse {

struct BundleEntry {
  std::string id;
  std::string version;
  std::filesystem::path path;  // resolved: manifest folder / entry path
};

struct RegistryBundle {
  std::string bundle_id;
  std::string version;
  Scope scope = Scope::Private;
  std::filesystem::path manifest_path;
  std::vector<BundleEntry> capability_entries;
  std::vector<BundleEntry> event_entries;
  std::vector<BundleEntry> workflow_entries;
  // Parsed artifacts, in manifest order (index i belongs to entry i).
  std::vector<CapabilityContract> capabilities;
  std::vector<EventContract> events;
  std::vector<WorkflowDefinition> workflows;
};

// Codes in the manifest (file = manifest): IoError, InvalidJson, MissingRequiredField,
// InvalidType, InvalidSemver (bundle version), InvalidScope, DuplicateArtifactId
// ($.events[i]), MissingArtifactFile ($.capabilities[i].path), Capability/Event/
// WorkflowParseFailed ($.<section>[i].path, followed by the artifact's own errors with file =
// the artifact), ArtifactIdMismatch ($.<section>[i].id), ArtifactVersionMismatch.
[[nodiscard]] std::expected<RegistryBundle, ValidationErrors> load_registry_bundle(
    const std::filesystem::path& manifest_path);

}  // namespace traverse
