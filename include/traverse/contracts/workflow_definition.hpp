// traverse/contracts/workflow_definition.hpp — a workflow (kind "workflow_definition").
//
// Parsing checks every *self-contained* rule of docs/workflows.md (literals, required fields,
// uniqueness, edge shapes, references between nodes, cycles, unreachable nodes, the 1.0.0 limit
// of one direct and one event edge per node) and the 1.1.0 extension of D7 (fan-out, joins; two
// parallel branches writing the same state key is an error). Rules that need the capability
// registry (node capabilities exist, event edges match `emits`, schema flow) are checked by
// WorkflowRegistry at registration. Value type; thread-compatible.
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "traverse/contracts/validation_error.hpp"
#include "traverse/contracts/vocabulary.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

struct WorkflowNode {
  std::string node_id;
  std::string capability_id;
  std::string capability_version;
  std::vector<std::string> from_workflow_input;  // input.from_workflow_input
  std::vector<std::string> to_workflow_state;    // output.to_workflow_state
  std::optional<std::string> publish_to_state_as;
};

enum class EdgeTrigger { Direct, Event };

struct EdgePredicate {
  std::string field;
  Value equals;
};

struct WorkflowEdge {
  std::string edge_id;
  std::string from;
  std::string to;
  EdgeTrigger trigger = EdgeTrigger::Direct;
  std::optional<EventReference> event;
  std::optional<EdgePredicate> predicate;
};

struct WorkflowDefinition {
  std::string schema_version;  // "1.0.0" (reference) or "1.1.0" (parallel extension, D7)
  std::string id;
  std::string name;
  std::string version;
  Lifecycle lifecycle = Lifecycle::Draft;
  Owner owner;
  std::string summary;
  Value input_schema = Value::object();
  Value output_schema = Value::object();
  std::vector<WorkflowNode> nodes;
  std::vector<WorkflowEdge> edges;
  std::string start_node;
  std::vector<std::string> terminal_nodes;
  std::vector<std::string> output_projection;
  std::vector<std::string> tags;
  Value document;

  [[nodiscard]] std::string key() const { return id + "@" + version; }
  [[nodiscard]] bool is_parallel() const { return schema_version == "1.1.0"; }
  // The node with this id, or nullptr.
  [[nodiscard]] const WorkflowNode* find_node(std::string_view node_id) const;
};

// Bounds on one workflow's graph (exceeding one is a "LimitExceeded" error; the graph checks
// are then skipped, so validation stays bounded for hostile input).
inline constexpr std::size_t kMaxWorkflowNodes = 4096;
inline constexpr std::size_t kMaxWorkflowEdges = 16384;

// Error codes: MissingRequiredField, InvalidType, InvalidLiteral (kind, schema_version "1.0.0" or
// "1.1.0", governing_spec, lifecycle, trigger), InvalidSemver, DuplicateItem (node_id, edge_id,
// terminal_nodes, output_projection; in 1.0.0 also a second direct or event edge out of one
// node), InvalidEventEdge, InvalidStartNode, InvalidTerminalNode, InvalidEdgeReference,
// DeterministicCycleNotAllowed ($.edges), UnreachableNode ($.nodes[i], from start_node over all
// edges), ConflictingStateWrite (1.1.0: parallel nodes writing one state key), LimitExceeded.
[[nodiscard]] std::expected<WorkflowDefinition, ValidationErrors> parse_workflow_definition(
    const Value& document);
[[nodiscard]] std::expected<WorkflowDefinition, ValidationErrors> load_workflow_definition(
    const std::filesystem::path& path);

}  // namespace traverse
