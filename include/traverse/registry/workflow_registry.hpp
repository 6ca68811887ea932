// traverse/registry/workflow_registry.hpp — the versioned, immutable set of registered workflows.
//
// A workflow is registered under (scope, id, version) only after every node is checked against
// the CapabilityRegistry (workflow_checks.hpp); once registered it never changes. Records are
// shared_ptr<const WorkflowRecord>, valid for as long as a caller holds them. Thread safety: safe
// for concurrent access from many threads without external synchronisation (a reader/writer lock
// that prefers writers, like CapabilityRegistry's).
#pragma once

#include <cstddef>
#include <expected>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/contracts/runtime_request.hpp"
#include "traverse/contracts/semver.hpp"
#include "traverse/contracts/validation_error.hpp"
#include "traverse/contracts/vocabulary.hpp"
#include "traverse/contracts/workflow_definition.hpp"
#include "traverse/registry/capability_registry.hpp"
#include "traverse/registry/registry_error.hpp"

namespace traverse {

namespace registry_internal {
struct WorkflowState;  // the lock and the records (src/registry)
}  // namespace registry_internal

struct WorkflowRecord {
  Scope scope = Scope::Public;
  WorkflowDefinition definition;
  SemVer semver;
  std::string fingerprint;  // "sha256:<hex>" of the canonical definition; decides immutability
  // Discovery index (docs/workflows.md): "id@version" lists, sorted and de-duplicated.
  std::vector<std::string> participating_capabilities;
  std::vector<std::string> events_used;
  std::string origin;  // e.g. "bundle:<bundle_id>:<id>:<version>"; informational

  [[nodiscard]] std::string key() const { return definition.key(); }
  [[nodiscard]] const std::string& id() const { return definition.id; }
  [[nodiscard]] const std::string& version() const { return definition.version; }
};
using WorkflowRecordPtr = std::shared_ptr<const WorkflowRecord>;

struct WorkflowRegistrationResult {
  WorkflowRecordPtr record;
  RegistrationStatus status = RegistrationStatus::Registered;
};

struct WorkflowRegistryLimits {
  std::size_t max_records = 16384;  // one more registration is CapacityExceeded
};

// How a workflow of `scope` resolves its nodes' capabilities: Public → public only, Private →
// private then public (docs/workflows.md).
[[nodiscard]] constexpr LookupScope lookup_scope_for(Scope scope) {
  return scope == Scope::Public ? LookupScope::PublicOnly : LookupScope::PreferPrivate;
}

class WorkflowRegistry {
 public:
  explicit WorkflowRegistry(WorkflowRegistryLimits limits = {});
  ~WorkflowRegistry();
  WorkflowRegistry(const WorkflowRegistry&) = delete;  // owns a lock; share it by reference
  WorkflowRegistry& operator=(const WorkflowRegistry&) = delete;

  // Registers `workflow` under `scope` after checking it against `capabilities` (nodes resolve
  // with lookup_scope_for(scope), any lifecycle).
  // Success: the record, Registered, or AlreadyRegistered for an identical definition (no-op).
  // Failure (nothing changes): every violation as ValidationErrors — the workflow_checks.hpp
  // codes, ImmutableVersionConflict at "$" when (scope, id, version) holds a different
  // definition, InvalidSemver at "$.version", CapacityExceeded at "$". Thread-safe.
  [[nodiscard]] std::expected<WorkflowRegistrationResult, ValidationErrors> register_workflow(
      Scope scope, WorkflowDefinition workflow, const CapabilityRegistry& capabilities,
      std::string origin = {});

  // Every error register_workflow would report right now, without registering. Thread-safe.
  [[nodiscard]] ValidationErrors check_registration(Scope scope, const WorkflowDefinition& workflow,
                                                    const CapabilityRegistry& capabilities) const;

  // Exactly (scope, id, version), or nullptr. Thread-safe.
  [[nodiscard]] WorkflowRecordPtr get(Scope scope, std::string_view id,
                                      std::string_view version) const;

  // id@version with the scope rules of CapabilityRegistry::resolve (PreferPrivate: private
  // first). NotFound / InvalidRange. Thread-safe.
  [[nodiscard]] std::expected<WorkflowRecordPtr, RegistryError> find_exact(
      std::string_view id, std::string_view version,
      LookupScope scope = LookupScope::PreferPrivate) const;
  // The only visible version of `id`; several → Ambiguous listing them; none → NotFound.
  // Thread-safe.
  [[nodiscard]] std::expected<WorkflowRecordPtr, RegistryError> find_by_id(
      std::string_view id, LookupScope scope = LookupScope::PreferPrivate) const;

  // Every record, sorted by id, then semver precedence, then scope (public first). Thread-safe.
  [[nodiscard]] std::vector<WorkflowRecordPtr> list() const;
  [[nodiscard]] std::size_t size() const;

  // Builds the record register_workflow would store (fingerprint, discovery index), without the
  // registry checks. Fails with InvalidSemver at "$.version" for a non-semver version.
  [[nodiscard]] static std::expected<WorkflowRecordPtr, ValidationErrors> make_record(
      Scope scope, WorkflowDefinition workflow, std::string origin);

 private:
  friend struct registry_internal::StateAccess;

  std::unique_ptr<registry_internal::WorkflowState> state_;
};

}  // namespace traverse
