#include "traverse/registry/capability_registry.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "registry_internal.hpp"
#include "registry_state.hpp"

namespace traverse {
namespace {

using registry_internal::join;
using registry_internal::lookup_scope_name;

RegistryError error(RegistryErrorCode code, std::string message) {
  return RegistryError{code, std::move(message)};
}

std::string describe_lifecycle_gate(const CapabilityRecord& record) {
  return "capability " + record.key() + " is " + std::string(to_string(record.contract.lifecycle)) +
         "; only active or deprecated capabilities are runnable";
}

std::vector<std::string> keys_of(const std::vector<CapabilityRecordPtr>& records) {
  std::vector<std::string> keys;
  keys.reserve(records.size());
  for (const auto& record : records) {
    keys.push_back(record->key());
  }
  return keys;
}

constexpr auto by_precedence = VersionedStore<CapabilityRecord>::by_precedence;

}  // namespace

CapabilityRegistry::CapabilityRegistry(CapabilityRegistryLimits limits)
    : state_(std::make_unique<registry_internal::CapabilityState>(limits)) {}

CapabilityRegistry::~CapabilityRegistry() = default;

std::expected<CapabilityRecordPtr, RegistryError> registry_internal::make_capability_record(
    CapabilityRegistration registration) {
  const CapabilityContract& contract = registration.contract;
  if (contract.id.empty()) {
    return std::unexpected(
        error(RegistryErrorCode::InvalidArgument, "capability registration has an empty id"));
  }
  auto semver = parse_semver(contract.version);
  if (!semver) {
    return std::unexpected(error(RegistryErrorCode::InvalidArgument,
                                 "capability " + contract.id + " has version '" + contract.version +
                                     "', expected a semver version like 1.0.0"));
  }
  const ArtifactReference& artifact = registration.artifact;
  if (artifact.kind == ArtifactKind::Native && artifact.native_handler_id.empty()) {
    return std::unexpected(
        error(RegistryErrorCode::InvalidArgument,
              "capability " + contract.key() + ": native artifact needs a non-empty handler id"));
  }
  if (artifact.kind == ArtifactKind::Wasm && artifact.wasm_path.empty()) {
    return std::unexpected(error(
        RegistryErrorCode::InvalidArgument,
        "capability " + contract.key() + ": wasm artifact needs the path of its .wasm module"));
  }
  if (artifact.kind == ArtifactKind::Workflow && !artifact.workflow) {
    return std::unexpected(error(
        RegistryErrorCode::InvalidArgument,
        "capability " + contract.key() + ": workflow artifact needs a workflow id and version"));
  }
  auto record = std::make_shared<CapabilityRecord>();
  record->scope = registration.scope;
  record->fingerprint = registry_internal::capability_fingerprint(contract);
  record->semver = std::move(*semver);
  record->contract = std::move(registration.contract);
  record->artifact = std::move(registration.artifact);
  return CapabilityRecordPtr(std::move(record));
}

CapabilityRecordPtr registry_internal::CapabilityState::find_locked(
    Scope scope, std::string_view id, std::string_view version) const {
  return records.find(scope, id, version);
}

std::expected<RegistrationStatus, RegistryError> registry_internal::CapabilityState::check_locked(
    const CapabilityRecord& record) const {
  const auto existing = find_locked(record.scope, record.contract.id, record.contract.version);
  if (existing) {
    if (existing->fingerprint != record.fingerprint) {
      return std::unexpected(
          error(RegistryErrorCode::ImmutableVersionConflict,
                "capability " + record.key() + " is already registered in " +
                    std::string(to_string(record.scope)) +
                    " scope with a different contract; a registered version never changes, "
                    "publish a new version instead"));
    }
    if (!existing->artifact.same_implementation(record.artifact)) {
      return std::unexpected(error(RegistryErrorCode::ImmutableVersionConflict,
                                   "capability " + record.key() + " is already registered in " +
                                       std::string(to_string(record.scope)) +
                                       " scope with artifact " + existing->artifact.describe() +
                                       ", not " + record.artifact.describe()));
    }
    return RegistrationStatus::AlreadyRegistered;
  }
  if (records.size() >= limits.max_records) {
    return std::unexpected(error(RegistryErrorCode::CapacityExceeded,
                                 "capability registry is full (" +
                                     std::to_string(limits.max_records) +
                                     " registrations); cannot register " + record.key()));
  }
  return RegistrationStatus::Registered;
}

void registry_internal::CapabilityState::insert_locked(CapabilityRecordPtr record) {
  records.insert(std::move(record));
}

std::expected<CapabilityRegistrationResult, RegistryError> CapabilityRegistry::register_capability(
    Scope scope, CapabilityContract contract, ArtifactReference artifact) {
  return register_capability(
      CapabilityRegistration{scope, std::move(contract), std::move(artifact)});
}

std::expected<CapabilityRegistrationResult, RegistryError> CapabilityRegistry::register_capability(
    CapabilityRegistration registration) {
  // Build (and fingerprint) the record before taking the lock: hashing is the expensive part.
  auto record = registry_internal::make_capability_record(std::move(registration));
  if (!record) {
    return std::unexpected(std::move(record.error()));
  }
  std::unique_lock lock(state_->mutex);
  auto status = state_->check_locked(**record);
  if (!status) {
    return std::unexpected(std::move(status.error()));
  }
  if (*status == RegistrationStatus::AlreadyRegistered) {
    return CapabilityRegistrationResult{
        state_->find_locked((*record)->scope, (*record)->contract.id, (*record)->contract.version),
        RegistrationStatus::AlreadyRegistered};
  }
  state_->insert_locked(*record);
  return CapabilityRegistrationResult{std::move(*record), RegistrationStatus::Registered};
}

std::expected<RegistrationStatus, RegistryError> CapabilityRegistry::check_registration(
    const CapabilityRegistration& registration) const {
  auto record = registry_internal::make_capability_record(registration);
  if (!record) {
    return std::unexpected(std::move(record.error()));
  }
  std::shared_lock lock(state_->mutex);
  return state_->check_locked(**record);
}

CapabilityRecordPtr CapabilityRegistry::get(Scope scope, std::string_view id,
                                            std::string_view version) const {
  std::shared_lock lock(state_->mutex);
  return state_->find_locked(scope, id, version);
}

namespace {

// Error text only: built when a lookup fails, never on the path of one that succeeds.
std::string scope_text(const CapabilityQuery& query) {
  return "scope " + std::string(lookup_scope_name(query.scope));
}

// The query's own consistency: an id, at most one of version and range, both well formed.
std::expected<std::optional<SemVerRange>, RegistryError> check_query(const CapabilityQuery& query) {
  const std::string& id = query.capability_id;
  if (id.empty()) {
    return std::unexpected(
        error(RegistryErrorCode::InvalidArgument, "capability lookup needs a capability id"));
  }
  if (query.version && query.version_range) {
    return std::unexpected(error(RegistryErrorCode::InvalidArgument,
                                 "capability lookup for " + id +
                                     " gives both an exact version and a version range; "
                                     "expected at most one"));
  }
  if (query.version && !is_semver(*query.version)) {
    return std::unexpected(error(RegistryErrorCode::InvalidRange,
                                 "capability version '" + *query.version + "' for " + id +
                                     " is not a semver version (expected e.g. 1.2.3)"));
  }
  if (!query.version_range) {
    return std::optional<SemVerRange>{};
  }
  auto range = SemVerRange::parse(*query.version_range);
  if (!range) {
    return std::unexpected(
        error(RegistryErrorCode::InvalidRange,
              "version range '" + *query.version_range + "' for " + id +
                  " is not a valid semver range (expected e.g. ^1.2, ~1.2.3, >=1.0.0 <2.0.0)"));
  }
  return range;
}

// The exactly named version among `visible` (sorted by precedence, not empty).
std::expected<CapabilityRecordPtr, RegistryError> pick_exact(
    const std::vector<CapabilityRecordPtr>& visible, const CapabilityQuery& query) {
  const std::string& version = *query.version;
  auto found = std::find_if(visible.begin(), visible.end(), [&](const CapabilityRecordPtr& r) {
    return r->contract.version == version;
  });
  if (found == visible.end()) {
    return std::unexpected(
        error(RegistryErrorCode::NotFound, "capability " + query.capability_id + "@" + version +
                                               " is not registered (" + scope_text(query) +
                                               "; registered: " + join(keys_of(visible)) + ")"));
  }
  if (query.require_runnable && !(*found)->runnable()) {
    return std::unexpected(error(RegistryErrorCode::NotRunnable, describe_lifecycle_gate(**found)));
  }
  return *found;
}

// The highest version in `range` (or the only version without one) among `visible` (sorted by
// precedence, not empty) that the query may run.
std::expected<CapabilityRecordPtr, RegistryError> pick_in_range(
    const std::vector<CapabilityRecordPtr>& visible, const CapabilityQuery& query,
    const std::optional<SemVerRange>& range) {
  const std::string& id = query.capability_id;
  std::vector<CapabilityRecordPtr> matching;
  for (const auto& record : visible) {
    if (!range || range->matches(record->semver)) {
      matching.push_back(record);
    }
  }
  if (matching.empty()) {
    return std::unexpected(
        error(RegistryErrorCode::NotFound, "no version of capability " + id + " matches range '" +
                                               range->text() + "' (" + scope_text(query) +
                                               "; registered: " + join(keys_of(visible)) + ")"));
  }
  std::vector<CapabilityRecordPtr> eligible;
  for (const auto& record : matching) {
    if (!query.require_runnable || record->runnable()) {
      eligible.push_back(record);
    }
  }
  if (eligible.empty()) {
    std::vector<std::string> described;
    for (const auto& record : matching) {
      described.push_back(record->key() + " (" +
                          std::string(to_string(record->contract.lifecycle)) + ")");
    }
    return std::unexpected(error(RegistryErrorCode::NotRunnable,
                                 "no runnable version of capability " + id +
                                     (range ? " in range '" + range->text() + "'" : "") + ": " +
                                     join(described) +
                                     "; only active or deprecated capabilities are runnable"));
  }
  if (range) {
    return eligible.back();  // highest precedence in range
  }
  if (eligible.size() > 1) {
    return std::unexpected(error(RegistryErrorCode::Ambiguous,
                                 "capability " + id + " has " + std::to_string(eligible.size()) +
                                     " eligible versions (" + join(keys_of(eligible)) +
                                     "); name an exact version or a version range"));
  }
  return eligible.front();
}

}  // namespace

std::expected<CapabilityRecordPtr, RegistryError> CapabilityRegistry::resolve(
    const CapabilityQuery& query) const {
  auto range = check_query(query);
  if (!range) {
    return std::unexpected(std::move(range.error()));
  }
  // Visible records: one per version, a private registration hiding the public one.
  std::vector<CapabilityRecordPtr> visible;
  {
    std::shared_lock lock(state_->mutex);
    visible = state_->records.visible_versions(query.capability_id, query.scope);
  }
  if (visible.empty()) {
    return std::unexpected(error(
        RegistryErrorCode::NotFound,
        "capability " + query.capability_id + " is not registered (" + scope_text(query) + ")"));
  }
  std::sort(visible.begin(), visible.end(), by_precedence);
  return query.version ? pick_exact(visible, query) : pick_in_range(visible, query, *range);
}

std::expected<CapabilityRecordPtr, RegistryError> CapabilityRegistry::find_exact(
    std::string_view id, std::string_view version, LookupScope scope) const {
  return resolve(CapabilityQuery{std::string(id), std::string(version), std::nullopt, scope, true});
}

std::expected<CapabilityRecordPtr, RegistryError> CapabilityRegistry::find_in_range(
    std::string_view id, std::string_view range, LookupScope scope) const {
  return resolve(CapabilityQuery{std::string(id), std::nullopt, std::string(range), scope, true});
}

std::expected<CapabilityRecordPtr, RegistryError> CapabilityRegistry::find_by_id(
    std::string_view id, LookupScope scope) const {
  return resolve(CapabilityQuery{std::string(id), std::nullopt, std::nullopt, scope, true});
}

std::vector<CapabilityRecordPtr> CapabilityRegistry::list() const {
  std::vector<CapabilityRecordPtr> records;
  {
    std::shared_lock lock(state_->mutex);
    records = state_->records.all();
  }
  VersionedStore<CapabilityRecord>::sort_for_listing(records);
  return records;
}

std::size_t CapabilityRegistry::size() const {
  std::shared_lock lock(state_->mutex);
  return state_->records.size();
}

}  // namespace traverse
