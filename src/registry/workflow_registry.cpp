#include "traverse/registry/workflow_registry.hpp"

#include <algorithm>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <utility>

#include "registry_internal.hpp"
#include "registry_state.hpp"
#include "traverse/registry/workflow_checks.hpp"

namespace traverse {
namespace {

using registry_internal::join;
using registry_internal::scope_note;

constexpr auto by_precedence = VersionedStore<WorkflowRecord>::by_precedence;

// Resolves node capabilities in the registry with the workflow scope's rules, any lifecycle.
CapabilityResolver registry_resolver(const CapabilityRegistry& capabilities, Scope scope) {
  return [&capabilities, scope](
             std::string_view id,
             std::string_view version) -> std::shared_ptr<const CapabilityContract> {
    for (const Scope candidate : registry_internal::scopes_for(lookup_scope_for(scope))) {
      if (auto record = capabilities.get(candidate, id, version)) {
        return std::shared_ptr<const CapabilityContract>(record, &record->contract);
      }
    }
    return nullptr;
  };
}

}  // namespace

WorkflowRegistry::WorkflowRegistry(WorkflowRegistryLimits limits)
    : state_(std::make_unique<registry_internal::WorkflowState>(limits)) {}

WorkflowRegistry::~WorkflowRegistry() = default;

std::expected<WorkflowRecordPtr, ValidationErrors> WorkflowRegistry::make_record(
    Scope scope, WorkflowDefinition workflow, std::string origin) {
  ValidationErrors errors;
  if (workflow.id.empty()) {
    errors.push_back({"MissingRequiredField", "$.id", "workflow id must not be empty", {}});
  }
  auto semver = parse_semver(workflow.version);
  if (!semver) {
    errors.push_back({"InvalidSemver",
                      "$.version",
                      "workflow " + workflow.id + " has version '" + workflow.version +
                          "', expected a semver version like 1.0.0",
                      {}});
  }
  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }
  auto record = std::make_shared<WorkflowRecord>();
  record->scope = scope;
  record->semver = std::move(*semver);
  record->fingerprint = registry_internal::workflow_fingerprint(workflow);
  std::set<std::string> capabilities;
  std::set<std::string> events;
  for (const auto& node : workflow.nodes) {
    capabilities.insert(node.capability_id + "@" + node.capability_version);
  }
  for (const auto& edge : workflow.edges) {
    if (edge.event) {
      events.insert(edge.event->event_id + "@" + edge.event->version);
    }
  }
  record->participating_capabilities.assign(capabilities.begin(), capabilities.end());
  record->events_used.assign(events.begin(), events.end());
  record->origin = std::move(origin);
  record->definition = std::move(workflow);
  return WorkflowRecordPtr(std::move(record));
}

WorkflowRecordPtr registry_internal::WorkflowState::find_locked(Scope scope, std::string_view id,
                                                                std::string_view version) const {
  return records.find(scope, id, version);
}

std::expected<RegistrationStatus, ValidationError> registry_internal::WorkflowState::check_locked(
    const WorkflowRecord& record) const {
  const auto existing = find_locked(record.scope, record.definition.id, record.definition.version);
  if (existing) {
    if (existing->fingerprint != record.fingerprint) {
      return std::unexpected(ValidationError{
          "ImmutableVersionConflict",
          "$",
          "workflow " + record.key() + " is already registered in " +
              std::string(to_string(record.scope)) +
              " scope with a different definition; a registered version never changes, "
              "publish a new version instead",
          {}});
    }
    return RegistrationStatus::AlreadyRegistered;
  }
  if (records.size() >= limits.max_records) {
    return std::unexpected(ValidationError{"CapacityExceeded",
                                           "$",
                                           "workflow registry is full (" +
                                               std::to_string(limits.max_records) +
                                               " registrations); cannot register " + record.key(),
                                           {}});
  }
  return RegistrationStatus::Registered;
}

void registry_internal::WorkflowState::insert_locked(WorkflowRecordPtr record) {
  records.insert(std::move(record));
}

ValidationErrors WorkflowRegistry::check_registration(
    Scope scope, const WorkflowDefinition& workflow, const CapabilityRegistry& capabilities) const {
  ValidationErrors errors =
      check_workflow_against_capabilities(workflow, registry_resolver(capabilities, scope));
  auto record = make_record(scope, workflow, {});
  if (!record) {
    errors.insert(errors.end(), record.error().begin(), record.error().end());
    return errors;
  }
  std::shared_lock lock(state_->mutex);
  if (auto status = state_->check_locked(**record); !status) {
    errors.push_back(std::move(status.error()));
  }
  return errors;
}

std::expected<WorkflowRegistrationResult, ValidationErrors> WorkflowRegistry::register_workflow(
    Scope scope, WorkflowDefinition workflow, const CapabilityRegistry& capabilities,
    std::string origin) {
  // The capability checks take the capability registry's lock only; this registry's lock is
  // never held at the same time (see bundle_registration.cpp for the one place holding both).
  ValidationErrors errors =
      check_workflow_against_capabilities(workflow, registry_resolver(capabilities, scope));
  auto record = make_record(scope, std::move(workflow), std::move(origin));
  if (!record) {
    errors.insert(errors.end(), record.error().begin(), record.error().end());
    return std::unexpected(std::move(errors));
  }
  std::unique_lock lock(state_->mutex);
  auto status = state_->check_locked(**record);
  if (!status) {
    errors.push_back(std::move(status.error()));
  }
  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }
  if (*status == RegistrationStatus::AlreadyRegistered) {
    return WorkflowRegistrationResult{
        state_->find_locked(scope, (*record)->definition.id, (*record)->definition.version),
        RegistrationStatus::AlreadyRegistered};
  }
  state_->insert_locked(*record);
  return WorkflowRegistrationResult{std::move(*record), RegistrationStatus::Registered};
}

WorkflowRecordPtr WorkflowRegistry::get(Scope scope, std::string_view id,
                                        std::string_view version) const {
  std::shared_lock lock(state_->mutex);
  return state_->find_locked(scope, id, version);
}

std::expected<WorkflowRecordPtr, RegistryError> WorkflowRegistry::find_exact(
    std::string_view id, std::string_view version, LookupScope scope) const {
  if (!is_semver(version)) {
    return std::unexpected(RegistryError{RegistryErrorCode::InvalidRange,
                                         "workflow version '" + std::string(version) + "' for " +
                                             std::string(id) +
                                             " is not a semver version (expected e.g. 1.0.0)"});
  }
  {
    std::shared_lock lock(state_->mutex);
    for (const Scope candidate : registry_internal::scopes_for(scope)) {
      if (auto record = state_->find_locked(candidate, id, version)) {
        return record;
      }
    }
  }
  return std::unexpected(RegistryError{RegistryErrorCode::NotFound,
                                       "workflow " + std::string(id) + "@" + std::string(version) +
                                           " is not registered" + scope_note(scope)});
}

std::expected<WorkflowRecordPtr, RegistryError> WorkflowRegistry::find_by_id(
    std::string_view id, LookupScope scope) const {
  std::vector<WorkflowRecordPtr> visible;
  {
    std::shared_lock lock(state_->mutex);
    visible = state_->records.visible_versions(id, scope);
  }
  if (visible.empty()) {
    return std::unexpected(
        RegistryError{RegistryErrorCode::NotFound,
                      "workflow " + std::string(id) + " is not registered" + scope_note(scope)});
  }
  if (visible.size() > 1) {
    std::sort(visible.begin(), visible.end(), by_precedence);
    std::vector<std::string> keys;
    for (const auto& record : visible) {
      keys.push_back(record->key());
    }
    return std::unexpected(RegistryError{RegistryErrorCode::Ambiguous,
                                         "workflow " + std::string(id) + " has " +
                                             std::to_string(visible.size()) + " versions (" +
                                             join(keys) + "); name an exact version"});
  }
  return visible.front();
}

std::vector<WorkflowRecordPtr> WorkflowRegistry::list() const {
  std::vector<WorkflowRecordPtr> records;
  {
    std::shared_lock lock(state_->mutex);
    records = state_->records.all();
  }
  VersionedStore<WorkflowRecord>::sort_for_listing(records);
  return records;
}

std::size_t WorkflowRegistry::size() const {
  std::shared_lock lock(state_->mutex);
  return state_->records.size();
}

}  // namespace traverse
