// The state behind CapabilityRegistry and WorkflowRegistry: their lock, their records and the
// operations that need the lock held. Private to the registry module (not installed): the public
// headers hold only a pointer to it, so the locking scheme and the store can change without
// touching the API. bundle_registration.cpp reaches it through StateAccess to lock both
// registries for one all-or-nothing commit.
#pragma once

#include <expected>
#include <string_view>

#include "traverse/contracts/validation_error.hpp"
#include "traverse/registry/capability_registry.hpp"
#include "traverse/registry/registry_error.hpp"
#include "traverse/registry/workflow_registry.hpp"
#include "versioned_store.hpp"
#include "writer_preferring_mutex.hpp"

namespace traverse::registry_internal {

// Validates `registration` and builds (and fingerprints) its record; no lock needed.
[[nodiscard]] std::expected<CapabilityRecordPtr, RegistryError> make_capability_record(
    CapabilityRegistration registration);

struct CapabilityState {
  explicit CapabilityState(CapabilityRegistryLimits registry_limits) : limits(registry_limits) {}

  // REQUIRES: mutex held (shared or exclusive). The existing record for the key, or nullptr.
  [[nodiscard]] CapabilityRecordPtr find_locked(Scope scope, std::string_view id,
                                                std::string_view version) const;
  // REQUIRES: mutex held. Registered/AlreadyRegistered for `record`, or the conflict.
  [[nodiscard]] std::expected<RegistrationStatus, RegistryError> check_locked(
      const CapabilityRecord& record) const;
  // REQUIRES: mutex held exclusively, check_locked(record) == Registered.
  void insert_locked(CapabilityRecordPtr record);

  const CapabilityRegistryLimits limits;
  mutable WriterPreferringMutex mutex;
  VersionedStore<CapabilityRecord> records;  // guarded by mutex
};

struct WorkflowState {
  explicit WorkflowState(WorkflowRegistryLimits registry_limits) : limits(registry_limits) {}

  // REQUIRES: mutex held.
  [[nodiscard]] WorkflowRecordPtr find_locked(Scope scope, std::string_view id,
                                              std::string_view version) const;
  // REQUIRES: mutex held. Registered / AlreadyRegistered, or the conflict as one error.
  [[nodiscard]] std::expected<RegistrationStatus, ValidationError> check_locked(
      const WorkflowRecord& record) const;
  // REQUIRES: mutex held exclusively; check_locked(record) == Registered.
  void insert_locked(WorkflowRecordPtr record);

  const WorkflowRegistryLimits limits;
  mutable WriterPreferringMutex mutex;
  VersionedStore<WorkflowRecord> records;  // guarded by mutex
};

// The one door to a registry's state from outside its own class (the bundle commit).
struct StateAccess {
  static CapabilityState& of(CapabilityRegistry& registry) { return *registry.state_; }
  static WorkflowState& of(WorkflowRegistry& registry) { return *registry.state_; }
};

}  // namespace traverse::registry_internal
