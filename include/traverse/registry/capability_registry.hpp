// traverse/registry/capability_registry.hpp — the versioned, immutable set of registered
// capabilities, and how a request finds one (docs/workflows.md; docs/formats.md, "Runtime
// request").
//
// Each registration is keyed by (scope, id, version) and never changes once made: registering the
// same contract and artifact again is a no-op, anything different is ImmutableVersionConflict.
// Records are handed out as shared_ptr<const CapabilityRecord>, so a record stays valid for as
// long as a caller holds it. Thread safety: safe for concurrent access from many threads without
// external synchronisation (lookups share a reader/writer lock that prefers writers, so a steady
// stream of lookups never starves a registration; registration takes it exclusively).
#pragma once

#include <cstddef>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/runtime_request.hpp"
#include "traverse/contracts/semver.hpp"
#include "traverse/contracts/vocabulary.hpp"
#include "traverse/registry/artifact_reference.hpp"
#include "traverse/registry/registry_error.hpp"

namespace traverse {

namespace registry_internal {
struct CapabilityState;  // the lock and the records (src/registry)
struct StateAccess;      // lets the all-or-nothing bundle commit lock both registries
}  // namespace registry_internal

// One registered capability. Immutable once registered.
struct CapabilityRecord {
  Scope scope = Scope::Public;
  CapabilityContract contract;
  ArtifactReference artifact;
  SemVer semver;            // contract.version, parsed
  std::string fingerprint;  // "sha256:<hex>" of the canonical contract; decides immutability

  [[nodiscard]] std::string key() const { return contract.key(); }  // "id@version"
  [[nodiscard]] const std::string& id() const { return contract.id; }
  [[nodiscard]] const std::string& version() const { return contract.version; }
  [[nodiscard]] bool runnable() const { return is_runnable(contract.lifecycle); }
};
using CapabilityRecordPtr = std::shared_ptr<const CapabilityRecord>;

struct CapabilityRegistration {
  Scope scope = Scope::Public;
  CapabilityContract contract;
  ArtifactReference artifact;
};

enum class RegistrationStatus {
  Registered,         // newly added
  AlreadyRegistered,  // an identical registration existed; nothing changed
};

struct CapabilityRegistrationResult {
  CapabilityRecordPtr record;  // the registered record (the existing one for AlreadyRegistered)
  RegistrationStatus status = RegistrationStatus::Registered;
};

// A lookup request. Exactly one of `version` / `version_range` may be set; with neither, the id
// alone must identify one eligible version.
struct CapabilityQuery {
  std::string capability_id;
  std::optional<std::string> version;        // exact semver, e.g. "1.2.3"
  std::optional<std::string> version_range;  // e.g. "^1.2", "~1.2.3", ">=1.0.0 <2.0.0"
  LookupScope scope = LookupScope::PreferPrivate;
  // Lifecycle gate (docs/error-handling.md): only active and deprecated capabilities are eligible.
  bool require_runnable = true;
};

struct CapabilityRegistryLimits {
  // Most registrations the registry accepts; one more is CapacityExceeded. Bounds memory when
  // registrations come from untrusted bundles.
  std::size_t max_records = 65536;
};

class CapabilityRegistry {
 public:
  explicit CapabilityRegistry(CapabilityRegistryLimits limits = {});
  ~CapabilityRegistry();
  CapabilityRegistry(const CapabilityRegistry&) = delete;  // owns a lock; share it by reference
  CapabilityRegistry& operator=(const CapabilityRegistry&) = delete;

  // Registers `contract` under `scope` with its implementing artifact.
  // Success: the record, status Registered, or AlreadyRegistered when the same (scope, id,
  // version) holds an identical contract and artifact (a no-op).
  // Failure (nothing changes): ImmutableVersionConflict when that key holds a different contract
  // or artifact; InvalidArgument for an empty id or a non-semver version; CapacityExceeded.
  // Thread-safe.
  [[nodiscard]] std::expected<CapabilityRegistrationResult, RegistryError> register_capability(
      Scope scope, CapabilityContract contract, ArtifactReference artifact);
  [[nodiscard]] std::expected<CapabilityRegistrationResult, RegistryError> register_capability(
      CapabilityRegistration registration);

  // What register_capability would do right now, without changing anything. Thread-safe.
  [[nodiscard]] std::expected<RegistrationStatus, RegistryError> check_registration(
      const CapabilityRegistration& registration) const;

  // The record registered under exactly (scope, id, version), or nullptr. No scope fallback and
  // no lifecycle gate. Thread-safe.
  [[nodiscard]] CapabilityRecordPtr get(Scope scope, std::string_view id,
                                        std::string_view version) const;

  // General lookup. Scope rules: PublicOnly sees public registrations only; PreferPrivate sees
  // both, and a private id@version hides the public one of the same version. Then:
  //   exact version  → that version (NotFound if absent; NotRunnable if gated out);
  //   version range  → the highest eligible version in range (NotFound if none is in range;
  //                    NotRunnable if versions are in range but none is runnable);
  //   id only        → the one eligible version; several → Ambiguous, listing them.
  // InvalidRange for an unparsable version or range; InvalidArgument when both are given or the
  // id is empty. Thread-safe.
  [[nodiscard]] std::expected<CapabilityRecordPtr, RegistryError> resolve(
      const CapabilityQuery& query) const;

  // Shorthands for resolve() with the lifecycle gate on. Thread-safe.
  [[nodiscard]] std::expected<CapabilityRecordPtr, RegistryError> find_exact(
      std::string_view id, std::string_view version,
      LookupScope scope = LookupScope::PreferPrivate) const;
  [[nodiscard]] std::expected<CapabilityRecordPtr, RegistryError> find_in_range(
      std::string_view id, std::string_view range,
      LookupScope scope = LookupScope::PreferPrivate) const;
  [[nodiscard]] std::expected<CapabilityRecordPtr, RegistryError> find_by_id(
      std::string_view id, LookupScope scope = LookupScope::PreferPrivate) const;

  // Every record, sorted by id, then semver precedence, then scope (public first). Thread-safe.
  [[nodiscard]] std::vector<CapabilityRecordPtr> list() const;
  [[nodiscard]] std::size_t size() const;

 private:
  friend struct registry_internal::StateAccess;

  std::unique_ptr<registry_internal::CapabilityState> state_;
};

}  // namespace traverse
