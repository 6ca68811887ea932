// traverse/registry/bundle_registration.hpp — registering a whole registry bundle, or one
// capability package, in one step.
//
// register_bundle is all-or-nothing: it first checks everything (each capability against what is
// registered, each workflow against the bundle's capabilities plus the registry), and only when
// nothing is wrong registers the capabilities and workflows together, holding both registries'
// locks so no reader sees half a bundle. On any error nothing is registered and every error is
// reported. Thread safety: safe to call concurrently with any other registry call.
#pragma once

#include <expected>
#include <functional>
#include <vector>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/capability_package.hpp"
#include "traverse/contracts/event_contract.hpp"
#include "traverse/contracts/registry_bundle.hpp"
#include "traverse/contracts/validation_error.hpp"
#include "traverse/registry/artifact_reference.hpp"
#include "traverse/registry/capability_registry.hpp"
#include "traverse/registry/registry_error.hpp"
#include "traverse/registry/workflow_registry.hpp"

namespace traverse {

struct BundleRegistrationOptions {
  // The artifact for each bundle capability (a bundle carries contracts, not binaries). Unset:
  // default_artifact_for(contract, "bundle:<bundle_id>:<id>:<version>") — Workflow for
  // workflow-backed contracts, else a Native handler named by the capability id.
  std::function<ArtifactReference(const CapabilityContract&, const RegistryBundle&)> artifact_for;
  // Capabilities registered in the same all-or-nothing commit, each under its own scope (e.g.
  // capability packages that are not part of the bundle). Their errors name
  // artifact.origin as the file. BundleRegistration::capabilities lists them after the
  // bundle's. Workflows of the bundle may use them.
  std::vector<CapabilityRegistration> additional_capabilities;
  // Called once, after every check passed and before anything is inserted, while both
  // registries are locked: returning errors aborts the commit (nothing is registered) and
  // register_bundle returns them. It must not call into either registry. Used to make another
  // store's change (the runtime's event catalog) part of the same all-or-nothing step.
  std::function<ValidationErrors()> before_commit;
};

struct BundleRegistration {
  std::vector<CapabilityRegistrationResult> capabilities;  // manifest order
  std::vector<WorkflowRegistrationResult> workflows;       // manifest order
  // The bundle's event contracts. The registry does not own events: the runtime registers these
  // in its EventCatalog.
  std::vector<EventContract> events;
};

// Registers every capability (under bundle.scope) and workflow of `bundle`.
// Failure: every error, each with the artifact's file — ImmutableVersionConflict (a capability or
// workflow id@version already registered, or repeated in the bundle, with different content),
// the workflow_checks.hpp codes, CapacityExceeded, InvalidSemver. Nothing is registered then.
// Re-registering an identical bundle succeeds with every status AlreadyRegistered.
[[nodiscard]] std::expected<BundleRegistration, ValidationErrors> register_bundle(
    const RegistryBundle& bundle, CapabilityRegistry& capabilities, WorkflowRegistry& workflows,
    const BundleRegistrationOptions& options = {});

// Registers a capability package's contract under Scope::Public (docs/formats.md) with a Wasm
// artifact: the package's resolved binary path and its verified "fnv1a64:" digest, origin
// "capability-package:<package_id>:<version>". Errors as CapabilityRegistry::register_capability.
[[nodiscard]] std::expected<CapabilityRegistrationResult, RegistryError> register_package(
    const CapabilityPackage& package, CapabilityRegistry& capabilities);

}  // namespace traverse
