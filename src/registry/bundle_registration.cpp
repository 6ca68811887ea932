#include "traverse/registry/bundle_registration.hpp"

#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <utility>

#include "registry_internal.hpp"
#include "traverse/registry/workflow_checks.hpp"

namespace traverse {
namespace detail {

// The one place that touches both registries' internals. Lock order, everywhere: the capability
// registry's mutex before the workflow registry's; no other code holds both.
class RegistryCommit {
 public:
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

  static std::expected<BundleRegistration, ValidationErrors> run(
      const RegistryBundle& bundle, CapabilityRegistry& capabilities, WorkflowRegistry& workflows,
      const BundleRegistrationOptions& options);

 private:
  using Key = std::tuple<Scope, std::string, std::string>;
};

std::expected<BundleRegistration, ValidationErrors> RegistryCommit::run(
    const RegistryBundle& bundle, CapabilityRegistry& capabilities, WorkflowRegistry& workflows,
    const BundleRegistrationOptions& options) {
  ValidationErrors errors;
  const std::string bundle_ref = bundle.bundle_id + "@" + bundle.version;
  auto file_of = [](const std::vector<BundleEntry>& entries, std::size_t i) {
    return i < entries.size() ? entries[i].path.string() : std::string();
  };

  // 1. Build every capability record (the bundle's, then the additional ones); catch keys
  // repeated inside the commit.
  std::vector<StagedCapability> staged_capabilities;
  std::map<Key, std::size_t> capability_index;  // key → first staged index
  const auto stage = [&](CapabilityRegistration registration, const std::string& file) {
    const std::string key_text = registration.contract.key();
    const Key key{registration.scope, registration.contract.id, registration.contract.version};
    auto record = CapabilityRegistry::make_record(std::move(registration));
    if (!record) {
      errors.push_back(
          {std::string(to_string(record.error().code)), "$", record.error().message, file});
      return;
    }
    auto [it, inserted] = capability_index.emplace(key, staged_capabilities.size());
    std::size_t first = staged_capabilities.size();
    if (!inserted) {
      const auto& earlier = staged_capabilities[it->second].record;
      if (earlier->fingerprint != (*record)->fingerprint ||
          !earlier->artifact.same_implementation((*record)->artifact)) {
        errors.push_back({"ImmutableVersionConflict", "$",
                          "capability " + key_text + " appears twice in bundle " + bundle_ref +
                              " with different content",
                          file});
        return;
      }
      first = it->second;
    }
    staged_capabilities.push_back({std::move(*record), file, first});
  };
  for (std::size_t i = 0; i < bundle.capabilities.size(); ++i) {
    const CapabilityContract& contract = bundle.capabilities[i];
    const std::string origin =
        "bundle:" + bundle.bundle_id + ":" + contract.id + ":" + contract.version;
    ArtifactReference artifact = options.artifact_for ? options.artifact_for(contract, bundle)
                                                      : default_artifact_for(contract, origin);
    if (artifact.origin.empty()) {
      artifact.origin = origin;
    }
    stage(CapabilityRegistration{bundle.scope, contract, std::move(artifact)},
          file_of(bundle.capability_entries, i));
  }
  for (const CapabilityRegistration& registration : options.additional_capabilities) {
    stage(registration, registration.artifact.origin);
  }

  // 2. Workflows: registry-dependent rules against the bundle's capabilities plus the registry.
  const CapabilityResolver resolve =
      [&](std::string_view id,
          std::string_view version) -> std::shared_ptr<const CapabilityContract> {
    for (const Scope scope : registry_internal::scopes_for(lookup_scope_for(bundle.scope))) {
      auto staged = capability_index.find(Key{scope, std::string(id), std::string(version)});
      if (staged != capability_index.end()) {
        const auto& record = staged_capabilities[staged->second].record;
        return std::shared_ptr<const CapabilityContract>(record, &record->contract);
      }
      if (auto record = capabilities.get(scope, id, version)) {
        return std::shared_ptr<const CapabilityContract>(record, &record->contract);
      }
    }
    return nullptr;
  };
  std::vector<StagedWorkflow> staged_workflows;
  std::map<Key, std::size_t> workflow_index;
  for (std::size_t i = 0; i < bundle.workflows.size(); ++i) {
    const WorkflowDefinition& workflow = bundle.workflows[i];
    const std::string file = file_of(bundle.workflow_entries, i);
    ValidationErrors found = check_workflow_against_capabilities(workflow, resolve);
    auto record = WorkflowRegistry::make_record(
        bundle.scope, workflow,
        "bundle:" + bundle.bundle_id + ":" + workflow.id + ":" + workflow.version);
    if (!record) {
      found.insert(found.end(), record.error().begin(), record.error().end());
    }
    if (!found.empty()) {
      attach_file(found, file);
      errors.insert(errors.end(), found.begin(), found.end());
      continue;
    }
    const Key key{bundle.scope, workflow.id, workflow.version};
    auto [it, inserted] = workflow_index.emplace(key, staged_workflows.size());
    std::size_t first = staged_workflows.size();
    if (!inserted) {
      if (staged_workflows[it->second].record->fingerprint != (*record)->fingerprint) {
        errors.push_back({"ImmutableVersionConflict", "$",
                          "workflow " + workflow.key() + " appears twice in bundle " + bundle_ref +
                              " with different content",
                          file});
        continue;
      }
      first = it->second;
    }
    staged_workflows.push_back({std::move(*record), file, first});
  }

  // 3. Under both locks: conflicts with what is registered, capacity, then insert everything.
  // Checking again under the exclusive locks makes the result atomic even against concurrent
  // registrations; nothing above depends on state that can change (registries only grow).
  std::unique_lock capability_lock(capabilities.mutex_);
  std::unique_lock workflow_lock(workflows.mutex_);
  std::vector<RegistrationStatus> capability_status(staged_capabilities.size(),
                                                    RegistrationStatus::AlreadyRegistered);
  std::size_t new_capabilities = 0;
  for (std::size_t i = 0; i < staged_capabilities.size(); ++i) {
    const auto& staged = staged_capabilities[i];
    if (staged.first_index != i) {
      continue;  // a repeat of an earlier entry: same status as that one
    }
    auto status = capabilities.check_locked(*staged.record);
    if (!status) {
      if (status.error().code == RegistryErrorCode::CapacityExceeded) {
        // New, but no room: counted here, reported once by the aggregate check below.
        capability_status[i] = RegistrationStatus::Registered;
        ++new_capabilities;
      } else {
        errors.push_back({std::string(to_string(status.error().code)), "$", status.error().message,
                          staged.file});
      }
      continue;
    }
    capability_status[i] = *status;
    if (*status == RegistrationStatus::Registered) {
      ++new_capabilities;
    }
  }
  if (capabilities.record_count_ + new_capabilities > capabilities.limits_.max_records) {
    errors.push_back({"CapacityExceeded", "$",
                      "bundle " + bundle_ref + " adds " + std::to_string(new_capabilities) +
                          " capabilities but the capability registry holds " +
                          std::to_string(capabilities.record_count_) + " of at most " +
                          std::to_string(capabilities.limits_.max_records),
                      bundle.manifest_path.string()});
  }
  std::vector<RegistrationStatus> workflow_status(staged_workflows.size(),
                                                  RegistrationStatus::AlreadyRegistered);
  std::size_t new_workflows = 0;
  for (std::size_t i = 0; i < staged_workflows.size(); ++i) {
    const auto& staged = staged_workflows[i];
    if (staged.first_index != i) {
      continue;
    }
    auto status = workflows.check_locked(*staged.record);
    if (!status) {
      if (status.error().kind() == ValidationErrorKind::CapacityExceeded) {
        workflow_status[i] = RegistrationStatus::Registered;
        ++new_workflows;
      } else {
        ValidationError e = std::move(status.error());
        e.file = staged.file;
        errors.push_back(std::move(e));
      }
      continue;
    }
    workflow_status[i] = *status;
    if (*status == RegistrationStatus::Registered) {
      ++new_workflows;
    }
  }
  if (workflows.record_count_ + new_workflows > workflows.limits_.max_records) {
    errors.push_back({"CapacityExceeded", "$",
                      "bundle " + bundle_ref + " adds " + std::to_string(new_workflows) +
                          " workflows but the workflow registry holds " +
                          std::to_string(workflows.record_count_) + " of at most " +
                          std::to_string(workflows.limits_.max_records),
                      bundle.manifest_path.string()});
  }
  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }
  // The last step that may fail: the caller's own part of the commit (e.g. the bundle's events).
  if (options.before_commit) {
    if (ValidationErrors refused = options.before_commit(); !refused.empty()) {
      return std::unexpected(std::move(refused));
    }
  }

  BundleRegistration result;
  result.capabilities.reserve(staged_capabilities.size());
  for (std::size_t i = 0; i < staged_capabilities.size(); ++i) {
    const auto& staged = staged_capabilities[i];
    const CapabilityRecord& record = *staged.record;
    if (staged.first_index == i && capability_status[i] == RegistrationStatus::Registered) {
      capabilities.insert_locked(staged.record);
      result.capabilities.push_back({staged.record, RegistrationStatus::Registered});
    } else {
      result.capabilities.push_back(
          {capabilities.find_locked(record.scope, record.contract.id, record.contract.version),
           RegistrationStatus::AlreadyRegistered});
    }
  }
  result.workflows.reserve(staged_workflows.size());
  for (std::size_t i = 0; i < staged_workflows.size(); ++i) {
    const auto& staged = staged_workflows[i];
    const WorkflowRecord& record = *staged.record;
    if (staged.first_index == i && workflow_status[i] == RegistrationStatus::Registered) {
      workflows.insert_locked(staged.record);
      result.workflows.push_back({staged.record, RegistrationStatus::Registered});
    } else {
      result.workflows.push_back(
          {workflows.find_locked(record.scope, record.definition.id, record.definition.version),
           RegistrationStatus::AlreadyRegistered});
    }
  }
  result.events = bundle.events;
  return result;
}

}  // namespace detail

std::expected<BundleRegistration, ValidationErrors> register_bundle(
    const RegistryBundle& bundle, CapabilityRegistry& capabilities, WorkflowRegistry& workflows,
    const BundleRegistrationOptions& options) {
  return detail::RegistryCommit::run(bundle, capabilities, workflows, options);
}

std::expected<CapabilityRegistrationResult, RegistryError> register_package(
    const CapabilityPackage& package, CapabilityRegistry& capabilities) {
  return capabilities.register_capability(Scope::Public, package.contract,
                                          ArtifactReference::from_package(package));
}

}  // namespace traverse
