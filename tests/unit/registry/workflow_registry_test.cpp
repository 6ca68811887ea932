// Governing spec: 001-artifact-formats
#include "traverse/registry/workflow_registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "registry_test_support.hpp"
#include "traverse/registry/workflow_checks.hpp"

namespace traverse {
namespace {

using registry_test::direct_edge;
using registry_test::event_edge;
using registry_test::make_capability;
using registry_test::make_node;
using registry_test::make_workflow;
using registry_test::object_schema;

void add(CapabilityRegistry& registry, Scope scope, const CapabilityContract& contract) {
  auto result =
      registry.register_capability(scope, contract, ArtifactReference::native(contract.id));
  ASSERT_TRUE(result.has_value()) << to_string(result.error());
}

// "code@path" of every error, for compact assertions.
std::vector<std::string> codes_at(const ValidationErrors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) {
    out.push_back(e.code() + "@" + e.path());
  }
  return out;
}

class WorkflowRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = make_capability("demo.step-a", "1.0.0");
    a.input_schema = object_schema({{"name", {{"type", "string"}}}});
    a.output_schema =
        object_schema({{"greeting", {{"type", "string"}}}, {"count", {{"type", "integer"}}}});
    a.emits = {{"demo.step-a.done", "1.0.0"}};
    auto b = make_capability("demo.step-b", "1.0.0");
    b.input_schema = object_schema({{"greeting", {{"type", "string"}}}});
    b.output_schema = Value{{"type", "object"}};  // open output
    add(capabilities_, Scope::Public, a);
    add(capabilities_, Scope::Public, b);
  }

  WorkflowDefinition two_step(const std::string& version = "1.0.0") {
    return make_workflow("demo.flow", version,
                         {make_node("a", "demo.step-a", "1.0.0", {"name"}, {"greeting"}),
                          make_node("b", "demo.step-b", "1.0.0", {"greeting"}, {"result"})},
                         {}, object_schema({{"name", {{"type", "string"}}}}));
  }

  CapabilityRegistry capabilities_;
  WorkflowRegistry workflows_;
};

TEST_F(WorkflowRegistryTest, RegistersWorkflowWhoseNodesResolveAndIndexesIt) {
  auto flow = two_step();
  flow.edges = {event_edge("e1", "a", "b", {"demo.step-a.done", "1.0.0"})};
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_, "test");
  ASSERT_TRUE(result.has_value()) << ::testing::PrintToString(codes_at(result.error()));
  EXPECT_EQ(result->status, RegistrationStatus::Registered);
  EXPECT_EQ(result->record->participating_capabilities,
            (std::vector<std::string>{"demo.step-a@1.0.0", "demo.step-b@1.0.0"}));
  EXPECT_EQ(result->record->events_used, (std::vector<std::string>{"demo.step-a.done@1.0.0"}));
  EXPECT_EQ(result->record->origin, "test");
  auto found = workflows_.find_exact("demo.flow", "1.0.0");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->get(), result->record.get());
}

TEST_F(WorkflowRegistryTest, UnknownCapabilityIsMissingReferenceAtTheNode) {
  auto flow = two_step();
  flow.nodes[1].capability_id = "demo.unknown";
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  ASSERT_FALSE(result.has_value());
  ASSERT_FALSE(result.error().empty());
  EXPECT_EQ(result.error()[0].code(), "MissingReference");
  EXPECT_EQ(result.error()[0].path(), "$.nodes[1]");
  EXPECT_NE(result.error()[0].message().find("demo.unknown@1.0.0"), std::string::npos);
  EXPECT_EQ(workflows_.size(), 0U);
}

TEST_F(WorkflowRegistryTest, NodeVersionMustExistExactly) {
  auto flow = two_step();
  flow.nodes[0].capability_version = "1.0.1";
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(codes_at(result.error())[0], "MissingReference@$.nodes[0]");
}

TEST_F(WorkflowRegistryTest, PublicWorkflowCannotUsePrivateCapabilityButPrivateWorkflowCan) {
  auto hidden = make_capability("demo.hidden", "1.0.0");
  add(capabilities_, Scope::Private, hidden);
  auto flow = make_workflow(
      "demo.uses-hidden", "1.0.0",
      {make_node("a", "demo.step-a", "1.0.0"), make_node("h", "demo.hidden", "1.0.0")});
  auto as_public = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  ASSERT_FALSE(as_public.has_value());
  EXPECT_EQ(codes_at(as_public.error()), (std::vector<std::string>{"MissingReference@$.nodes[1]"}));
  // Private workflows see private capabilities first and fall back to public ones (step-a).
  auto as_private = workflows_.register_workflow(Scope::Private, flow, capabilities_);
  ASSERT_TRUE(as_private.has_value()) << ::testing::PrintToString(codes_at(as_private.error()));
  EXPECT_EQ(as_private->record->scope, Scope::Private);
}

TEST_F(WorkflowRegistryTest, EventEdgeMustUseAnEventTheSourceCapabilityEmits) {
  auto flow = two_step();
  flow.edges = {event_edge("e1", "a", "b", {"demo.step-a.other", "1.0.0"})};
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(codes_at(result.error()),
            (std::vector<std::string>{"InvalidEventEdge@$.edges[0].event"}));
  EXPECT_NE(result.error()[0].message().find("demo.step-a.done@1.0.0"), std::string::npos);

  flow.edges = {event_edge("e1", "a", "b", {"demo.step-a.done", "2.0.0"})};  // wrong version
  EXPECT_FALSE(workflows_.register_workflow(Scope::Public, flow, capabilities_).has_value());
}

TEST_F(WorkflowRegistryTest, KeyNotYetAvailableIsEdgeSchemaMismatch) {
  auto flow = two_step();
  flow.nodes[1].from_workflow_input = {"greeting", "missing_key"};
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(
      codes_at(result.error()),
      (std::vector<std::string>{"EdgeSchemaMismatch@$.nodes[1].input.from_workflow_input[1]"}));
  EXPECT_NE(result.error()[0].message().find("missing_key"), std::string::npos);
}

TEST_F(WorkflowRegistryTest, KeyTypeMustEqualTheCapabilityInputType) {
  auto flow = two_step();
  flow.input_schema = object_schema({{"name", {{"type", "integer"}}}});  // step-a wants string
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(
      codes_at(result.error()),
      (std::vector<std::string>{"EdgeSchemaMismatch@$.nodes[0].input.from_workflow_input[0]"}));
  EXPECT_NE(result.error()[0].message().find("integer"), std::string::npos);
  EXPECT_NE(result.error()[0].message().find("string"), std::string::npos);
}

TEST_F(WorkflowRegistryTest, KeyMustBeAPropertyOfTheCapabilityInput) {
  auto flow = two_step();
  flow.input_schema =
      object_schema({{"name", {{"type", "string"}}}, {"extra", {{"type", "string"}}}});
  flow.nodes[0].from_workflow_input = {"name", "extra"};
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(
      codes_at(result.error()),
      (std::vector<std::string>{"EdgeSchemaMismatch@$.nodes[0].input.from_workflow_input[1]"}));
}

TEST_F(WorkflowRegistryTest, OutputKeyMustBeDeclaredByTheCapabilityOutput) {
  auto flow = two_step();
  flow.nodes[0].to_workflow_state = {"greeting", "farewell"};
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(
      codes_at(result.error()),
      (std::vector<std::string>{"EdgeSchemaMismatch@$.nodes[0].output.to_workflow_state[1]"}));
}

TEST_F(WorkflowRegistryTest, OpenOutputKeysCountAsObjects) {
  // step-b's output is open: its "result" key is available with type "object".
  auto consumer = make_capability("demo.step-c", "1.0.0");
  consumer.input_schema = object_schema({{"result", {{"type", "object"}}}});
  auto strict = make_capability("demo.step-d", "1.0.0");
  strict.input_schema = object_schema({{"result", {{"type", "string"}}}});
  add(capabilities_, Scope::Public, consumer);
  add(capabilities_, Scope::Public, strict);
  auto flow = two_step();
  flow.nodes.push_back(make_node("c", "demo.step-c", "1.0.0", {"result"}));
  flow.edges.push_back(direct_edge("e9", "b", "c"));
  flow.terminal_nodes = {"c"};
  EXPECT_TRUE(workflows_.register_workflow(Scope::Public, flow, capabilities_).has_value());

  flow.version = "1.0.1";
  flow.nodes[2].capability_id = "demo.step-d";
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(
      codes_at(result.error()),
      (std::vector<std::string>{"EdgeSchemaMismatch@$.nodes[2].input.from_workflow_input[0]"}));
}

TEST_F(WorkflowRegistryTest, SchemaFlowFollowsTopologicalOrderNotArrayOrder) {
  // Node "b" is listed first but runs second: its read of "greeting" (written by "a") is valid.
  auto flow =
      make_workflow("demo.reordered", "1.0.0",
                    {make_node("b", "demo.step-b", "1.0.0", {"greeting"}),
                     make_node("a", "demo.step-a", "1.0.0", {"name"}, {"greeting"})},
                    {direct_edge("e1", "a", "b")}, object_schema({{"name", {{"type", "string"}}}}));
  flow.start_node = "a";
  flow.terminal_nodes = {"b"};
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  EXPECT_TRUE(result.has_value()) << ::testing::PrintToString(codes_at(result.error()));
}

TEST_F(WorkflowRegistryTest, SchemaFlowIsSkippedWithoutDeclaredWorkflowInputProperties) {
  auto flow = two_step();
  flow.input_schema = Value{{"type", "object"}};
  flow.nodes[1].from_workflow_input = {"anything"};
  EXPECT_TRUE(workflows_.register_workflow(Scope::Public, flow, capabilities_).has_value());
}

TEST_F(WorkflowRegistryTest, ParallelWorkflowBranchCannotReadItsSiblingsWrites) {
  auto writer = make_capability("demo.writer", "1.0.0");
  writer.output_schema = object_schema({{"left", {{"type", "string"}}}});
  auto reader = make_capability("demo.reader", "1.0.0");
  reader.input_schema = object_schema({{"left", {{"type", "string"}}}});
  add(capabilities_, Scope::Public, writer);
  add(capabilities_, Scope::Public, reader);
  // start → (w, r) in parallel → join. r reads what w writes: not guaranteed to exist.
  auto flow = make_workflow("demo.parallel", "1.0.0",
                            {make_node("start", "demo.step-b", "1.0.0"),
                             make_node("w", "demo.writer", "1.0.0", {}, {"left"}),
                             make_node("r", "demo.reader", "1.0.0", {"left"}),
                             make_node("join", "demo.reader", "1.0.0", {"left"})},
                            {direct_edge("e1", "start", "w"), direct_edge("e2", "start", "r"),
                             direct_edge("e3", "w", "join"), direct_edge("e4", "r", "join")},
                            object_schema({{"name", {{"type", "string"}}}}));
  flow.schema_version = "1.1.0";
  flow.terminal_nodes = {"join"};
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  ASSERT_FALSE(result.has_value());
  // Only the sibling read fails; the join sees "left" through its predecessor w.
  EXPECT_EQ(
      codes_at(result.error()),
      (std::vector<std::string>{"EdgeSchemaMismatch@$.nodes[2].input.from_workflow_input[0]"}));
}

TEST_F(WorkflowRegistryTest, EveryViolationIsReported) {
  auto flow = two_step();
  flow.nodes[0].capability_id = "demo.gone";
  flow.nodes.push_back(make_node("c", "demo.also-gone", "1.0.0"));
  flow.edges = {direct_edge("e1", "a", "b"), direct_edge("e2", "b", "c")};
  flow.nodes[1].from_workflow_input = {"greeting", "nowhere"};
  auto result = workflows_.register_workflow(Scope::Public, flow, capabilities_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(
      codes_at(result.error()),
      (std::vector<std::string>{"MissingReference@$.nodes[0]", "MissingReference@$.nodes[2]",
                                "EdgeSchemaMismatch@$.nodes[1].input.from_workflow_input[1]"}));
}

TEST_F(WorkflowRegistryTest, VersionIsImmutableButIdenticalReRegistrationIsANoOp) {
  auto first = workflows_.register_workflow(Scope::Public, two_step(), capabilities_);
  ASSERT_TRUE(first.has_value());
  auto again = workflows_.register_workflow(Scope::Public, two_step(), capabilities_);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, RegistrationStatus::AlreadyRegistered);
  EXPECT_EQ(again->record.get(), first->record.get());

  auto changed = two_step();
  changed.summary = "Changed summary under the same version";
  auto conflict = workflows_.register_workflow(Scope::Public, changed, capabilities_);
  ASSERT_FALSE(conflict.has_value());
  EXPECT_EQ(codes_at(conflict.error()), (std::vector<std::string>{"ImmutableVersionConflict@$"}));
  EXPECT_EQ(workflows_.size(), 1U);
  EXPECT_TRUE(workflows_.check_registration(Scope::Public, two_step(), capabilities_).empty());
  EXPECT_EQ(workflows_.check_registration(Scope::Public, changed, capabilities_).size(), 1U);
}

TEST_F(WorkflowRegistryTest, NonSemverVersionIsInvalidSemver) {
  auto result = workflows_.register_workflow(Scope::Public, two_step("v1"), capabilities_);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(codes_at(result.error()), (std::vector<std::string>{"InvalidSemver@$.version"}));
}

TEST_F(WorkflowRegistryTest, LookupByIdIsAmbiguousWithSeveralVersions) {
  ASSERT_TRUE(workflows_.register_workflow(Scope::Public, two_step("1.0.0"), capabilities_));
  auto single = workflows_.find_by_id("demo.flow");
  ASSERT_TRUE(single.has_value());
  ASSERT_TRUE(workflows_.register_workflow(Scope::Public, two_step("1.2.0"), capabilities_));
  auto both = workflows_.find_by_id("demo.flow");
  ASSERT_FALSE(both.has_value());
  EXPECT_EQ(both.error().kind(), RegistryErrorCode::Ambiguous);
  EXPECT_NE(both.error().message().find("demo.flow@1.2.0"), std::string::npos);
  EXPECT_EQ(workflows_.find_exact("demo.flow", "2.0.0").error().kind(),
            RegistryErrorCode::NotFound);
  EXPECT_EQ(workflows_.find_exact("demo.flow", "x").error().kind(),
            RegistryErrorCode::InvalidRange);
  EXPECT_EQ(workflows_.list().size(), 2U);
  EXPECT_EQ(workflows_.list().front()->definition.version, "1.0.0");
}

TEST_F(WorkflowRegistryTest, PreferPrivateLookupFindsPrivateWorkflowsPublicOnlyDoesNot) {
  ASSERT_TRUE(workflows_.register_workflow(Scope::Private, two_step(), capabilities_));
  EXPECT_TRUE(workflows_.find_exact("demo.flow", "1.0.0", LookupScope::PreferPrivate).has_value());
  EXPECT_EQ(workflows_.find_exact("demo.flow", "1.0.0", LookupScope::PublicOnly).error().kind(),
            RegistryErrorCode::NotFound);
}

TEST_F(WorkflowRegistryTest, RegistrationBeyondTheBoundIsCapacityExceeded) {
  WorkflowRegistry small(WorkflowRegistryLimits{1});
  ASSERT_TRUE(small.register_workflow(Scope::Public, two_step("1.0.0"), capabilities_));
  auto full = small.register_workflow(Scope::Public, two_step("1.0.1"), capabilities_);
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(codes_at(full.error()), (std::vector<std::string>{"CapacityExceeded@$"}));
}

TEST(WorkflowChecks, ResolverIsAskedForEveryNodeAtItsExactVersion) {
  std::vector<std::string> asked;
  auto flow = make_workflow("demo.flow", "1.0.0",
                            {make_node("a", "demo.x", "1.2.3"), make_node("b", "demo.y", "0.1.0")});
  auto errors =
      check_workflow_against_capabilities(flow, [&](std::string_view id, std::string_view version) {
        asked.push_back(std::string(id) + "@" + std::string(version));
        return std::shared_ptr<const CapabilityContract>(nullptr);
      });
  EXPECT_EQ(asked, (std::vector<std::string>{"demo.x@1.2.3", "demo.y@0.1.0"}));
  EXPECT_EQ(errors.size(), 2U);
}

}  // namespace
}  // namespace traverse
