#include "traverse/registry/workflow_checks.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "registry_internal.hpp"

namespace traverse {
namespace {

using CapabilityPtr = std::shared_ptr<const CapabilityContract>;
// State key → the JSON Schema `type` it carries (nullopt when unknown).
using Available = std::map<std::string, std::optional<Value>, std::less<>>;

std::string node_path(std::size_t i) {
  return "$.nodes[" + std::to_string(i) + "]";
}

// The `properties` object of an object schema, or nullptr when it declares none.
const Value* declared_properties(const Value& schema) {
  if (!schema.is_object()) {
    return nullptr;
  }
  auto it = schema.find("properties");
  if (it == schema.end() || !it->is_object()) {
    return nullptr;
  }
  return &*it;
}

std::optional<Value> type_of(const Value& property_schema) {
  if (property_schema.is_object()) {
    auto it = property_schema.find("type");
    if (it != property_schema.end()) {
      return *it;
    }
  }
  return std::nullopt;
}

std::string type_text(const Value& type) {
  return type.is_string() ? type.get<std::string>() : canonical_dump(type);
}

// Kahn topological order over the edges, ready nodes taken in node_id order. Nodes on a cycle
// (rejected at parse time) are left out.
std::vector<std::size_t> kahn_order(const WorkflowDefinition& workflow,
                                    const std::map<std::string_view, std::size_t>& index) {
  const std::size_t n = workflow.nodes.size();
  std::vector<std::size_t> indegree(n, 0);
  std::vector<std::vector<std::size_t>> successors(n);
  for (const auto& edge : workflow.edges) {
    auto from = index.find(edge.from);
    auto to = index.find(edge.to);
    if (from == index.end() || to == index.end()) {
      continue;
    }
    successors[from->second].push_back(to->second);
    ++indegree[to->second];
  }
  std::set<std::pair<std::string_view, std::size_t>> ready;
  for (std::size_t i = 0; i < n; ++i) {
    if (indegree[i] == 0) {
      ready.emplace(workflow.nodes[i].node_id, i);
    }
  }
  std::vector<std::size_t> order;
  while (!ready.empty()) {
    const std::size_t current = ready.begin()->second;
    ready.erase(ready.begin());
    order.push_back(current);
    for (const std::size_t next : successors[current]) {
      if (--indegree[next] == 0) {
        ready.emplace(workflow.nodes[next].node_id, next);
      }
    }
  }
  return order;
}

void check_node_inputs(const WorkflowNode& node, std::size_t i, const CapabilityPtr& capability,
                       const Available& available, ValidationErrors& errors) {
  const Value* input_properties =
      capability ? declared_properties(capability->input_schema) : nullptr;
  for (std::size_t j = 0; j < node.from_workflow_input.size(); ++j) {
    const std::string& key = node.from_workflow_input[j];
    const std::string path = node_path(i) + ".input.from_workflow_input[" + std::to_string(j) + "]";
    auto known = available.find(key);
    if (known == available.end()) {
      errors.push_back({"EdgeSchemaMismatch",
                        path,
                        "node '" + node.node_id + "' reads '" + key +
                            "', which is neither a workflow input property nor written to "
                            "workflow state by an earlier node",
                        {}});
      continue;
    }
    if (input_properties == nullptr) {
      continue;
    }
    auto property = input_properties->find(key);
    if (property == input_properties->end()) {
      errors.push_back({"EdgeSchemaMismatch",
                        path,
                        "node '" + node.node_id + "' passes '" + key + "' to capability " +
                            capability->key() + ", whose input schema declares no property '" +
                            key + "'",
                        {}});
      continue;
    }
    const auto expected_type = type_of(*property);
    if (expected_type && known->second && *expected_type != *known->second) {
      errors.push_back({"EdgeSchemaMismatch",
                        path,
                        "workflow key '" + key + "' has type " + type_text(*known->second) +
                            " but capability " + capability->key() + " expects input '" + key +
                            "' of type " + type_text(*expected_type),
                        {}});
    }
  }
}

// Records the node's writes in `available`, reporting keys its capability does not produce.
void apply_node_outputs(const WorkflowNode& node, std::size_t i, const CapabilityPtr& capability,
                        Available& available, ValidationErrors& errors) {
  const Value* output_properties =
      capability ? declared_properties(capability->output_schema) : nullptr;
  for (std::size_t j = 0; j < node.to_workflow_state.size(); ++j) {
    const std::string& key = node.to_workflow_state[j];
    if (!capability) {
      available[key] = std::nullopt;  // unknown capability: already reported; avoid cascades
      continue;
    }
    if (output_properties == nullptr) {
      available[key] = Value("object");  // an open output counts as "object"
      continue;
    }
    auto property = output_properties->find(key);
    if (property == output_properties->end()) {
      errors.push_back({"EdgeSchemaMismatch",
                        node_path(i) + ".output.to_workflow_state[" + std::to_string(j) + "]",
                        "node '" + node.node_id + "' writes '" + key +
                            "' to workflow state, but capability " + capability->key() +
                            " declares no output property '" + key + "'",
                        {}});
      available[key] = std::nullopt;
      continue;
    }
    available[key] = type_of(*property);
  }
  if (node.publish_to_state_as) {
    available[*node.publish_to_state_as] = Value("object");
  }
}

}  // namespace

ValidationErrors check_workflow_against_capabilities(const WorkflowDefinition& workflow,
                                                     const CapabilityResolver& resolve) {
  ValidationErrors errors;
  const std::size_t n = workflow.nodes.size();
  std::vector<CapabilityPtr> capabilities(n);
  std::map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < n; ++i) {
    const WorkflowNode& node = workflow.nodes[i];
    index.emplace(node.node_id, i);
    capabilities[i] = resolve(node.capability_id, node.capability_version);
    if (!capabilities[i]) {
      errors.push_back({"MissingReference",
                        node_path(i),
                        "node '" + node.node_id + "' references capability " + node.capability_id +
                            "@" + node.capability_version +
                            ", which is not registered in a scope this workflow can see",
                        {}});
    }
  }

  for (std::size_t k = 0; k < workflow.edges.size(); ++k) {
    const WorkflowEdge& edge = workflow.edges[k];
    if (edge.trigger != EdgeTrigger::Event || !edge.event) {
      continue;
    }
    auto from = index.find(edge.from);
    if (from == index.end() || !capabilities[from->second]) {
      continue;  // an unknown node or capability is reported elsewhere
    }
    const CapabilityContract& source = *capabilities[from->second];
    if (std::find(source.emits.begin(), source.emits.end(), *edge.event) == source.emits.end()) {
      std::vector<std::string> emitted;
      for (const auto& ref : source.emits) {
        emitted.push_back(ref.event_id + "@" + ref.version);
      }
      errors.push_back(
          {"InvalidEventEdge",
           "$.edges[" + std::to_string(k) + "].event",
           "edge '" + edge.edge_id + "' waits for event " + edge.event->event_id + "@" +
               edge.event->version + ", which capability " + source.key() + " of node '" +
               edge.from + "' does not emit (emits: " +
               (emitted.empty() ? std::string("nothing") : registry_internal::join(emitted)) + ")",
           {}});
    }
  }

  // Schema flow: only for a workflow whose input is an object schema declaring properties.
  const Value* input_properties = declared_properties(workflow.input_schema);
  const auto type_it = workflow.input_schema.is_object() ? workflow.input_schema.find("type")
                                                         : workflow.input_schema.end();
  if (input_properties == nullptr || type_it == workflow.input_schema.end() ||
      *type_it != Value("object")) {
    return errors;
  }
  Available workflow_inputs;
  for (const auto& [key, schema] : input_properties->items()) {
    workflow_inputs[key] = type_of(schema);
  }
  const std::vector<std::size_t> order = kahn_order(workflow, index);
  if (!workflow.is_parallel()) {
    // Reference rule (1.0.0): a key is available once any node earlier in Kahn order wrote it.
    Available available = workflow_inputs;
    for (const std::size_t i : order) {
      check_node_inputs(workflow.nodes[i], i, capabilities[i], available, errors);
      apply_node_outputs(workflow.nodes[i], i, capabilities[i], available, errors);
    }
  } else {
    // 1.1.0 (parallel): a node sees only what its predecessors (transitively) wrote, because a
    // node on a parallel branch may not have run yet.
    std::vector<std::vector<std::size_t>> predecessors(n);
    for (const auto& edge : workflow.edges) {
      auto from = index.find(edge.from);
      auto to = index.find(edge.to);
      if (from != index.end() && to != index.end()) {
        predecessors[to->second].push_back(from->second);
      }
    }
    std::vector<Available> after(n);
    for (const std::size_t i : order) {
      Available available = workflow_inputs;
      for (const std::size_t p : predecessors[i]) {
        for (const auto& [key, type] : after[p]) {
          available[key] = type;
        }
      }
      check_node_inputs(workflow.nodes[i], i, capabilities[i], available, errors);
      apply_node_outputs(workflow.nodes[i], i, capabilities[i], available, errors);
      after[i] = std::move(available);
    }
  }
  return errors;
}

}  // namespace traverse
