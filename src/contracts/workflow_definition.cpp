#include "traverse/contracts/workflow_definition.hpp"

#include <map>
#include <optional>
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

// A non-empty string at object[key], or nothing (with the problem reported): an event edge's
// `event_id` and a predicate's `field` are both of this shape.
std::optional<std::string> read_nonblank(DocumentReader& reader, const Value& object,
                                         std::string_view key, const std::string& path,
                                         const std::string& missing) {
  const Value* value = DocumentReader::find(object, key);
  const std::string value_path = child_path(path, key);
  if (value == nullptr || value->is_null() ||
      (value->is_string() && is_blank(*value->get_ptr<const std::string*>()))) {
    reader.add("InvalidEventEdge", value_path, missing);
    return std::nullopt;
  }
  if (!value->is_string()) {
    reader.add("InvalidType", value_path,
               "expected string, found " + std::string(type_name(*value)));
    return std::nullopt;
  }
  return *value->get_ptr<const std::string*>();
}

// The `event` of an event edge: {event_id, version}.
void read_edge_event(DocumentReader& reader, const Value* event, const std::string& path,
                     WorkflowEdge& edge) {
  if (event == nullptr) {
    reader.add("InvalidEventEdge", path + ".event",
               "an event edge must name its event {event_id, version}");
    return;
  }
  if (!event->is_object()) {
    reader.add("InvalidType", path + ".event",
               "expected object, found " + std::string(type_name(*event)));
    return;
  }
  const std::string event_path = path + ".event";
  const auto id = read_nonblank(reader, *event, "event_id", event_path,
                                "an event edge needs a non-empty event_id");
  const auto version = reader.required_semver(*event, "version", event_path);
  if (id && version) {
    edge.event = EventReference{*id, *version};
  }
}

// The optional `predicate` of an event edge: {field, equals}.
void read_edge_predicate(DocumentReader& reader, const Value& predicate, const std::string& path,
                         WorkflowEdge& edge) {
  const std::string predicate_path = path + ".predicate";
  if (!predicate.is_object()) {
    reader.add("InvalidType", predicate_path,
               "expected object, found " + std::string(type_name(predicate)));
    return;
  }
  const auto field = read_nonblank(reader, predicate, "field", predicate_path,
                                   "a predicate needs a non-empty field");
  const Value* equals = DocumentReader::find(predicate, "equals");
  if (equals == nullptr) {
    reader.add("MissingRequiredField", predicate_path + ".equals",
               "a predicate needs the value to compare with (`equals`)");
  }
  if (field && equals != nullptr) {
    edge.predicate = EdgePredicate{*field, *equals};
  }
}

// object[key] unless it is absent or null.
const Value* find_present(const Value& object, std::string_view key) {
  const Value* value = DocumentReader::find(object, key);
  return value != nullptr && value->is_null() ? nullptr : value;
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
  const Value* event = find_present(item, "event");
  const Value* predicate = find_present(item, "predicate");
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
  read_edge_event(reader, event, path, edge);
  if (predicate != nullptr) {
    read_edge_predicate(reader, *predicate, path, edge);
  }
  return edge;
}

// Where each known node and edge came from in the manifest, for the graph checks: nodes and
// edges whose objects were malformed are left out of the definition, so indexes differ.
struct GraphSources {
  std::vector<std::vector<NodeWrite>> writes_by_node;  // state keys each node writes
  std::vector<std::size_t> node_index;                 // manifest index of workflow.nodes[i]
  std::vector<std::size_t> edge_index;                 // manifest index of workflow.edges[e]
  std::vector<bool> edge_valid;                        // both endpoints are declared nodes
  std::set<std::string> declared;                      // every node_id
  bool within_limits = true;                           // node and edge counts within bounds
};

// The graph over node positions: successors of each node, and the 1.0.0 rule of at most one
// direct and one event edge out of a node.
struct Graph {
  std::map<std::string, std::size_t> index;  // node_id -> position (first declaration wins)
  std::vector<std::vector<std::size_t>> successors;

  // Nodes reachable from `source` over all edges (one traversal, O(nodes + edges)).
  [[nodiscard]] std::vector<bool> reachable_from(std::size_t source) const {
    std::vector<bool> seen(successors.size(), false);
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
  }

  // Iterative three-colour depth-first search over all edges.
  [[nodiscard]] bool has_cycle() const {
    const std::size_t n = successors.size();
    std::vector<int> colour(n, 0);  // 0 new, 1 on stack, 2 done
    for (std::size_t root = 0; root < n; ++root) {
      if (colour[root] != 0) {
        continue;
      }
      std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};
      colour[root] = 1;
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        if (next < successors[node].size()) {
          const std::size_t succ = successors[node][next++];
          if (colour[succ] == 1) {
            return true;
          }
          if (colour[succ] == 0) {
            colour[succ] = 1;
            stack.emplace_back(succ, 0);
          }
        } else {
          colour[node] = 2;
          stack.pop_back();
        }
      }
    }
    return false;
  }
};

Graph build_graph(DocumentReader& reader, const WorkflowDefinition& workflow,
                  const GraphSources& sources) {
  const std::size_t n = workflow.nodes.size();
  Graph graph;
  graph.successors.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    graph.index.emplace(workflow.nodes[i].node_id, i);
  }
  std::vector<std::size_t> direct_out(n, 0);
  std::vector<std::size_t> event_out(n, 0);
  for (std::size_t e = 0; e < workflow.edges.size(); ++e) {
    if (!sources.edge_valid[e]) {
      continue;
    }
    const WorkflowEdge& edge = workflow.edges[e];
    const auto from_it = graph.index.find(edge.from);
    const auto to_it = graph.index.find(edge.to);
    if (from_it == graph.index.end() || to_it == graph.index.end()) {
      continue;
    }
    const std::size_t from = from_it->second;
    graph.successors[from].push_back(to_it->second);
    if (workflow.is_parallel()) {
      continue;
    }
    auto& count = edge.trigger == EdgeTrigger::Direct ? direct_out[from] : event_out[from];
    if (++count == 2) {
      reader.add("DuplicateItem", index_path("$.edges", sources.edge_index[e]),
                 "node \"" + edge.from + "\" has more than one " +
                     (edge.trigger == EdgeTrigger::Direct ? "direct" : "event") +
                     " outgoing edge; schema_version 1.0.0 allows one of each (use 1.1.0 for "
                     "fan-out)");
    }
  }
  return graph;
}

void check_reachable_from_start(DocumentReader& reader, const WorkflowDefinition& workflow,
                                const GraphSources& sources, const Graph& graph) {
  const auto start = graph.index.find(workflow.start_node);
  if (start == graph.index.end()) {
    return;
  }
  const std::vector<bool> from_start = graph.reachable_from(start->second);
  for (std::size_t i = 0; i < workflow.nodes.size(); ++i) {
    if (!from_start[i] && graph.index.at(workflow.nodes[i].node_id) == i) {
      reader.add("UnreachableNode", index_path("$.nodes", sources.node_index[i]),
                 "node \"" + workflow.nodes[i].node_id + "\" cannot be reached from start_node \"" +
                     workflow.start_node + "\"");
    }
  }
}

// 1.1.0: two nodes that can run in parallel (neither reaches the other) must not write the same
// state key. Only nodes sharing a key with another node need their reachability computed.
void check_parallel_writes(DocumentReader& reader, const WorkflowDefinition& workflow,
                           const GraphSources& sources, const Graph& graph) {
  const auto& writes_by_node = sources.writes_by_node;
  const std::size_t n = workflow.nodes.size();
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
        reach.emplace(node, graph.reachable_from(node));
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

// Graph checks over nodes and edges whose endpoints are known: cycles, unreachable nodes, the
// 1.0.0 out-degree rule and, for 1.1.0, conflicting writes by parallel nodes.
void check_graph(DocumentReader& reader, const WorkflowDefinition& workflow,
                 const GraphSources& sources) {
  const Graph graph = build_graph(reader, workflow, sources);
  const bool cyclic = graph.has_cycle();
  if (cyclic) {
    reader.add("DeterministicCycleNotAllowed", "$.edges",
               "the edges form a cycle; a workflow graph must be acyclic");
  }
  check_reachable_from_start(reader, workflow, sources, graph);
  if (workflow.is_parallel() && !cyclic) {
    check_parallel_writes(reader, workflow, sources, graph);
  }
}

// The header: kind, versions, identity, lifecycle, owner, summary, and the input and output
// schemas.
void read_header(DocumentReader& reader, const Value& document, WorkflowDefinition& workflow) {
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
  contracts_detail::read_io_schemas(reader, document, workflow.input_schema,
                                    workflow.output_schema);
}

void read_nodes(DocumentReader& reader, const Value& document, WorkflowDefinition& workflow,
                GraphSources& sources) {
  std::vector<std::pair<std::string, std::string>> node_ids;
  if (const Value* nodes = reader.required_array(document, "nodes", "$")) {
    if (nodes->empty()) {
      reader.add("MissingRequiredField", "$.nodes", "a workflow needs at least one node");
    }
    if (nodes->size() > kMaxWorkflowNodes) {
      reader.add("LimitExceeded", "$.nodes",
                 "a workflow may have at most " + std::to_string(kMaxWorkflowNodes) +
                     " nodes, found " + std::to_string(nodes->size()));
      sources.within_limits = false;
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
      sources.writes_by_node.push_back(std::move(writes));
      sources.node_index.push_back(i);
    }
  }
  reader.check_unique_strings(node_ids, "node_id");
  for (const auto& node : workflow.nodes) {
    sources.declared.insert(node.node_id);
  }
}

void read_edges(DocumentReader& reader, const Value& document, WorkflowDefinition& workflow,
                GraphSources& sources) {
  std::vector<std::pair<std::string, std::string>> edge_ids;
  if (const Value* edges = reader.required_array(document, "edges", "$")) {
    if (edges->size() > kMaxWorkflowEdges) {
      reader.add("LimitExceeded", "$.edges",
                 "a workflow may have at most " + std::to_string(kMaxWorkflowEdges) +
                     " edges, found " + std::to_string(edges->size()));
      sources.within_limits = false;
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
        } else if (!sources.declared.contains(*endpoint)) {
          reader.add("InvalidEdgeReference", child_path(path, key),
                     "edge endpoint \"" + *endpoint + "\" is not a declared node_id");
          valid = false;
        }
      }
      workflow.edges.push_back(std::move(edge));
      sources.edge_valid.push_back(valid);
      sources.edge_index.push_back(i);
    }
  }
  reader.check_unique_strings(edge_ids, "edge_id");
}

// start_node, terminal_nodes, output_projection and tags.
void read_endpoints(DocumentReader& reader, const Value& document, WorkflowDefinition& workflow,
                    const std::set<std::string>& declared) {
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
  if (!document.is_object()) {
    return std::unexpected(contracts_detail::not_an_object(document, "a workflow definition"));
  }
  DocumentReader reader;
  WorkflowDefinition workflow;
  workflow.document = document;
  GraphSources sources;
  read_header(reader, document, workflow);
  read_nodes(reader, document, workflow, sources);
  read_edges(reader, document, workflow, sources);
  read_endpoints(reader, document, workflow, sources.declared);
  // Edges whose objects were malformed are not in workflow.edges; the graph uses what is known.
  if (sources.within_limits) {
    check_graph(reader, workflow, sources);
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
