// traverse/contracts/capability_contract.hpp — a capability's contract (kind
// "capability_contract").
//
// Parsing checks the document's shape and every reference validation rule of docs/formats.md,
// reporting all violations. The parsed struct keeps the fields the runtime uses; `document`
// keeps the whole JSON as read, for fields the runtime does not interpret.
// Value type; thread-compatible.
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "traverse/contracts/validation_error.hpp"
#include "traverse/contracts/vocabulary.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

struct ExecutionConstraints {
  std::string host_api_access = "none";      // none | exception_required
  std::string network_access = "forbidden";  // forbidden | required
  std::string filesystem_access = "none";    // none | sandbox_only
  friend bool operator==(const ExecutionConstraints&, const ExecutionConstraints&) = default;
};

// `composability.implementation_kind == "workflow"` plus `workflow_ref`: the capability runs a
// workflow instead of an artifact (docs/workflows.md "Workflow-backed capability").
struct WorkflowRef {
  std::string workflow_id;
  std::string workflow_version;
  friend bool operator==(const WorkflowRef&, const WorkflowRef&) = default;
};

struct CapabilityContract {
  std::string id;  // namespace + "." + name
  std::string namespace_name;
  std::string name;
  std::string version;  // semver
  Lifecycle lifecycle = Lifecycle::Draft;
  Owner owner;
  std::string summary;
  std::string description;
  Value input_schema = Value::object();   // inputs.schema
  Value output_schema = Value::object();  // outputs.schema
  std::vector<EventReference> emits;
  std::vector<EventReference> consumes;
  ServiceType service_type = ServiceType::Stateless;
  std::optional<std::string> event_trigger;
  // Defaults to all six targets when absent (reference default).
  std::vector<ExecutionTarget> permitted_targets;
  std::vector<ExecutionTarget> preferred_targets;  // execution.preferred_targets, in order
  std::string binary_format;                       // execution.binary_format ("wasm")
  std::string entrypoint_kind;                     // execution.entrypoint.kind ("wasi-command")
  std::string entrypoint_command;                  // execution.entrypoint.command
  ExecutionConstraints constraints;
  std::vector<std::string> exception_refs;  // provenance.exception_refs
  std::optional<WorkflowRef> workflow_ref;  // set for workflow-backed capabilities
  std::string artifact_type;                // optional top-level "artifact_type" (e.g. "native")
  Value document;                           // the whole contract as read

  // "id@version"
  [[nodiscard]] std::string key() const { return id + "@" + version; }
};

// Parses and validates a contract document. On failure every violation is returned (paths like
// "$.emits[1].version"); nothing is partially returned. Codes: MissingRequiredField (absent,
// null or blank; empty side_effects / preferred_targets), InvalidType, InvalidLiteral (literals
// and enum spellings), InvalidSemver, InvalidVersionRange (connector_requirements),
// InvalidIdentifier (name, namespace), InconsistentIdentity (id != namespace.name),
// InvalidLength (summary, description), DuplicateItem, InvalidCapabilityBoundary (banned
// wording), PortabilityExceptionRequired, InvalidPlacementConstraint, MissingEventTrigger.
[[nodiscard]] std::expected<CapabilityContract, ValidationErrors> parse_capability_contract(
    const Value& document);

// Reads, parses and validates a contract file; every error carries `file`. Unreadable file:
// code "IoError"; malformed JSON: code "InvalidJson" with line and column in the message.
[[nodiscard]] std::expected<CapabilityContract, ValidationErrors> load_capability_contract(
    const std::filesystem::path& path);

}  // namespace traverse
