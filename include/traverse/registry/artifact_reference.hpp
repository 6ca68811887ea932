// traverse/registry/artifact_reference.hpp — what implements a registered capability.
//
// A capability registered in the CapabilityRegistry carries one ArtifactReference: a native
// handler id (resolved by the runtime's native handler table), a WebAssembly module on disk with
// its digest, or a workflow (workflow-backed composite capability). The registry only stores it;
// it never opens the file or looks the handler up. Value type; thread-compatible.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/capability_package.hpp"

namespace traverse {

enum class ArtifactKind { Native, Wasm, Workflow };

// "native" / "wasm" / "workflow".
[[nodiscard]] std::string_view to_string(ArtifactKind kind);

struct ArtifactReference {
  ArtifactKind kind = ArtifactKind::Native;
  std::string native_handler_id;    // Native: the handler table key (usually the capability id)
  std::filesystem::path wasm_path;  // Wasm: the module file
  // Wasm: "fnv1a64:<16 hex>" (capability packages), "sha256:<64 hex>" or bare sha256 hex.
  std::string wasm_digest;
  // Wasm: SHA-256 hex of the module bytes when known (packages); checked on every execution.
  std::string wasm_sha256;
  std::optional<WorkflowRef> workflow;  // Workflow: the workflow the capability runs
  // Where the registration came from, e.g. "bundle:<bundle_id>:<id>:<version>" or
  // "capability-package:<package_id>:<version>". Informational: not part of identity, so the same
  // contract + artifact registered from two bundles is one registration.
  std::string origin;

  [[nodiscard]] static ArtifactReference native(std::string handler_id, std::string origin = {});
  [[nodiscard]] static ArtifactReference wasm(std::filesystem::path path, std::string digest,
                                              std::string origin = {});
  // The package's .wasm with its fnv1a64 digest and SHA-256; origin
  // "capability-package:<package_id>:<version>".
  [[nodiscard]] static ArtifactReference from_package(const CapabilityPackage& package);
  [[nodiscard]] static ArtifactReference workflow_backed(WorkflowRef ref, std::string origin = {});

  // Same implementation (kind, handler id, wasm path + digest, workflow); `origin` is ignored.
  [[nodiscard]] bool same_implementation(const ArtifactReference& other) const;
  // One-line description, e.g. "wasm /x/y.wasm (fnv1a64:...)" or "native handler 'a.b'".
  [[nodiscard]] std::string describe() const;
};

// The default artifact for a contract that comes without a binary (a registry bundle entry):
// Workflow when the contract is workflow-backed (`composability.workflow_ref`), otherwise a
// Native reference whose handler id is the capability id.
[[nodiscard]] ArtifactReference default_artifact_for(const CapabilityContract& contract,
                                                     std::string origin = {});

}  // namespace traverse
