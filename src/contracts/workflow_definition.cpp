#include "traverse/contracts/workflow_definition.hpp"

#include <map>
#include <set>
#include <utility>

#include "document_reader.hpp"

namespace traverse {
namespace {

using contracts_detail::child_path;
using contracts_detail::DocumentReader;
using contracts_detail::index_path;
using contracts_detail::is_blank;
using contracts_detail::type_name;

constexpr std::string_view kGoverningSpec = "007-workflow-registry-traversal";

// An array of strings at object[key]; `required` decides whether absence is an error. Blank items
// are reported; duplicates are reported when `unique`.
std::vector<std::string> read_keys(DocumentReader& reader, const Value& object,
                                   std::string_view key, const std::string& path, bool required,
                                   bool unique) {
  const Value* array = required ? reader.required_array(object, key, path)
                                : reader.optional_array(object, key, path);
  if (array == nullptr) {
    return {};
  }
  const std::string array_path = child_path(path, key);
  auto values = reader.string_array(*array, array_path, true);
  if (unique) {
    std::vector<std::pair<std::string, std::string>> items;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const Value& item = (*array)[i];
      if (item.is_string() && !is_blank(*item.get_ptr<const std::string*>())) {
        items.emplace_back(*item.get_ptr<const std::string*>(), index_path(array_path, i));
      }
    }
    reader.check_unique_strings(items, std::string(key) + " entry");
  }
  return values;
}

struct NodeWrite {
  std::string key;
  std::string path;
};

WorkflowNode read_node(DocumentReader& reader, const Value& item, const std::string& path,
                       std::vector<NodeWrite>& writes) {
  WorkflowNode node;
  if (auto v = reader.required_string(item, "node_id", path)) {
    node.node_id = std::move(*v);
  }
  if (auto v = reader.required_string(item, "capability_id", path)) {
    node.capability_id = std::move(*v);
  }
  if (auto v = reader.required_semver(item, "capability_version", path)) {
    node.capability_version = std::move(*v);
  }
  if (const Value* input = reader.required_object(item, "input", path)) {
    node.from_workflow_input =
        read_keys(reader, *input, "from_workflow_input", path + ".input", true, false);
  }
  if (const Value* output = reader.required_object(item, "output", path)) {
    const std::string output_path = path + ".output";
    if (const Value* keys = reader.required_array(*output, "to_workflow_state", output_path)) {
      const std::string keys_path = output_path + ".to_workflow_state";
      node.to_workflow_state = reader.string_array(*keys, keys_path, true);
      for (std::size_t i = 0; i < keys->size(); ++i) {
        const Value& key = (*keys)[i];
        if (key.is_string() && !is_blank(*key.get_ptr<const std::string*>())) {
          writes.push_back(NodeWrite{*key.get_ptr<const std::string*>(), index_path(keys_path, i)});
        }
      }
    }
    node.publish_to_state_as = reader.optional_string(*output, "publish_to_state_as", output_path);
    if (node.publish_to_state_as) {
      if (is_blank(*node.publish_to_state_as)) {
        reader.add("MissingRequiredField", output_path + ".publish_to_state_as",
                   "publish_to_state_as must be non-empty when present");
      } else {
        writes.push_back(
            NodeWrite{*node.publish_to_state_as, output_path + ".publish_to_state_as"});
      }
    }
  }
  return node;
}

WorkflowEdge read_edge(DocumentReader& reader, const Value& item, const std::string& path) {
  WorkflowEdge edge;
  if (auto v = reader.required_string(item, "edge_id", path)) {
    edge.edge_id = std::move(*v);
  }
  if (auto v = reader.required_string(item, "from", path)) {
    edge.from = std::move(*v);
  }
  if (auto v = reader.required_string(item, "to", path)) {
    edge.to = std::move(*v);
  }
  const auto trigger = reader.required_enum(item, "trigger", path, {"direct", "event"});
  const Value* event = DocumentReader::find(item, "event");
  if (event != nullptr && event->is_null()) {
    event = nullptr;
  }
  const Value* predicate = DocumentReader::find(item, "predicate");
  if (predicate != nullptr && predicate->is_null()) {
    predicate = nullptr;
  }
  if (trigger == "direct") {
    edge.trigger = EdgeTrigger::Direct;
    if (event != nullptr) {
      reader.add("InvalidEventEdge", path + ".event", "a direct edge must not carry an event");
    }
    if (predicate != nullptr) {
      reader.add("InvalidEventEdge", path + ".predicate",
                 "a direct edge must not carry a predicate");
    }
    return edge;
  }
  if (trigger != "event") {
    return edge;
  }
  edge.trigger = EdgeTrigger::Event;
  if (event == nullptr) {
    reader.add("InvalidEventEdge", path + ".event",
               "an event edge must name its event {event_id, version}");
  } else if (!event->is_object()) {
    reader.add("InvalidType", path + ".event",
               "expected object, found " + std::string(type_name(*event)));
  } else {
    const std::string event_path = path + ".event";
    const Value* event_id = DocumentReader::find(*event, "event_id");
    std::optional<std::string> id;
    if (event_id == nullptr || event_id->is_null() ||
        (event_id->is_string() && is_blank(*event_id->get_ptr<const std::string*>()))) {
      reader.add("InvalidEventEdge", event_path + ".event_id",
                 "an event edge needs a non-empty event_id");
    } else if (!event_id->is_string()) {
      reader.add("InvalidType", event_path + ".event_id",
                 "expected string, found " + std::string(type_name(*event_id)));
    } else {
      id = *event_id->get_ptr<const std::string*>();
    }
    const auto version = reader.required_semver(*event, "version", event_path);
    if (id && version) {
      edge.event = EventReference{*id, *version};
    }
  }
  if (predicate != nullptr) {
    const std::string predicate_path = path + ".predicate";
    if (!predicate->is_object()) {
      reader.add("InvalidType", predicate_path,
                 "expected object, found " + std::string(type_name(*predicate)));
    } else {
      const Value* field = DocumentReader::find(*predicate, "field");
      std::optional<std::string> field_text;
      if (field == nullptr || field->is_null() ||
          (field->is_string() && is_blank(*field->get_ptr<const std::string*>()))) {
        reader.add("InvalidEventEdge", predicate_path + ".field",
                   "a predicate needs a non-empty field");
      } else if (!field->is_string()) {
        reader.add("InvalidType", predicate_path + ".field",
                   "expected string, found " + std::string(type_name(*field)));
      } else {
        field_text = *field->get_ptr<const std::string*>();
      }
      const Value* equals = DocumentReader::find(*predicate, "equals");
      if (equals == nullptr) {
        reader.add("MissingRequiredField", predicate_path + ".equals",
                   "a predicate needs the value to compare with (`equals`)");
      }
      if (field_text && equals != nullptr) {
        edge.predicate = EdgePredicate{*field_text, *equals};
      }
    }
  }
  return edge;
}

// Graph checks over nodes and edges whose endpoints are known: cycles, unreachable nodes, the
// 1.0.0 out-degree rule and, for 1.1.0, conflicting writes by parallel nodes.
// `node_index[i]` / `edge_index[e]` give the manifest index of workflow.nodes[i] / edges[e].
void check_graph(DocumentReader& reader, const WorkflowDefinition& workflow,
                 const std::vector<std::vector<NodeWrite>>& writes_by_node,
                 const std::vector<std::size_t>& node_index,
                 const std::vector<std::size_t>& edge_index, const std::vector<bool>& edge_valid) {
  const std::size_t n = workflow.nodes.size();
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < n; ++i) {
    index.emplace(workflow.nodes[i].node_id, i);  // first declaration wins on duplicates
  }
  std::vector<std::vector<std::size_t>> successors(n);
  std::vector<std::size_t> direct_out(n, 0);
  std::vector<std::size_t> event_out(n, 0);
  for (std::size_t e = 0; e < workflow.edges.size(); ++e) {
    if (!edge_valid[e]) {
      continue;
    }
    const WorkflowEdge& edge = workflow.edges[e];
    const auto from_it = index.find(edge.from);
    const auto to_it = index.find(edge.to);
    if (from_it == index.end() || to_it == index.end()) {
      continue;
    }
    const std::size_t from = from_it->second;
    const std::size_t to = to_it->second;
    successors[from].push_back(to);
    if (!workflow.is_parallel()) {
      auto& count = edge.trigger == EdgeTrigger::Direct ? direct_out[from] : event_out[from];
      if (++count == 2) {
        reader.add("DuplicateItem", index_path("$.edges", edge_index[e]),
                   "node \"" + edge.from + "\" has more than one " +
                       (edge.trigger == EdgeTrigger::Direct ? "direct" : "event") +
                       " outgoing edge; schema_version 1.0.0 allows one of each (use 1.1.0 for "
                       "fan-out)");
      }
    }
  }

  // Cycle detection: iterative three-colour DFS over all edges.
  std::vector<int> colour(n, 0);  // 0 new, 1 on stack, 2 done
  bool cyclic = false;
  for (std::size_t root = 0; root < n && !cyclic; ++root) {
    if (colour[root] != 0) {
      continue;
    }
    std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};
    colour[root] = 1;
    while (!stack.empty() && !cyclic) {
      auto& [node, next] = stack.back();
      if (next < successors[node].size()) {
        const std::size_t succ = successors[node][next++];
        if (colour[succ] == 1) {
          cyclic = true;
        } else if (colour[succ] == 0) {
          colour[succ] = 1;
          stack.emplace_back(succ, 0);
        }
      } else {
        colour[node] = 2;
        stack.pop_back();
      }
    }
  }
  if (cyclic) {
    reader.add("DeterministicCycleNotAllowed", "$.edges",
               "the edges form a cycle; a workflow graph must be acyclic");
  }

  // Nodes reachable from `source` over all edges (one traversal, O(nodes + edges)).
  const auto reachable_from = [&](std::size_t source) {
    std::vector<bool> seen(n, false);
    std::vector<std::size_t> stack{source};
    seen[source] = true;
    while (!stack.empty()) {
      const std::size_t node = stack.back();
      stack.pop_back();
      for (const std::size_t succ : successors[node]) {
        if (!seen[succ]) {
          seen[succ] = true;
          stack.push_back(succ);
        }
      }
    }
    return seen;
  };

  const auto start = index.find(workflow.start_node);
  if (start != index.end()) {
    const std::vector<bool> from_start = reachable_from(start->second);
    for (std::size_t i = 0; i < n; ++i) {
      if (!from_start[i] && index[workflow.nodes[i].node_id] == i) {
        reader.add("UnreachableNode", index_path("$.nodes", node_index[i]),
                   "node \"" + workflow.nodes[i].node_id +
                       "\" cannot be reached from start_node \"" + workflow.start_node + "\"");
      }
    }
  }

  if (!workflow.is_parallel() || cyclic) {
    return;
  }
  // 1.1.0: two nodes that can run in parallel (neither reaches the other) must not write the same
  // state key. Only nodes sharing a key with another node need their reachability computed.
  std::map<std::string, std::vector<std::size_t>> writers;
  for (std::size_t i = 0; i < n; ++i) {
    for (const NodeWrite& write : writes_by_node[i]) {
      auto& list = writers[write.key];
      if (list.empty() || list.back() != i) {
        list.push_back(i);
      }
    }
  }
  std::map<std::size_t, std::vector<bool>> reach;
  for (const auto& [key, list] : writers) {
    for (const std::size_t node : list) {
      if (list.size() > 1 && !reach.contains(node)) {
        reach.emplace(node, reachable_from(node));
      }
    }
  }
  for (std::size_t b = 0; b < n; ++b) {
    if (!reach.contains(b)) {
      continue;
    }
    for (std::size_t a = 0; a < b; ++a) {
      if (!reach.contains(a) || reach[a][b] || reach[b][a]) {
        continue;
      }
      for (const NodeWrite& write : writes_by_node[b]) {
        for (const NodeWrite& other : writes_by_node[a]) {
          if (write.key == other.key) {
            reader.add("ConflictingStateWrite", write.path,
                       "nodes \"" + workflow.nodes[a].node_id + "\" and \"" +
                           workflow.nodes[b].node_id +
                           "\" can run in parallel and both write state key \"" + write.key +
                           "\" (first at " + other.path + ")");
            break;
          }
        }
      }
    }
  }
}

}  // namespace

const WorkflowNode* WorkflowDefinition::find_node(std::string_view node_id) const {
  for (const auto& node : nodes) {
    if (node.node_id == node_id) {
      return &node;
    }
  }
  return nullptr;
}

std::expected<WorkflowDefinition, ValidationErrors> parse_workflow_definition(
    const Value& document) {
  DocumentReader reader;
  WorkflowDefinition workflow;
  if (!document.is_object()) {
    reader.add(
        "InvalidType", "$",
        "a workflow definition must be a JSON object, found " + std::string(type_name(document)));
    return std::unexpected(reader.take());
  }
  workflow.document = document;

  reader.expect_literal(document, "kind", "$", "workflow_definition");
  if (auto v = reader.required_enum(document, "schema_version", "$", {"1.0.0", "1.1.0"})) {
    workflow.schema_version = std::move(*v);
  }
  reader.expect_literal(document, "governing_spec", "$", kGoverningSpec);
  if (auto v = reader.required_string(document, "id", "$")) {
    workflow.id = std::move(*v);
  }
  if (auto v = reader.required_string(document, "name", "$")) {
    workflow.name = std::move(*v);
  }
  if (auto v = reader.required_semver(document, "version", "$")) {
    workflow.version = std::move(*v);
  }
  if (const auto lifecycle = reader.lifecycle(document, "$")) {
    workflow.lifecycle = *lifecycle;
  }
  if (auto owner = reader.owner(document, "$")) {
    workflow.owner = std::move(*owner);
  }
  if (auto v = reader.required_string(document, "summary", "$")) {
    workflow.summary = std::move(*v);
  }
  for (const auto& [key, target] : {std::pair{"inputs", &workflow.input_schema},
                                    std::pair{"outputs", &workflow.output_schema}}) {
    const Value* section = reader.required_object(document, key, "$");
    if (section == nullptr) {
      continue;
    }
    const std::string path = child_path("$", key);
    if (const Value* schema = reader.required(*section, "schema", path)) {
      if (!schema->is_object()) {
        reader.add("InvalidType", path + ".schema",
                   "a JSON Schema object is expected, found " + std::string(type_name(*schema)));
      } else {
        *target = *schema;
      }
    }
  }

  // Nodes.
  std::vector<std::vector<NodeWrite>> writes_by_node;
  std::vector<std::size_t> node_index;
  std::vector<std::pair<std::string, std::string>> node_ids;
  bool within_limits = true;
  if (const Value* nodes = reader.required_array(document, "nodes", "$")) {
    if (nodes->empty()) {
      reader.add("MissingRequiredField", "$.nodes", "a workflow needs at least one node");
    }
    if (nodes->size() > kMaxWorkflowNodes) {
      reader.add("LimitExceeded", "$.nodes",
                 "a workflow may have at most " + std::to_string(kMaxWorkflowNodes) +
                     " nodes, found " + std::to_string(nodes->size()));
      within_limits = false;
    }
    for (std::size_t i = 0; i < nodes->size(); ++i) {
      const Value& item = (*nodes)[i];
      const std::string path = index_path("$.nodes", i);
      if (!item.is_object()) {
        reader.add("InvalidType", path, "expected object, found " + std::string(type_name(item)));
        continue;
      }
      std::vector<NodeWrite> writes;
      WorkflowNode node = read_node(reader, item, path, writes);
      if (node.node_id.empty()) {
        continue;  // reported; without an id it cannot take part in the graph
      }
      node_ids.emplace_back(node.node_id, path + ".node_id");
      workflow.nodes.push_back(std::move(node));
      writes_by_node.push_back(std::move(writes));
      node_index.push_back(i);
    }
  }
  reader.check_unique_strings(node_ids, "node_id");
  std::set<std::string> declared;
  for (const auto& node : workflow.nodes) {
    declared.insert(node.node_id);
  }

  // Edges.
  std::vector<bool> edge_valid;
  std::vector<std::size_t> edge_index;
  std::vector<std::pair<std::string, std::string>> edge_ids;
  if (const Value* edges = reader.required_array(document, "edges", "$")) {
    if (edges->size() > kMaxWorkflowEdges) {
      reader.add("LimitExceeded", "$.edges",
                 "a workflow may have at most " + std::to_string(kMaxWorkflowEdges) +
                     " edges, found " + std::to_string(edges->size()));
      within_limits = false;
    }
    for (std::size_t i = 0; i < edges->size(); ++i) {
      const Value& item = (*edges)[i];
      const std::string path = index_path("$.edges", i);
      if (!item.is_object()) {
        reader.add("InvalidType", path, "expected object, found " + std::string(type_name(item)));
        continue;
      }
      WorkflowEdge edge = read_edge(reader, item, path);
      if (!edge.edge_id.empty()) {
        edge_ids.emplace_back(edge.edge_id, path + ".edge_id");
      }
      bool valid = true;
      for (const auto& [endpoint, key] :
           {std::pair{&edge.from, "from"}, std::pair{&edge.to, "to"}}) {
        if (endpoint->empty()) {
          valid = false;  // already reported as missing
        } else if (!declared.contains(*endpoint)) {
          reader.add("InvalidEdgeReference", child_path(path, key),
                     "edge endpoint \"" + *endpoint + "\" is not a declared node_id");
          valid = false;
        }
      }
      workflow.edges.push_back(std::move(edge));
      edge_valid.push_back(valid);
      edge_index.push_back(i);
    }
  }
  reader.check_unique_strings(edge_ids, "edge_id");

  if (auto v = reader.required_string(document, "start_node", "$")) {
    workflow.start_node = std::move(*v);
    if (!declared.contains(workflow.start_node)) {
      reader.add("InvalidStartNode", "$.start_node",
                 "start_node \"" + workflow.start_node + "\" is not a declared node_id");
    }
  }
  if (const Value* terminals = reader.required_array(document, "terminal_nodes", "$")) {
    if (terminals->empty()) {
      reader.add("InvalidTerminalNode", "$.terminal_nodes",
                 "a workflow needs at least one terminal node");
    }
    workflow.terminal_nodes = read_keys(reader, document, "terminal_nodes", "$", true, true);
    for (std::size_t i = 0; i < terminals->size(); ++i) {
      const Value& item = (*terminals)[i];
      if (item.is_string() && !is_blank(*item.get_ptr<const std::string*>()) &&
          !declared.contains(*item.get_ptr<const std::string*>())) {
        reader.add("InvalidTerminalNode", index_path("$.terminal_nodes", i),
                   "terminal node \"" + *item.get_ptr<const std::string*>() +
                       "\" is not a declared node_id");
      }
    }
  }
  workflow.output_projection = read_keys(reader, document, "output_projection", "$", false, true);
  workflow.tags = read_keys(reader, document, "tags", "$", true, false);

  // Edges whose objects were malformed are not in workflow.edges; the graph uses what is known.
  if (within_limits) {
    check_graph(reader, workflow, writes_by_node, node_index, edge_index, edge_valid);
  }

  if (!reader.ok()) {
    return std::unexpected(reader.take());
  }
  return workflow;
}

std::expected<WorkflowDefinition, ValidationErrors> load_workflow_definition(
    const std::filesystem::path& path) {
  return contracts_detail::load_and_parse(
      path, [](const Value& document) { return parse_workflow_definition(document); });
}

}  // namespace traverse
