#include "traverse/contracts/capability_contract.hpp"

#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "document_reader.hpp"
#include "traverse/contracts/semver.hpp"

namespace traverse {
namespace {

using contracts_detail::child_path;
using contracts_detail::DocumentReader;
using contracts_detail::index_path;
using contracts_detail::is_blank;
using contracts_detail::type_name;

const std::vector<std::string_view> kBannedCapabilityWording = {
    "utility function", "helper function",  "crud wrapper", "transport handler",
    "database insert",  "full application", "subsystem"};

// preconditions / postconditions: [{id, description}], ids unique.
void read_conditions(DocumentReader& reader, const Value& document, std::string_view key) {
  const Value* conditions = reader.required_array(document, key, "$");
  if (conditions == nullptr) {
    return;
  }
  const std::string path = child_path("$", key);
  std::vector<std::pair<std::string, std::string>> ids;
  for (std::size_t i = 0; i < conditions->size(); ++i) {
    const Value& item = (*conditions)[i];
    const std::string item_path = index_path(path, i);
    if (!item.is_object()) {
      reader.add("InvalidType", item_path,
                 "expected object, found " + std::string(type_name(item)));
      continue;
    }
    const auto id = reader.required_string(item, "id", item_path);
    reader.required_string(item, "description", item_path);
    if (id) {
      ids.emplace_back(*id, child_path(item_path, "id"));
    }
  }
  reader.check_unique_strings(ids, "condition id");
}

// permissions / policies: [{id}], ids non-empty and unique.
void read_id_list(DocumentReader& reader, const Value& document, std::string_view key) {
  const Value* items = reader.required_array(document, key, "$");
  if (items == nullptr) {
    return;
  }
  const std::string path = child_path("$", key);
  std::vector<std::pair<std::string, std::string>> ids;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    const std::string item_path = index_path(path, i);
    if (!item.is_object()) {
      reader.add("InvalidType", item_path,
                 "expected object, found " + std::string(type_name(item)));
      continue;
    }
    if (const auto id = reader.required_string(item, "id", item_path)) {
      ids.emplace_back(*id, child_path(item_path, "id"));
    }
  }
  reader.check_unique_strings(ids, std::string(key) + " id");
}

std::vector<EventReference> read_event_refs(DocumentReader& reader, const Value& document,
                                            std::string_view key) {
  std::vector<EventReference> out;
  const Value* items = reader.required_array(document, key, "$");
  if (items == nullptr) {
    return out;
  }
  for (auto& item :
       contracts_detail::read_id_version_list(reader, *items, child_path("$", key), "event_id")) {
    out.push_back(EventReference{std::move(item.id), std::move(item.version)});
  }
  return out;
}

std::vector<ExecutionTarget> read_targets(DocumentReader& reader, const Value& array,
                                          const std::string& path, bool unique) {
  std::vector<ExecutionTarget> out;
  std::map<ExecutionTarget, std::string> seen;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const Value& item = array[i];
    const std::string item_path = index_path(path, i);
    if (!item.is_string()) {
      reader.add("InvalidType", item_path,
                 "expected string, found " + std::string(type_name(item)));
      continue;
    }
    const auto& text = *item.get_ptr<const std::string*>();
    const auto target = parse_execution_target(text);
    if (!target) {
      reader.add(
          "InvalidLiteral", item_path,
          "\"" + text + "\" is not one of: local | browser | edge | cloud | worker | device");
      continue;
    }
    const auto [it, inserted] = seen.emplace(*target, item_path);
    if (!inserted && unique) {
      reader.add("DuplicateItem", item_path,
                 "duplicate target \"" + text + "\" (first at " + it->second + ")");
      continue;
    }
    out.push_back(*target);
  }
  return out;
}

void read_execution(DocumentReader& reader, const Value& document, CapabilityContract& contract) {
  const Value* execution = reader.required_object(document, "execution", "$");
  if (execution == nullptr) {
    return;
  }
  const std::string path = "$.execution";
  if (auto format = reader.required_enum(*execution, "binary_format", path, {"wasm"})) {
    contract.binary_format = std::move(*format);
  }
  if (const Value* entrypoint = reader.required_object(*execution, "entrypoint", path)) {
    const std::string entry_path = path + ".entrypoint";
    if (auto kind = reader.required_enum(*entrypoint, "kind", entry_path, {"wasi-command"})) {
      contract.entrypoint_kind = std::move(*kind);
    }
    if (auto command = reader.required_string(*entrypoint, "command", entry_path)) {
      contract.entrypoint_command = std::move(*command);
    }
  }
  if (const Value* preferred = reader.required_array(*execution, "preferred_targets", path)) {
    if (preferred->empty()) {
      reader.add("MissingRequiredField", path + ".preferred_targets",
                 "preferred_targets must name at least one target");
    }
    contract.preferred_targets =
        read_targets(reader, *preferred, path + ".preferred_targets", true);
  }
  if (const Value* constraints = reader.required_object(*execution, "constraints", path)) {
    const std::string c_path = path + ".constraints";
    if (auto v = reader.required_enum(*constraints, "host_api_access", c_path,
                                      {"none", "exception_required"})) {
      contract.constraints.host_api_access = std::move(*v);
    }
    if (auto v = reader.required_enum(*constraints, "network_access", c_path,
                                      {"forbidden", "required"})) {
      contract.constraints.network_access = std::move(*v);
    }
    if (auto v = reader.required_enum(*constraints, "filesystem_access", c_path,
                                      {"none", "sandbox_only"})) {
      contract.constraints.filesystem_access = std::move(*v);
    }
  }
}

void read_side_effects(DocumentReader& reader, const Value& document) {
  const Value* effects = reader.required_array(document, "side_effects", "$");
  if (effects == nullptr) {
    return;
  }
  if (effects->empty()) {
    reader.add("MissingRequiredField", "$.side_effects",
               "side_effects must declare at least one entry (use kind \"none\")");
  }
  for (std::size_t i = 0; i < effects->size(); ++i) {
    const Value& item = (*effects)[i];
    const std::string item_path = index_path("$.side_effects", i);
    if (!item.is_object()) {
      reader.add("InvalidType", item_path,
                 "expected object, found " + std::string(type_name(item)));
      continue;
    }
    reader.required_enum(
        item, "kind", item_path,
        {"none", "memory_only", "event_emission", "external_call", "state_change"});
    reader.required_string(item, "description", item_path);
  }
}

void read_dependencies(DocumentReader& reader, const Value& document) {
  const Value* deps = reader.required_array(document, "dependencies", "$");
  if (deps == nullptr) {
    return;
  }
  std::map<std::tuple<std::string, std::string, std::string>, std::string> seen;
  for (std::size_t i = 0; i < deps->size(); ++i) {
    const Value& item = (*deps)[i];
    const std::string item_path = index_path("$.dependencies", i);
    if (!item.is_object()) {
      reader.add("InvalidType", item_path,
                 "expected object, found " + std::string(type_name(item)));
      continue;
    }
    const auto type =
        reader.required_enum(item, "artifact_type", item_path, {"capability", "event", "policy"});
    const auto id = reader.required_string(item, "id", item_path);
    const auto version = reader.required_semver(item, "version", item_path);
    if (type && id && version) {
      const auto [it, inserted] = seen.emplace(std::make_tuple(*type, *id, *version), item_path);
      if (!inserted) {
        reader.add("DuplicateItem", item_path,
                   "duplicate dependency " + *type + " " + *id + "@" + *version + " (first at " +
                       it->second + ")");
      }
    }
  }
}

void read_connector_requirements(DocumentReader& reader, const Value& document) {
  const Value* items = reader.optional_array(document, "connector_requirements", "$");
  if (items == nullptr) {
    return;
  }
  std::map<std::pair<std::string, std::string>, std::string> seen;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    const std::string item_path = index_path("$.connector_requirements", i);
    if (!item.is_object()) {
      reader.add("InvalidType", item_path,
                 "expected object, found " + std::string(type_name(item)));
      continue;
    }
    const auto id = reader.required_string(item, "connector_id", item_path);
    auto range = reader.required_string(item, "version", item_path);
    if (range && !SemVerRange::parse(*range)) {
      reader.add("InvalidVersionRange", item_path + ".version",
                 "\"" + *range + "\" is not a semantic version range (e.g. \"^1.2\")");
      range.reset();
    }
    if (id && range) {
      const auto [it, inserted] = seen.emplace(std::make_pair(*id, *range), item_path);
      if (!inserted) {
        reader.add("DuplicateItem", item_path,
                   "duplicate connector requirement " + *id + " " + *range + " (first at " +
                       it->second + ")");
      }
    }
  }
}

void read_provenance(DocumentReader& reader, const Value& document, CapabilityContract& contract) {
  const Value* provenance = reader.required_object(document, "provenance", "$");
  if (provenance == nullptr) {
    return;
  }
  const std::string path = "$.provenance";
  reader.required_enum(*provenance, "source", path,
                       {"greenfield", "brownfield-extracted", "ai-generated", "ai-assisted"});
  reader.required_string(*provenance, "author", path);
  reader.required_string(*provenance, "created_at", path);
  if (const auto spec_ref = reader.optional_string(*provenance, "spec_ref", path)) {
    if (is_blank(*spec_ref)) {
      reader.add("MissingRequiredField", path + ".spec_ref",
                 "spec_ref must be non-empty when present");
    }
  }
  for (const std::string_view key : {"adr_refs", "exception_refs"}) {
    const Value* refs = reader.optional_array(*provenance, key, path);
    if (refs == nullptr) {
      continue;
    }
    const std::string refs_path = child_path(path, key);
    const auto values = reader.string_array(*refs, refs_path, true);
    std::vector<std::pair<std::string, std::string>> items;
    for (std::size_t i = 0; i < refs->size(); ++i) {
      const Value& ref = (*refs)[i];
      if (ref.is_string() && !is_blank(*ref.get_ptr<const std::string*>())) {
        items.emplace_back(*ref.get_ptr<const std::string*>(), index_path(refs_path, i));
      }
    }
    reader.check_unique_strings(items, std::string(key.substr(0, key.size() - 1)));
    if (key == "exception_refs") {
      contract.exception_refs = values;
    }
  }
}

void read_evidence(DocumentReader& reader, const Value& document) {
  const Value* evidence = reader.required_array(document, "evidence", "$");
  if (evidence == nullptr) {
    return;
  }
  std::vector<std::pair<std::string, std::string>> ids;
  for (std::size_t i = 0; i < evidence->size(); ++i) {
    const Value& item = (*evidence)[i];
    const std::string item_path = index_path("$.evidence", i);
    if (!item.is_object()) {
      reader.add("InvalidType", item_path,
                 "expected object, found " + std::string(type_name(item)));
      continue;
    }
    const auto id = reader.required_string(item, "evidence_id", item_path);
    reader.required_enum(item, "type", item_path,
                         {"spec_alignment", "contract_validation", "compatibility"});
    reader.required_enum(item, "status", item_path, {"passed", "failed", "superseded"});
    if (id) {
      ids.emplace_back(*id, item_path + ".evidence_id");
    }
  }
  reader.check_unique_strings(ids, "evidence id");
}

void read_use_cases(DocumentReader& reader, const Value& document) {
  const Value* use_cases = reader.optional_array(document, "use_cases", "$");
  if (use_cases == nullptr) {
    return;
  }
  for (std::size_t i = 0; i < use_cases->size(); ++i) {
    const Value& item = (*use_cases)[i];
    const std::string item_path = index_path("$.use_cases", i);
    if (!item.is_object()) {
      reader.add("InvalidType", item_path,
                 "expected object, found " + std::string(type_name(item)));
      continue;
    }
    reader.required_string(item, "scenario", item_path);
    reader.required(item, "input_example", item_path);
    reader.required(item, "output_example", item_path);
    reader.required_bool(item, "happy", item_path);
    reader.optional_string(item, "persona_ref", item_path);
  }
}

std::optional<WorkflowRef> read_workflow_ref_object(DocumentReader& reader, const Value& ref,
                                                    const std::string& path) {
  if (!ref.is_object()) {
    reader.add("InvalidType", path, "expected object, found " + std::string(type_name(ref)));
    return std::nullopt;
  }
  auto id = reader.required_string(ref, "workflow_id", path);
  auto version = reader.required_semver(ref, "workflow_version", path);
  if (!id || !version) {
    return std::nullopt;
  }
  return WorkflowRef{std::move(*id), std::move(*version)};
}

// `composability.implementation_kind == "workflow"` with `composability.workflow_ref` (or a
// top-level `workflow_ref`).
void read_composability(DocumentReader& reader, const Value& document,
                        CapabilityContract& contract) {
  const Value* composability = reader.optional_object(document, "composability", "$");
  std::optional<std::string> kind;
  if (composability != nullptr) {
    kind = reader.optional_string(*composability, "implementation_kind", "$.composability");
  }
  const Value* nested =
      composability != nullptr ? DocumentReader::find(*composability, "workflow_ref") : nullptr;
  const Value* top = DocumentReader::find(document, "workflow_ref");
  if (nested != nullptr && nested->is_null()) {
    nested = nullptr;
  }
  if (top != nullptr && top->is_null()) {
    top = nullptr;
  }
  if (kind != "workflow") {
    return;
  }
  if (nested == nullptr && top == nullptr) {
    reader.add("MissingRequiredField", "$.composability.workflow_ref",
               "a workflow-backed capability (implementation_kind \"workflow\") needs "
               "workflow_ref {workflow_id, workflow_version}");
    return;
  }
  if (nested != nullptr) {
    contract.workflow_ref =
        read_workflow_ref_object(reader, *nested, "$.composability.workflow_ref");
  } else {
    contract.workflow_ref = read_workflow_ref_object(reader, *top, "$.workflow_ref");
  }
}

// artifact_type, state_schema, and service_type (default stateless) with its event trigger.
void read_service_shape(DocumentReader& reader, const Value& document,
                        CapabilityContract& contract) {
  if (auto artifact_type = reader.optional_string(document, "artifact_type", "$")) {
    contract.artifact_type = std::move(*artifact_type);
  }
  if (const Value* state_schema = DocumentReader::find(document, "state_schema");
      state_schema != nullptr && !state_schema->is_null() && !state_schema->is_object()) {
    reader.add("InvalidType", "$.state_schema",
               "a JSON Schema object is expected, found " + std::string(type_name(*state_schema)));
  }
  if (const auto text = reader.optional_string(document, "service_type", "$")) {
    if (const auto type = parse_service_type(*text)) {
      contract.service_type = *type;
    } else {
      reader.add("InvalidLiteral", "$.service_type",
                 "\"" + *text + "\" is not one of: stateless | subscribable | stateful");
    }
  }
  contract.event_trigger = reader.optional_string(document, "event_trigger", "$");
  if (contract.service_type == ServiceType::Subscribable &&
      (!contract.event_trigger || is_blank(*contract.event_trigger))) {
    reader.add("MissingEventTrigger", "$.event_trigger",
               "a subscribable capability must name a non-empty event_trigger");
  }
}

// permitted_targets (default: all six) and the placement rule for stateful capabilities.
void read_placement(DocumentReader& reader, const Value& document, CapabilityContract& contract) {
  if (const Value* permitted = reader.optional_array(document, "permitted_targets", "$")) {
    contract.permitted_targets = read_targets(reader, *permitted, "$.permitted_targets", false);
  } else {
    contract.permitted_targets = {ExecutionTarget::Local,  ExecutionTarget::Browser,
                                  ExecutionTarget::Edge,   ExecutionTarget::Cloud,
                                  ExecutionTarget::Worker, ExecutionTarget::Device};
  }
  if (contract.service_type == ServiceType::Stateful) {
    for (const auto target : contract.permitted_targets) {
      if (target == ExecutionTarget::Browser) {
        reader.add("InvalidPlacementConstraint", "$.permitted_targets",
                   "a stateful capability must not be permitted on the browser target");
        break;
      }
    }
  }
}

}  // namespace

std::expected<CapabilityContract, ValidationErrors> parse_capability_contract(
    const Value& document) {
  if (!document.is_object()) {
    return std::unexpected(contracts_detail::not_an_object(document, "a capability contract"));
  }
  DocumentReader reader;
  CapabilityContract contract;
  contract.document = document;

  reader.expect_literal(document, "kind", "$", "capability_contract");
  reader.expect_literal(document, "schema_version", "$", "1.0.0");

  contracts_detail::read_contract_header(reader, document, contract, kBannedCapabilityWording,
                                         "InvalidCapabilityBoundary");

  contracts_detail::read_io_schemas(reader, document, contract.input_schema,
                                    contract.output_schema);

  read_conditions(reader, document, "preconditions");
  read_conditions(reader, document, "postconditions");
  read_side_effects(reader, document);
  contract.emits = read_event_refs(reader, document, "emits");
  contract.consumes = read_event_refs(reader, document, "consumes");
  read_id_list(reader, document, "permissions");
  read_execution(reader, document, contract);
  read_id_list(reader, document, "policies");
  read_dependencies(reader, document);
  read_provenance(reader, document, contract);
  read_evidence(reader, document);
  read_connector_requirements(reader, document);
  read_use_cases(reader, document);
  read_composability(reader, document, contract);

  read_service_shape(reader, document, contract);
  read_placement(reader, document, contract);
  if (contract.constraints.host_api_access == "exception_required" &&
      contract.exception_refs.empty()) {
    reader.add("PortabilityExceptionRequired", "$.execution.constraints.host_api_access",
               "host_api_access \"exception_required\" needs at least one "
               "provenance.exception_refs entry");
  }
  if (!reader.ok()) {
    return std::unexpected(reader.take());
  }
  return contract;
}

std::expected<CapabilityContract, ValidationErrors> load_capability_contract(
    const std::filesystem::path& path) {
  return contracts_detail::load_and_parse(
      path, [](const Value& document) { return parse_capability_contract(document); });
}

}  // namespace traverse
