// traverse/contracts/artifact.hpp — load any Traverse artifact file by its `kind`.
//
// Used by `traverse contract validate`: the file's "kind" field picks the parser
// (capability_contract, event_contract, workflow_definition, capability_package,
// runtime_request, or a registry bundle manifest, recognised by `bundle_id`).
// Thread safety: pure function.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <variant>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/capability_package.hpp"
#include "traverse/contracts/event_contract.hpp"
#include "traverse/contracts/registry_bundle.hpp"
#include "traverse/contracts/runtime_request.hpp"
#include "traverse/contracts/workflow_definition.hpp"

namespace traverse {

using Artifact = std::variant<CapabilityContract, EventContract, WorkflowDefinition, RegistryBundle,
                              CapabilityPackage, RuntimeRequest>;

// The artifact kind's name ("capability_contract", ..., "registry_bundle").
[[nodiscard]] std::string artifact_kind(const Artifact& artifact);

// Reads `path` and dispatches on "kind". Errors carry the file; a missing kind without
// bundle_id is MissingRequiredField at $.kind, an unknown kind is UnknownArtifactKind.
[[nodiscard]] std::expected<Artifact, ValidationErrors> load_artifact(
    const std::filesystem::path& path);

}  // namespace traverse
