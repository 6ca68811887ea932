#include "traverse/registry/artifact_reference.hpp"

#include <utility>

namespace traverse {

std::string_view to_string(ArtifactKind kind) {
  switch (kind) {
    case ArtifactKind::Native:
      return "native";
    case ArtifactKind::Wasm:
      return "wasm";
    case ArtifactKind::Workflow:
      return "workflow";
  }
  return "unknown";
}

ArtifactReference ArtifactReference::native(std::string handler_id, std::string origin) {
  ArtifactReference ref;
  ref.kind = ArtifactKind::Native;
  ref.native_handler_id = std::move(handler_id);
  ref.origin = std::move(origin);
  return ref;
}

ArtifactReference ArtifactReference::wasm(std::filesystem::path path, std::string digest,
                                          std::string origin) {
  ArtifactReference ref;
  ref.kind = ArtifactKind::Wasm;
  ref.wasm_path = std::move(path);
  ref.wasm_digest = std::move(digest);
  ref.origin = std::move(origin);
  return ref;
}

ArtifactReference ArtifactReference::from_package(const CapabilityPackage& package) {
  ArtifactReference ref = wasm(package.binary_path, package.binary_digest,
                               "capability-package:" + package.package_id + ":" + package.version);
  ref.wasm_sha256 = package.binary_sha256;
  return ref;
}

ArtifactReference ArtifactReference::workflow_backed(WorkflowRef ref_to, std::string origin) {
  ArtifactReference ref;
  ref.kind = ArtifactKind::Workflow;
  ref.workflow = std::move(ref_to);
  ref.origin = std::move(origin);
  return ref;
}

bool ArtifactReference::same_implementation(const ArtifactReference& other) const {
  if (kind != other.kind) {
    return false;
  }
  switch (kind) {
    case ArtifactKind::Native:
      return native_handler_id == other.native_handler_id;
    case ArtifactKind::Wasm:
      return wasm_path.lexically_normal() == other.wasm_path.lexically_normal() &&
             wasm_digest == other.wasm_digest;
    case ArtifactKind::Workflow:
      return workflow == other.workflow;
  }
  return false;
}

std::string ArtifactReference::describe() const {
  switch (kind) {
    case ArtifactKind::Native:
      return "native handler '" + native_handler_id + "'";
    case ArtifactKind::Wasm:
      return "wasm " + wasm_path.string() + (wasm_digest.empty() ? "" : " (" + wasm_digest + ")");
    case ArtifactKind::Workflow:
      return workflow ? "workflow " + workflow->workflow_id + "@" + workflow->workflow_version
                      : std::string("workflow (unset)");
  }
  return "unknown artifact";
}

ArtifactReference default_artifact_for(const CapabilityContract& contract, std::string origin) {
  if (contract.workflow_ref) {
    return ArtifactReference::workflow_backed(*contract.workflow_ref, std::move(origin));
  }
  return ArtifactReference::native(contract.id, std::move(origin));
}

}  // namespace traverse
