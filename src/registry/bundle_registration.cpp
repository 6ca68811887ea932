#include "traverse/registry/bundle_registration.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "registry_internal.hpp"
#include "registry_state.hpp"
#include "traverse/registry/workflow_checks.hpp"

namespace traverse {
namespace {

// The one place that touches both registries' internals. Lock order, everywhere: the capability
// registry's mutex before the workflow registry's; no other code holds both.
//
// One commit, in named phases: stage the capability records (catching keys repeated inside the
// commit), stage the workflows (checked against the staged capabilities plus the registry), then
// under both locks check conflicts and capacity and insert everything — or nothing.
class RegistryCommit {
 public:
  static std::expected<BundleRegistration, ValidationErrors> run(
      const RegistryBundle& bundle, CapabilityRegistry& capabilities, WorkflowRegistry& workflows,
      const BundleRegistrationOptions& options);

 private:
  using Key = std::tuple<Scope, std::string, std::string>;
  struct StagedCapability {
    CapabilityRecordPtr record;
    std::string file;
    std::size_t first_index;  // index of the first bundle entry with the same key (itself if new)
  };
  struct StagedWorkflow {
    WorkflowRecordPtr record;
    std::string file;
    std::size_t first_index;
  };

  RegistryCommit(const RegistryBundle& bundle, CapabilityRegistry& capabilities,
                 WorkflowRegistry& workflows, const BundleRegistrationOptions& options)
      : bundle_(bundle),
        capabilities_(capabilities),
        capability_state_(registry_internal::StateAccess::of(capabilities)),
        workflow_state_(registry_internal::StateAccess::of(workflows)),
        options_(options),
        bundle_ref_(bundle.bundle_id + "@" + bundle.version) {}

  void stage_capabilities();
  void stage_capability(CapabilityRegistration registration, const std::string& file);
  void stage_workflows();
  // REQUIRES: both registries' mutexes held exclusively (also for the two below).
  void check_capabilities_locked();
  void check_workflows_locked();
  BundleRegistration insert_locked();

  static std::string file_of(const std::vector<BundleEntry>& entries, std::size_t i) {
    return i < entries.size() ? entries[i].path.string() : std::string();
  }

  const RegistryBundle& bundle_;
  const CapabilityRegistry& capabilities_;  // staged workflows see its records too
  registry_internal::CapabilityState& capability_state_;
  registry_internal::WorkflowState& workflow_state_;
  const BundleRegistrationOptions& options_;
  const std::string bundle_ref_;
  ValidationErrors errors_;
  std::vector<StagedCapability> staged_capabilities_;
  std::map<Key, std::size_t> capability_index_;  // key → first staged index
  std::vector<StagedWorkflow> staged_workflows_;
  std::map<Key, std::size_t> workflow_index_;
  std::vector<RegistrationStatus> capability_status_;
  std::vector<RegistrationStatus> workflow_status_;
};

std::expected<BundleRegistration, ValidationErrors> RegistryCommit::run(
    const RegistryBundle& bundle, CapabilityRegistry& capabilities, WorkflowRegistry& workflows,
    const BundleRegistrationOptions& options) {
  RegistryCommit commit(bundle, capabilities, workflows, options);
  commit.stage_capabilities();
  commit.stage_workflows();

  // Checking again under the exclusive locks makes the result atomic even against concurrent
  // registrations; nothing staged depends on state that can change (registries only grow).
  std::unique_lock capability_lock(commit.capability_state_.mutex);
  std::unique_lock workflow_lock(commit.workflow_state_.mutex);
  commit.check_capabilities_locked();
  commit.check_workflows_locked();
  if (!commit.errors_.empty()) {
    return std::unexpected(std::move(commit.errors_));
  }
  // The last step that may fail: the caller's own part of the commit (e.g. the bundle's events).
  if (options.before_commit) {
    if (ValidationErrors refused = options.before_commit(); !refused.empty()) {
      return std::unexpected(std::move(refused));
    }
  }
  return commit.insert_locked();
}

// Builds every capability record: the bundle's, then the additional ones.
void RegistryCommit::stage_capabilities() {
  for (std::size_t i = 0; i < bundle_.capabilities.size(); ++i) {
    const CapabilityContract& contract = bundle_.capabilities[i];
    const std::string origin =
        "bundle:" + bundle_.bundle_id + ":" + contract.id + ":" + contract.version;
    ArtifactReference artifact = options_.artifact_for ? options_.artifact_for(contract, bundle_)
                                                       : default_artifact_for(contract, origin);
    if (artifact.origin.empty()) {
      artifact.origin = origin;
    }
    stage_capability(CapabilityRegistration{bundle_.scope, contract, std::move(artifact)},
                     file_of(bundle_.capability_entries, i));
  }
  for (const CapabilityRegistration& registration : options_.additional_capabilities) {
    stage_capability(registration, registration.artifact.origin);
  }
}

void RegistryCommit::stage_capability(CapabilityRegistration registration,
                                      const std::string& file) {
  const std::string key_text = registration.contract.key();
  const Key key{registration.scope, registration.contract.id, registration.contract.version};
  auto record = registry_internal::make_capability_record(std::move(registration));
  if (!record) {
    errors_.push_back(
        {std::string(to_string(record.error().kind())), "$", record.error().message(), file});
    return;
  }
  auto [it, inserted] = capability_index_.emplace(key, staged_capabilities_.size());
  std::size_t first = staged_capabilities_.size();
  if (!inserted) {
    const auto& earlier = staged_capabilities_[it->second].record;
    if (earlier->fingerprint != (*record)->fingerprint ||
        !earlier->artifact.same_implementation((*record)->artifact)) {
      errors_.push_back({"ImmutableVersionConflict", "$",
                         "capability " + key_text + " appears twice in bundle " + bundle_ref_ +
                             " with different content",
                         file});
      return;
    }
    first = it->second;
  }
  staged_capabilities_.push_back({std::move(*record), file, first});
}

// Workflows: the registry-dependent rules, against the staged capabilities plus the registry.
void RegistryCommit::stage_workflows() {
  const CapabilityResolver resolve =
      [this](std::string_view id,
             std::string_view version) -> std::shared_ptr<const CapabilityContract> {
    for (const Scope scope : registry_internal::scopes_for(lookup_scope_for(bundle_.scope))) {
      auto staged = capability_index_.find(Key{scope, std::string(id), std::string(version)});
      if (staged != capability_index_.end()) {
        const auto& record = staged_capabilities_[staged->second].record;
        return std::shared_ptr<const CapabilityContract>(record, &record->contract);
      }
      if (auto record = capabilities_.get(scope, id, version)) {
        return std::shared_ptr<const CapabilityContract>(record, &record->contract);
      }
    }
    return nullptr;
  };
  for (std::size_t i = 0; i < bundle_.workflows.size(); ++i) {
    const WorkflowDefinition& workflow = bundle_.workflows[i];
    const std::string file = file_of(bundle_.workflow_entries, i);
    ValidationErrors found = check_workflow_against_capabilities(workflow, resolve);
    auto record = WorkflowRegistry::make_record(
        bundle_.scope, workflow,
        "bundle:" + bundle_.bundle_id + ":" + workflow.id + ":" + workflow.version);
    if (!record) {
      found.insert(found.end(), record.error().begin(), record.error().end());
    }
    if (!found.empty()) {
      attach_file(found, file);
      errors_.insert(errors_.end(), found.begin(), found.end());
      continue;
    }
    const Key key{bundle_.scope, workflow.id, workflow.version};
    auto [it, inserted] = workflow_index_.emplace(key, staged_workflows_.size());
    std::size_t first = staged_workflows_.size();
    if (!inserted) {
      if (staged_workflows_[it->second].record->fingerprint != (*record)->fingerprint) {
        errors_.push_back({"ImmutableVersionConflict", "$",
                           "workflow " + workflow.key() + " appears twice in bundle " +
                               bundle_ref_ + " with different content",
                           file});
        continue;
      }
      first = it->second;
    }
    staged_workflows_.push_back({std::move(*record), file, first});
  }
}

// Conflicts with what is registered, then the registry's capacity for what is new.
void RegistryCommit::check_capabilities_locked() {
  capability_status_.assign(staged_capabilities_.size(), RegistrationStatus::AlreadyRegistered);
  std::size_t new_capabilities = 0;
  for (std::size_t i = 0; i < staged_capabilities_.size(); ++i) {
    const auto& staged = staged_capabilities_[i];
    if (staged.first_index != i) {
      continue;  // a repeat of an earlier entry: same status as that one
    }
    auto status = capability_state_.check_locked(*staged.record);
    if (!status) {
      if (status.error().kind() == RegistryErrorCode::CapacityExceeded) {
        // New, but no room: counted here, reported once by the aggregate check below.
        capability_status_[i] = RegistrationStatus::Registered;
        ++new_capabilities;
      } else {
        errors_.push_back({std::string(to_string(status.error().kind())), "$",
                           status.error().message(), staged.file});
      }
      continue;
    }
    capability_status_[i] = *status;
    if (*status == RegistrationStatus::Registered) {
      ++new_capabilities;
    }
  }
  if (capability_state_.records.size() + new_capabilities > capability_state_.limits.max_records) {
    errors_.push_back({"CapacityExceeded", "$",
                       "bundle " + bundle_ref_ + " adds " + std::to_string(new_capabilities) +
                           " capabilities but the capability registry holds " +
                           std::to_string(capability_state_.records.size()) + " of at most " +
                           std::to_string(capability_state_.limits.max_records),
                       bundle_.manifest_path.string()});
  }
}

void RegistryCommit::check_workflows_locked() {
  workflow_status_.assign(staged_workflows_.size(), RegistrationStatus::AlreadyRegistered);
  std::size_t new_workflows = 0;
  for (std::size_t i = 0; i < staged_workflows_.size(); ++i) {
    const auto& staged = staged_workflows_[i];
    if (staged.first_index != i) {
      continue;
    }
    auto status = workflow_state_.check_locked(*staged.record);
    if (!status) {
      if (status.error().kind() == ValidationErrorKind::CapacityExceeded) {
        workflow_status_[i] = RegistrationStatus::Registered;
        ++new_workflows;
      } else {
        ValidationError e = std::move(status.error());
        e.set_file(staged.file);
        errors_.push_back(std::move(e));
      }
      continue;
    }
    workflow_status_[i] = *status;
    if (*status == RegistrationStatus::Registered) {
      ++new_workflows;
    }
  }
  if (workflow_state_.records.size() + new_workflows > workflow_state_.limits.max_records) {
    errors_.push_back({"CapacityExceeded", "$",
                       "bundle " + bundle_ref_ + " adds " + std::to_string(new_workflows) +
                           " workflows but the workflow registry holds " +
                           std::to_string(workflow_state_.records.size()) + " of at most " +
                           std::to_string(workflow_state_.limits.max_records),
                       bundle_.manifest_path.string()});
  }
}

// Inserts what is new; reports what was registered already. Cannot fail.
BundleRegistration RegistryCommit::insert_locked() {
  BundleRegistration result;
  result.capabilities.reserve(staged_capabilities_.size());
  for (std::size_t i = 0; i < staged_capabilities_.size(); ++i) {
    const auto& staged = staged_capabilities_[i];
    const CapabilityRecord& record = *staged.record;
    if (staged.first_index == i && capability_status_[i] == RegistrationStatus::Registered) {
      capability_state_.insert_locked(staged.record);
      result.capabilities.push_back({staged.record, RegistrationStatus::Registered});
    } else {
      result.capabilities.push_back(
          {capability_state_.find_locked(record.scope, record.contract.id, record.contract.version),
           RegistrationStatus::AlreadyRegistered});
    }
  }
  result.workflows.reserve(staged_workflows_.size());
  for (std::size_t i = 0; i < staged_workflows_.size(); ++i) {
    const auto& staged = staged_workflows_[i];
    const WorkflowRecord& record = *staged.record;
    if (staged.first_index == i && workflow_status_[i] == RegistrationStatus::Registered) {
      workflow_state_.insert_locked(staged.record);
      result.workflows.push_back({staged.record, RegistrationStatus::Registered});
    } else {
      result.workflows.push_back({workflow_state_.find_locked(record.scope, record.definition.id,
                                                              record.definition.version),
                                  RegistrationStatus::AlreadyRegistered});
    }
  }
  result.events = bundle_.events;
  return result;
}

}  // namespace

std::expected<BundleRegistration, ValidationErrors> register_bundle(
    const RegistryBundle& bundle, CapabilityRegistry& capabilities, WorkflowRegistry& workflows,
    const BundleRegistrationOptions& options) {
  return RegistryCommit::run(bundle, capabilities, workflows, options);
}

std::expected<CapabilityRegistrationResult, RegistryError> register_package(
    const CapabilityPackage& package, CapabilityRegistry& capabilities) {
  return capabilities.register_capability(Scope::Public, package.contract,
                                          ArtifactReference::from_package(package));
}

}  // namespace traverse
