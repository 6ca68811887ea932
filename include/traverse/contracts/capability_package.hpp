// traverse/contracts/capability_package.hpp — a capability package manifest
// (kind "capability_package", docs/formats.md): a contract plus its built `.wasm`.
//
// Loading checks every rule of docs/formats.md, "Capability package", including the `fnv1a64:`
// digest of the `.wasm` bytes. Paths resolve relative to the manifest's folder. Value type;
// thread-compatible.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/validation_error.hpp"

namespace traverse {

struct CapabilityPackage {
  std::string package_id;
  std::string version;
  std::string summary;
  std::filesystem::path manifest_path;
  CapabilityContract contract;          // capability_ref.contract_path, parsed and validated
  std::filesystem::path contract_path;  // resolved
  std::filesystem::path source_path;    // resolved source.path
  std::string source_language;
  std::filesystem::path binary_path;  // resolved binary.path (the .wasm)
  std::string binary_digest;          // binary.expected_digest ("fnv1a64:<16 hex>"), verified
  // SHA-256 (lowercase hex) of the same .wasm bytes, taken when the digest was verified. The
  // runtime re-checks it before every execution (docs/compatibility.md D10), so a module replaced
  // on disk after loading is refused with ChecksumMismatch instead of running unverified.
  std::string binary_sha256;
  std::string abi_version;  // binary.abi_version ("1.0.0")
  std::vector<WorkflowRef> known_compositions;
};

// Codes: IoError / InvalidJson, MissingRequiredField, InvalidType, InvalidLiteral (kind,
// schema_version, binary.format "wasm", binary.abi_version "1.0.0", constraints none/forbidden/
// none; in the contract file: entrypoint command "run" and the same constraints), InvalidSemver,
// CompositionMismatch (known_compositions != workflow_refs), MissingArtifactFile (contract,
// source or binary; at $.capability_ref.contract_path, $.source.path, $.binary.path),
// CapabilityParseFailed (+ the contract's own errors), ArtifactIdMismatch,
// ArtifactVersionMismatch, InvalidDigest (not "fnv1a64:" + 16 lowercase hex), DigestMismatch.
[[nodiscard]] std::expected<CapabilityPackage, ValidationErrors> load_capability_package(
    const std::filesystem::path& manifest_path);

}  // namespace traverse
