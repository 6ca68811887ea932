#include "traverse/contracts/artifact.hpp"

#include <utility>

#include "document_reader.hpp"

namespace traverse {
namespace {

template <typename T>
std::expected<Artifact, ValidationErrors> widen(std::expected<T, ValidationErrors> result) {
  if (!result) {
    return std::unexpected(std::move(result.error()));
  }
  return Artifact{std::move(*result)};
}

template <typename T>
std::expected<Artifact, ValidationErrors> widen_with_file(std::expected<T, ValidationErrors> result,
                                                          const std::string& file) {
  if (!result) {
    attach_file(result.error(), file);
    return std::unexpected(std::move(result.error()));
  }
  return Artifact{std::move(*result)};
}

}  // namespace

std::string artifact_kind(const Artifact& artifact) {
  struct Visitor {
    std::string operator()(const CapabilityContract&) const { return "capability_contract"; }
    std::string operator()(const EventContract&) const { return "event_contract"; }
    std::string operator()(const WorkflowDefinition&) const { return "workflow_definition"; }
    std::string operator()(const RegistryBundle&) const { return "registry_bundle"; }
    std::string operator()(const CapabilityPackage&) const { return "capability_package"; }
    std::string operator()(const RuntimeRequest&) const { return "runtime_request"; }
  };
  return std::visit(Visitor{}, artifact);
}

std::expected<Artifact, ValidationErrors> load_artifact(const std::filesystem::path& path) {
  auto document = contracts_detail::read_json_document(path);
  if (!document) {
    return std::unexpected(std::move(document.error()));
  }
  const std::string file = path.string();
  const auto fail = [&](std::string code, std::string json_path, std::string message) {
    return std::unexpected(ValidationErrors{
        ValidationError{std::move(code), std::move(json_path), std::move(message), file}});
  };
  if (!document->is_object()) {
    return fail("InvalidType", "$",
                "a Traverse artifact must be a JSON object, found " +
                    std::string(contracts_detail::type_name(*document)));
  }
  const Value* kind = contracts_detail::DocumentReader::find(*document, "kind");
  if (kind == nullptr || kind->is_null()) {
    if (contracts_detail::DocumentReader::find(*document, "bundle_id") != nullptr) {
      return widen(load_registry_bundle(path));
    }
    return fail("MissingRequiredField", "$.kind",
                "required field 'kind' is missing (and no 'bundle_id' for a registry bundle)");
  }
  if (!kind->is_string()) {
    return fail("InvalidType", "$.kind",
                "expected string, found " + std::string(contracts_detail::type_name(*kind)));
  }
  const std::string& name = *kind->get_ptr<const std::string*>();
  if (name == "capability_contract") {
    return widen_with_file(parse_capability_contract(*document), file);
  }
  if (name == "event_contract") {
    return widen_with_file(parse_event_contract(*document), file);
  }
  if (name == "workflow_definition") {
    return widen_with_file(parse_workflow_definition(*document), file);
  }
  if (name == "runtime_request") {
    return widen_with_file(parse_runtime_request(*document), file);
  }
  if (name == "capability_package") {
    return widen(load_capability_package(path));
  }
  if (name == "registry_bundle") {
    return widen(load_registry_bundle(path));
  }
  return fail("UnknownArtifactKind", "$.kind",
              "\"" + name +
                  "\" is not a Traverse artifact kind (capability_contract, event_contract, "
                  "workflow_definition, capability_package, runtime_request, or a registry "
                  "bundle with bundle_id)");
}

}  // namespace traverse
