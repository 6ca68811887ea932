// Builders for registry tests: small capability contracts and workflows made in code, so the
// registry tests do not depend on artifact files.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/workflow_definition.hpp"
#include "traverse/json/value.hpp"

namespace traverse::registry_test {

inline Value object_schema(const Value& properties) {
  return Value{{"type", "object"}, {"properties", properties}};
}

inline CapabilityContract make_capability(const std::string& id, const std::string& version,
                                          Lifecycle lifecycle = Lifecycle::Active) {
  CapabilityContract c;
  c.id = id;
  const auto dot = id.rfind('.');
  c.namespace_name = dot == std::string::npos ? std::string("test") : id.substr(0, dot);
  c.name = dot == std::string::npos ? id : id.substr(dot + 1);
  c.version = version;
  c.lifecycle = lifecycle;
  c.owner = {"team-a", "team-a@example.com"};
  c.summary = "Summary of " + id;
  c.description = "A capability used by the registry unit tests.";
  c.input_schema = Value{{"type", "object"}};
  c.output_schema = Value{{"type", "object"}};
  c.permitted_targets = {ExecutionTarget::Local};
  c.preferred_targets = {ExecutionTarget::Local};
  c.document = Value{{"kind", "capability_contract"}, {"id", id}, {"version", version}};
  return c;
}

inline WorkflowNode make_node(std::string node_id, std::string capability_id,
                              std::string capability_version, std::vector<std::string> reads = {},
                              std::vector<std::string> writes = {}) {
  WorkflowNode node;
  node.node_id = std::move(node_id);
  node.capability_id = std::move(capability_id);
  node.capability_version = std::move(capability_version);
  node.from_workflow_input = std::move(reads);
  node.to_workflow_state = std::move(writes);
  return node;
}

inline WorkflowEdge direct_edge(std::string id, std::string from, std::string to) {
  WorkflowEdge edge;
  edge.edge_id = std::move(id);
  edge.from = std::move(from);
  edge.to = std::move(to);
  edge.trigger = EdgeTrigger::Direct;
  return edge;
}

inline WorkflowEdge event_edge(std::string id, std::string from, std::string to,
                               EventReference event) {
  WorkflowEdge edge = direct_edge(std::move(id), std::move(from), std::move(to));
  edge.trigger = EdgeTrigger::Event;
  edge.event = std::move(event);
  return edge;
}

// A workflow over `nodes` chained in order with direct edges (unless `edges` is given).
inline WorkflowDefinition make_workflow(const std::string& id, const std::string& version,
                                        std::vector<WorkflowNode> nodes,
                                        std::vector<WorkflowEdge> edges = {},
                                        Value input_schema = Value{{"type", "object"}}) {
  WorkflowDefinition w;
  w.schema_version = "1.0.0";
  w.id = id;
  w.name = id;
  w.version = version;
  w.lifecycle = Lifecycle::Active;
  w.owner = {"team-a", "team-a@example.com"};
  w.summary = "Workflow used by the registry unit tests";
  w.input_schema = std::move(input_schema);
  w.output_schema = Value{{"type", "object"}};
  if (edges.empty()) {
    for (std::size_t i = 1; i < nodes.size(); ++i) {
      edges.push_back(direct_edge("e" + std::to_string(i), nodes[i - 1].node_id, nodes[i].node_id));
    }
  }
  w.start_node = nodes.empty() ? std::string() : nodes.front().node_id;
  w.terminal_nodes = {nodes.empty() ? std::string() : nodes.back().node_id};
  w.nodes = std::move(nodes);
  w.edges = std::move(edges);
  w.document = Value{{"kind", "workflow_definition"}, {"id", id}, {"version", version}};
  return w;
}

}  // namespace traverse::registry_test
