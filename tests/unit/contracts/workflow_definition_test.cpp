// Governing spec: 001-artifact-formats
#include "traverse/contracts/workflow_definition.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "contracts_test_support.hpp"

namespace traverse {
namespace {

using test::NegativeCase;

Value workflow_doc() {
  return test::read_json(test::expedition_dir() / "workflows" / "plan-expedition.json");
}
void set(Value& doc, const std::string& pointer, Value value) {
  doc[Value::json_pointer(pointer)] = std::move(value);
}
void erase(Value& doc, const std::string& pointer) {
  const Value::json_pointer ptr(pointer);
  doc[ptr.parent_pointer()].erase(ptr.back());
}
void append(Value& doc, const std::string& pointer, Value value) {
  doc[Value::json_pointer(pointer)].push_back(std::move(value));
}

Value direct_edge(const std::string& id, const std::string& from, const std::string& to) {
  return Value{{"edge_id", id}, {"from", from}, {"to", to}, {"trigger", "direct"}};
}
Value event_edge(const std::string& id, const std::string& from, const std::string& to) {
  return Value{
      {"edge_id", id},
      {"from", from},
      {"to", to},
      {"trigger", "event"},
      {"event", {{"event_id", "expedition.planning.objective-captured"}, {"version", "1.0.0"}}}};
}

struct GraphNode {
  GraphNode(std::string node_id, std::vector<std::string> state_keys,
            std::optional<std::string> namespace_key = std::nullopt)
      : id(std::move(node_id)),
        writes(std::move(state_keys)),
        publish_as(std::move(namespace_key)) {}
  std::string id;
  std::vector<std::string> writes;
  std::optional<std::string> publish_as;
};

// A workflow over the expedition document's header with the given graph.
Value graph(const std::string& schema_version, const std::vector<GraphNode>& nodes,
            const std::vector<std::pair<std::string, std::string>>& edges,
            const std::vector<std::string>& terminals) {
  Value doc = workflow_doc();
  doc["schema_version"] = schema_version;
  doc["nodes"] = Value::array();
  for (const auto& node : nodes) {
    Value item{{"node_id", node.id},
               {"capability_id", "expedition.planning." + node.id},
               {"capability_version", "1.0.0"},
               {"input", {{"from_workflow_input", Value::array()}}},
               {"output", {{"to_workflow_state", node.writes}}}};
    if (node.publish_as) {
      item["output"]["publish_to_state_as"] = *node.publish_as;
    }
    doc["nodes"].push_back(std::move(item));
  }
  doc["edges"] = Value::array();
  for (const auto& [from, to] : edges) {
    doc["edges"].push_back(direct_edge(from + "_to_" + to, from, to));
  }
  doc["start_node"] = nodes.front().id;
  doc["terminal_nodes"] = terminals;
  doc["output_projection"] = Value::array();
  return doc;
}

TEST(WorkflowDefinition, ParsesExpeditionWorkflow) {
  const auto workflow = parse_workflow_definition(workflow_doc());
  ASSERT_TRUE(workflow) << test::describe(workflow.error());
  EXPECT_EQ(workflow->key(), "plan-expedition@1.0.0");
  EXPECT_FALSE(workflow->is_parallel());
  EXPECT_EQ(workflow->lifecycle, Lifecycle::Active);
  ASSERT_EQ(workflow->nodes.size(), 5U);
  ASSERT_EQ(workflow->edges.size(), 4U);
  EXPECT_EQ(workflow->start_node, "capture_objective");
  EXPECT_EQ(workflow->terminal_nodes, std::vector<std::string>{"assemble_plan"});
  EXPECT_EQ(workflow->output_projection,
            (std::vector<std::string>{"plan_id", "objective_id", "recommended_route_style",
                                      "summary", "plan"}));
  const WorkflowNode* first = workflow->find_node("capture_objective");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->capability_id, "expedition.planning.capture-expedition-objective");
  EXPECT_EQ(first->from_workflow_input,
            (std::vector<std::string>{"objective", "region", "start_date", "duration_days"}));
  EXPECT_EQ(first->to_workflow_state,
            (std::vector<std::string>{"objective_id", "captured_objective"}));
  EXPECT_EQ(workflow->find_node("nope"), nullptr);
  for (const auto& edge : workflow->edges) {
    EXPECT_EQ(edge.trigger, EdgeTrigger::Direct);
  }
}

TEST(WorkflowDefinition, OutputProjectionIsOptional) {
  Value doc = workflow_doc();
  erase(doc, "/output_projection");
  const auto workflow = parse_workflow_definition(doc);
  ASSERT_TRUE(workflow) << test::describe(workflow.error());
  EXPECT_TRUE(workflow->output_projection.empty());
}

TEST(WorkflowDefinition, ReadsEventEdgeWithPredicate) {
  Value doc = workflow_doc();
  Value edge = event_edge("captured_event", "capture_objective", "interpret_intent");
  edge["predicate"] = {{"field", "payload.objective_id"}, {"equals", "obj-1"}};
  append(doc, "/edges", edge);
  const auto workflow = parse_workflow_definition(doc);
  ASSERT_TRUE(workflow) << test::describe(workflow.error());
  const WorkflowEdge& parsed = workflow->edges.back();
  EXPECT_EQ(parsed.trigger, EdgeTrigger::Event);
  ASSERT_TRUE(parsed.event);
  EXPECT_EQ(parsed.event->event_id, "expedition.planning.objective-captured");
  ASSERT_TRUE(parsed.predicate);
  EXPECT_EQ(parsed.predicate->field, "payload.objective_id");
  EXPECT_EQ(parsed.predicate->equals, "obj-1");
}

TEST(WorkflowDefinition, ParallelFanOutAndJoinAreValidIn110) {
  // a -> {b, c} -> d: b and c run in parallel and write different keys.
  const Value doc = graph("1.1.0", {{"a", {"x"}}, {"b", {"y"}}, {"c", {"z"}}, {"d", {"x"}}},
                          {{"a", "b"}, {"a", "c"}, {"b", "d"}, {"c", "d"}}, {"d"});
  const auto workflow = parse_workflow_definition(doc);
  ASSERT_TRUE(workflow) << test::describe(workflow.error());
  EXPECT_TRUE(workflow->is_parallel());
  EXPECT_EQ(workflow->edges.size(), 4U);
}

TEST(WorkflowDefinition, FanOutIsRejectedIn100) {
  const Value doc = graph("1.0.0", {{"a", {}}, {"b", {}}, {"c", {}}, {"d", {}}},
                          {{"a", "b"}, {"a", "c"}, {"b", "d"}, {"c", "d"}}, {"d"});
  const auto result = parse_workflow_definition(doc);
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U) << test::describe(result.error());
  EXPECT_EQ(result.error()[0].code(), "DuplicateItem");
  EXPECT_EQ(result.error()[0].path(), "$.edges[1]");
}

TEST(WorkflowDefinition, OneDirectAndOneEventEdgePerNodeIsValidIn100) {
  Value doc = workflow_doc();
  append(doc, "/edges", event_edge("captured_event", "capture_objective", "assess_conditions"));
  const auto workflow = parse_workflow_definition(doc);
  ASSERT_TRUE(workflow) << test::describe(workflow.error());
}

TEST(WorkflowDefinition, SequentialNodesMayRewriteTheSameKeyIn110) {
  // a -> b -> c, all writing "x": never concurrent, so no conflict.
  const Value doc =
      graph("1.1.0", {{"a", {"x"}}, {"b", {"x"}}, {"c", {"x"}}}, {{"a", "b"}, {"b", "c"}}, {"c"});
  const auto workflow = parse_workflow_definition(doc);
  ASSERT_TRUE(workflow) << test::describe(workflow.error());
}

TEST(WorkflowDefinition, ParallelBranchesWritingSameKeyConflictIn110) {
  const Value doc =
      graph("1.1.0", {{"a", {}}, {"b", {"risk"}}, {"c", {"other", "risk"}}, {"d", {}}},
            {{"a", "b"}, {"a", "c"}, {"b", "d"}, {"c", "d"}}, {"d"});
  const auto result = parse_workflow_definition(doc);
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U) << test::describe(result.error());
  EXPECT_EQ(result.error()[0].code(), "ConflictingStateWrite");
  EXPECT_EQ(result.error()[0].path(), "$.nodes[2].output.to_workflow_state[1]");
  EXPECT_NE(result.error()[0].message().find("\"risk\""), std::string::npos);
}

TEST(WorkflowDefinition, ParallelNamespaceCollidingWithKeyConflictsIn110) {
  const Value doc = graph("1.1.0", {{"a", {}}, {"b", {"report"}}, {"c", {}, "report"}, {"d", {}}},
                          {{"a", "b"}, {"a", "c"}, {"b", "d"}, {"c", "d"}}, {"d"});
  const auto result = parse_workflow_definition(doc);
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U) << test::describe(result.error());
  EXPECT_EQ(result.error()[0].code(), "ConflictingStateWrite");
  EXPECT_EQ(result.error()[0].path(), "$.nodes[2].output.publish_to_state_as");
}

TEST(WorkflowDefinition, EveryUnreachableNodeIsReported) {
  const Value doc = graph("1.1.0", {{"a", {}}, {"b", {}}, {"orphan", {}}, {"island", {}}},
                          {{"a", "b"}, {"orphan", "island"}}, {"b"});
  const auto result = parse_workflow_definition(doc);
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 2U) << test::describe(result.error());
  EXPECT_TRUE(test::contains(result.error(), "UnreachableNode", "$.nodes[2]"));
  EXPECT_TRUE(test::contains(result.error(), "UnreachableNode", "$.nodes[3]"));
}

// "n7" etc. (built with += to sidestep a GCC 12 -Wrestrict false positive on "n" + string).
std::string indexed(const char* prefix, std::size_t index) {
  std::string out(prefix);
  out += std::to_string(index);
  return out;
}

TEST(WorkflowDefinition, LargeLinearChainValidatesQuickly) {
  std::vector<GraphNode> nodes;
  std::vector<std::pair<std::string, std::string>> edges;
  for (std::size_t i = 0; i < 500; ++i) {
    nodes.emplace_back(indexed("n", i), std::vector<std::string>{indexed("k", i)});
    if (i > 0) {
      edges.emplace_back(indexed("n", i - 1), indexed("n", i));
    }
  }
  const auto workflow = parse_workflow_definition(graph("1.1.0", nodes, edges, {"n499"}));
  ASSERT_TRUE(workflow) << test::describe(workflow.error());
  EXPECT_EQ(workflow->nodes.size(), 500U);
}

TEST(WorkflowDefinition, NodeCountIsBounded) {
  std::vector<GraphNode> nodes;
  for (std::size_t i = 0; i <= kMaxWorkflowNodes; ++i) {
    nodes.emplace_back(indexed("n", i), std::vector<std::string>{"k"});
  }
  const auto result = parse_workflow_definition(graph("1.1.0", nodes, {}, {"n0"}));
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1U) << test::describe(result.error());
  EXPECT_EQ(result.error()[0].code(), "LimitExceeded");
  EXPECT_EQ(result.error()[0].path(), "$.nodes");
}

class WorkflowDefinitionRejects : public testing::TestWithParam<NegativeCase> {};

TEST_P(WorkflowDefinitionRejects, WithExpectedCodeAndPath) {
  const NegativeCase& c = GetParam();
  Value doc = workflow_doc();
  c.mutate(doc);
  const auto result = parse_workflow_definition(doc);
  ASSERT_FALSE(result.has_value()) << c.name << " was accepted";
  test::expect_case(c, result.error());
}

INSTANTIATE_TEST_SUITE_P(
    Rules, WorkflowDefinitionRejects,
    testing::Values(
        NegativeCase{"kind_literal", [](Value& d) { set(d, "/kind", "workflow"); },
                     "InvalidLiteral", "$.kind"},
        NegativeCase{"schema_version_literal", [](Value& d) { set(d, "/schema_version", "2.0.0"); },
                     "InvalidLiteral", "$.schema_version"},
        NegativeCase{"governing_spec_literal",
                     [](Value& d) { set(d, "/governing_spec", "999-other"); }, "InvalidLiteral",
                     "$.governing_spec"},
        NegativeCase{"id_empty", [](Value& d) { set(d, "/id", " "); }, "MissingRequiredField",
                     "$.id"},
        NegativeCase{"version_not_semver", [](Value& d) { set(d, "/version", "1.0.0.0"); },
                     "InvalidSemver", "$.version"},
        NegativeCase{"summary_missing", [](Value& d) { erase(d, "/summary"); },
                     "MissingRequiredField", "$.summary"},
        NegativeCase{"inputs_schema_not_object", [](Value& d) { set(d, "/inputs/schema", true); },
                     "InvalidType", "$.inputs.schema"},
        NegativeCase{"no_nodes",
                     [](Value& d) {
                       set(d, "/nodes", Value::array());
                       set(d, "/edges", Value::array());
                     },
                     "MissingRequiredField", "$.nodes", false},
        NegativeCase{"node_id_duplicate",
                     [](Value& d) { set(d, "/nodes/1/node_id", "capture_objective"); },
                     "DuplicateItem", "$.nodes[1].node_id", false},
        NegativeCase{"node_capability_version_not_semver",
                     [](Value& d) { set(d, "/nodes/0/capability_version", "^1.0.0"); },
                     "InvalidSemver", "$.nodes[0].capability_version"},
        NegativeCase{"node_capability_id_empty",
                     [](Value& d) { set(d, "/nodes/2/capability_id", ""); }, "MissingRequiredField",
                     "$.nodes[2].capability_id"},
        NegativeCase{"node_input_missing", [](Value& d) { erase(d, "/nodes/3/input"); },
                     "MissingRequiredField", "$.nodes[3].input"},
        NegativeCase{"publish_to_state_as_empty",
                     [](Value& d) { set(d, "/nodes/4/output/publish_to_state_as", ""); },
                     "MissingRequiredField", "$.nodes[4].output.publish_to_state_as"},
        NegativeCase{"state_key_wrong_type",
                     [](Value& d) { set(d, "/nodes/0/output/to_workflow_state/1", 7); },
                     "InvalidType", "$.nodes[0].output.to_workflow_state[1]"},
        NegativeCase{"output_projection_duplicate",
                     [](Value& d) { append(d, "/output_projection", "plan"); }, "DuplicateItem",
                     "$.output_projection[5]"},
        NegativeCase{"output_projection_empty_key",
                     [](Value& d) { set(d, "/output_projection/0", ""); }, "MissingRequiredField",
                     "$.output_projection[0]"},
        NegativeCase{"terminal_nodes_empty",
                     [](Value& d) { set(d, "/terminal_nodes", Value::array()); },
                     "InvalidTerminalNode", "$.terminal_nodes"},
        NegativeCase{"terminal_node_unknown",
                     [](Value& d) { set(d, "/terminal_nodes/0", "publish_plan"); },
                     "InvalidTerminalNode", "$.terminal_nodes[0]"},
        NegativeCase{"terminal_node_duplicate",
                     [](Value& d) { append(d, "/terminal_nodes", "assemble_plan"); },
                     "DuplicateItem", "$.terminal_nodes[1]"},
        NegativeCase{"start_node_unknown", [](Value& d) { set(d, "/start_node", "begin"); },
                     "InvalidStartNode", "$.start_node"},
        NegativeCase{"start_node_missing", [](Value& d) { erase(d, "/start_node"); },
                     "MissingRequiredField", "$.start_node"},
        NegativeCase{"edge_id_duplicate",
                     [](Value& d) { set(d, "/edges/1/edge_id", d["edges"][0]["edge_id"]); },
                     "DuplicateItem", "$.edges[1].edge_id"},
        NegativeCase{"edge_id_empty", [](Value& d) { set(d, "/edges/2/edge_id", ""); },
                     "MissingRequiredField", "$.edges[2].edge_id"},
        NegativeCase{"edge_trigger_conditional",
                     [](Value& d) { set(d, "/edges/0/trigger", "conditional"); }, "InvalidLiteral",
                     "$.edges[0].trigger"},
        NegativeCase{"edge_to_unknown_node", [](Value& d) { set(d, "/edges/3/to", "publish"); },
                     "InvalidEdgeReference", "$.edges[3].to", false},
        NegativeCase{"edge_from_unknown_node",
                     [](Value& d) {
                       append(d, "/edges", direct_edge("ghost_edge", "ghost", "assemble_plan"));
                     },
                     "InvalidEdgeReference", "$.edges[4].from"},
        NegativeCase{"direct_edge_with_event",
                     [](Value& d) {
                       set(d, "/edges/0/event",
                           Value{{"event_id", "expedition.planning.objective-captured"},
                                 {"version", "1.0.0"}});
                     },
                     "InvalidEventEdge", "$.edges[0].event"},
        NegativeCase{"direct_edge_with_predicate",
                     [](Value& d) {
                       set(d, "/edges/0/predicate", Value{{"field", "status"}, {"equals", 1}});
                     },
                     "InvalidEventEdge", "$.edges[0].predicate"},
        NegativeCase{"event_edge_without_event",
                     [](Value& d) {
                       Value e = event_edge("e", "capture_objective", "assess_conditions");
                       e.erase("event");
                       append(d, "/edges", e);
                     },
                     "InvalidEventEdge", "$.edges[4].event"},
        NegativeCase{"event_edge_empty_event_id",
                     [](Value& d) {
                       Value e = event_edge("e", "capture_objective", "assess_conditions");
                       e["event"]["event_id"] = "";
                       append(d, "/edges", e);
                     },
                     "InvalidEventEdge", "$.edges[4].event.event_id"},
        NegativeCase{"event_edge_version_not_semver",
                     [](Value& d) {
                       Value e = event_edge("e", "capture_objective", "assess_conditions");
                       e["event"]["version"] = "latest";
                       append(d, "/edges", e);
                     },
                     "InvalidSemver", "$.edges[4].event.version"},
        NegativeCase{"event_edge_predicate_field_empty",
                     [](Value& d) {
                       Value e = event_edge("e", "capture_objective", "assess_conditions");
                       e["predicate"] = {{"field", ""}, {"equals", true}};
                       append(d, "/edges", e);
                     },
                     "InvalidEventEdge", "$.edges[4].predicate.field"},
        NegativeCase{
            "two_event_edges_from_one_node_in_100",
            [](Value& d) {
              append(d, "/edges", event_edge("e1", "capture_objective", "assess_conditions"));
              append(d, "/edges", event_edge("e2", "capture_objective", "validate_readiness"));
            },
            "DuplicateItem", "$.edges[5]"},
        NegativeCase{"two_direct_edges_from_one_node_in_100",
                     [](Value& d) {
                       append(d, "/edges",
                              direct_edge("extra", "capture_objective", "assemble_plan"));
                     },
                     "DuplicateItem", "$.edges[4]"},
        NegativeCase{"cycle",
                     [](Value& d) {
                       append(d, "/edges",
                              direct_edge("loop", "assemble_plan", "capture_objective"));
                     },
                     "DeterministicCycleNotAllowed", "$.edges"},
        NegativeCase{"self_loop_event_edge",
                     [](Value& d) {
                       append(d, "/edges", event_edge("self", "assemble_plan", "assemble_plan"));
                     },
                     "DeterministicCycleNotAllowed", "$.edges"},
        NegativeCase{"unreachable_node",
                     [](Value& d) {
                       append(d, "/nodes",
                              Value{{"node_id", "orphan"},
                                    {"capability_id", "expedition.planning.orphan"},
                                    {"capability_version", "1.0.0"},
                                    {"input", {{"from_workflow_input", Value::array()}}},
                                    {"output", {{"to_workflow_state", Value::array()}}}});
                     },
                     "UnreachableNode", "$.nodes[5]"},
        NegativeCase{"unreachable_after_removed_edge", [](Value& d) { d["edges"].erase(3); },
                     "UnreachableNode", "$.nodes[4]"},
        NegativeCase{"conflicting_parallel_write_in_110",
                     [](Value& d) {
                       set(d, "/schema_version", "1.1.0");
                       // interpret_intent and assess_conditions both after capture: parallel.
                       set(d, "/edges/1/from", "capture_objective");
                       set(d, "/nodes/2/output/to_workflow_state", Value::array({"intent"}));
                     },
                     "ConflictingStateWrite", "$.nodes[2].output.to_workflow_state[0]"},
        NegativeCase{"edges_not_array", [](Value& d) { set(d, "/edges", Value::object()); },
                     "InvalidType", "$.edges", false}),
    test::case_name);

}  // namespace
}  // namespace traverse
