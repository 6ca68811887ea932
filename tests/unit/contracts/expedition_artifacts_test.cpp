// Governing spec: 001-artifact-formats
//
// The expedition example (examples/expedition/) is valid and internally consistent: every
// artifact parses, the bundle holds 6 capabilities, 5 events and 1 workflow, and the workflow's
// data flow matches the contracts of the capabilities it calls (examples/expedition/README.md).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "contracts_test_support.hpp"
#include "traverse/contracts/artifact.hpp"
#include "traverse/contracts/capability_package.hpp"
#include "traverse/contracts/registry_bundle.hpp"
#include "traverse/contracts/schema_validator.hpp"

namespace traverse {
namespace {

std::vector<std::filesystem::path> expedition_artifact_files() {
  std::vector<std::filesystem::path> files;
  for (const char* folder : {"contracts", "events", "workflows", "requests"}) {
    for (const auto& entry : std::filesystem::directory_iterator(test::expedition_dir() / folder)) {
      if (entry.path().extension() == ".json") {
        files.push_back(entry.path());
      }
    }
  }
  files.push_back(test::expedition_dir() / "bundle.json");
  std::sort(files.begin(), files.end());
  return files;
}

RegistryBundle load_bundle() {
  auto bundle = load_registry_bundle(test::expedition_dir() / "bundle.json");
  if (!bundle) {
    ADD_FAILURE() << test::describe(bundle.error());
    return {};
  }
  return *bundle;
}

TEST(ExpeditionArtifacts, EveryFileParsesAndValidates) {
  const auto files = expedition_artifact_files();
  EXPECT_EQ(files.size(), 6U + 5U + 1U + 1U + 1U);
  for (const auto& file : files) {
    const auto artifact = load_artifact(file);
    EXPECT_TRUE(artifact) << file
                          << test::describe(artifact ? ValidationErrors{} : artifact.error());
  }
}

TEST(ExpeditionArtifacts, BundleHoldsSixCapabilitiesFiveEventsOneWorkflow) {
  const RegistryBundle bundle = load_bundle();
  EXPECT_EQ(bundle.scope, Scope::Private);
  EXPECT_EQ(bundle.capabilities.size(), 6U);
  EXPECT_EQ(bundle.events.size(), 5U);
  EXPECT_EQ(bundle.workflows.size(), 1U);
  std::set<std::string> files_in_bundle;
  for (const auto* entries :
       {&bundle.capability_entries, &bundle.event_entries, &bundle.workflow_entries}) {
    for (const auto& entry : *entries) {
      files_in_bundle.insert(std::filesystem::weakly_canonical(entry.path).string());
    }
  }
  for (const auto& file : expedition_artifact_files()) {
    const auto name = file.parent_path().filename().string();
    if (name == "contracts" || name == "events" || name == "workflows") {
      EXPECT_TRUE(files_in_bundle.contains(std::filesystem::weakly_canonical(file).string()))
          << file << " is not listed in bundle.json";
    }
  }
}

TEST(ExpeditionArtifacts, StepsEmitTheirEventAndEventsNameTheirPublisher) {
  const RegistryBundle bundle = load_bundle();
  std::map<std::string, const EventContract*> events;
  for (const auto& event : bundle.events) {
    events.emplace(event.id, &event);
  }
  int steps = 0;
  for (const auto& contract : bundle.capabilities) {
    EXPECT_EQ(contract.namespace_name, "expedition.planning");
    EXPECT_EQ(contract.version, "1.0.0");
    EXPECT_EQ(contract.lifecycle, Lifecycle::Active);
    if (contract.workflow_ref) {
      continue;
    }
    ++steps;
    EXPECT_EQ(contract.service_type, ServiceType::Subscribable) << contract.id;
    EXPECT_EQ(contract.event_trigger, "expedition.planning.plan-requested");
    EXPECT_EQ(contract.permitted_targets, std::vector<ExecutionTarget>{ExecutionTarget::Local});
    EXPECT_EQ(contract.preferred_targets, std::vector<ExecutionTarget>{ExecutionTarget::Local});
    EXPECT_EQ(contract.entrypoint_command, "run");
    EXPECT_EQ(contract.constraints, ExecutionConstraints{});
    ASSERT_EQ(contract.emits.size(), 1U) << contract.id;
    const auto event = events.find(contract.emits[0].event_id);
    ASSERT_NE(event, events.end()) << contract.emits[0].event_id;
    EXPECT_EQ(event->second->version, contract.emits[0].version);
    ASSERT_EQ(event->second->publishers.size(), 1U);
    EXPECT_EQ(event->second->publishers[0].capability_id, contract.id);
    EXPECT_EQ(event->second->payload_schema["required"], Value::array({"objective_id"}));
  }
  EXPECT_EQ(steps, 5);
}

// The reference registry's schema flow rule (docs/workflows.md), applied to the example: every
// key a node reads is available (workflow input or an earlier node's state key) with the same
// JSON Schema `type`, and every key a node writes is declared by its capability's output.
TEST(ExpeditionArtifacts, WorkflowDataFlowMatchesCapabilityContracts) {
  const RegistryBundle bundle = load_bundle();
  ASSERT_EQ(bundle.workflows.size(), 1U);
  const WorkflowDefinition& workflow = bundle.workflows[0];
  std::map<std::string, const CapabilityContract*> capabilities;
  for (const auto& contract : bundle.capabilities) {
    capabilities.emplace(contract.key(), &contract);
  }
  std::map<std::string, Value> available;  // state key -> its schema
  for (const auto& [key, schema] : workflow.input_schema["properties"].items()) {
    available.emplace(key, schema);
  }
  // Linear workflow: follow direct edges from start_node.
  std::string node_id = workflow.start_node;
  std::size_t visited = 0;
  while (!node_id.empty()) {
    const WorkflowNode* node = workflow.find_node(node_id);
    ASSERT_NE(node, nullptr) << node_id;
    ++visited;
    const auto capability = capabilities.find(node->capability_id + "@" + node->capability_version);
    ASSERT_NE(capability, capabilities.end()) << node->capability_id;
    const Value& input = capability->second->input_schema;
    const Value& output = capability->second->output_schema;
    EXPECT_EQ(input["required"].size(), node->from_workflow_input.size()) << node_id;
    for (const auto& key : node->from_workflow_input) {
      ASSERT_TRUE(available.contains(key)) << node_id << " reads unavailable key " << key;
      ASSERT_TRUE(input["properties"].contains(key)) << node_id << " input lacks " << key;
      EXPECT_EQ(input["properties"][key], available[key]) << node_id << " key " << key;
    }
    EXPECT_EQ(output["required"].size(), node->to_workflow_state.size()) << node_id;
    for (const auto& key : node->to_workflow_state) {
      ASSERT_TRUE(output["properties"].contains(key)) << node_id << " output lacks " << key;
      available[key] = output["properties"][key];
    }
    std::string next;
    for (const auto& edge : workflow.edges) {
      if (edge.from == node_id) {
        next = edge.to;
      }
    }
    node_id = next;
  }
  EXPECT_EQ(visited, 5U);
  for (const auto& key : workflow.output_projection) {
    ASSERT_TRUE(available.contains(key)) << key;
    EXPECT_EQ(workflow.output_schema["properties"][key], available[key]) << key;
  }
  EXPECT_EQ(workflow.output_schema["required"].size(), workflow.output_projection.size());
}

TEST(ExpeditionArtifacts, EverySchemaCompilesAndTheExampleInputIsValid) {
  const RegistryBundle bundle = load_bundle();
  for (const auto& contract : bundle.capabilities) {
    EXPECT_TRUE(SchemaValidator::compile(contract.input_schema)) << contract.id;
    EXPECT_TRUE(SchemaValidator::compile(contract.output_schema)) << contract.id;
  }
  for (const auto& event : bundle.events) {
    EXPECT_TRUE(SchemaValidator::compile(event.payload_schema)) << event.id;
  }
  const Value input = test::read_json(test::expedition_dir() / "inputs" / "plan-expedition.json");
  for (const Value* schema :
       {&bundle.workflows[0].input_schema, &bundle.capabilities.back().input_schema}) {
    const auto validator = SchemaValidator::compile(*schema);
    ASSERT_TRUE(validator);
    EXPECT_EQ(validator->validate(input), ValidationErrors{});
  }
  // The contracts are closed: an unexpected member is a violation.
  Value extra = input;
  extra["budget_eur"] = 1200;
  const auto validator = SchemaValidator::compile(bundle.workflows[0].input_schema);
  ASSERT_TRUE(validator);
  EXPECT_FALSE(validator->is_valid(extra));
}

TEST(ExpeditionArtifacts, StepPackagesLoadAgainstTheContracts) {
  const auto folder = test::expedition_dir() / "capabilities";
  std::set<std::string> packaged;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const auto manifest = entry.path() / "package.json";
    if (!std::filesystem::is_regular_file(manifest)) {
      continue;
    }
    const auto package = load_capability_package(manifest);
    ASSERT_TRUE(package) << manifest << test::describe(package.error());
    EXPECT_EQ(package->contract_path.filename(), entry.path().filename().string() + ".json");
    packaged.insert(package->contract.id);
  }
  std::set<std::string> steps;
  for (const auto& contract : load_bundle().capabilities) {
    if (!contract.workflow_ref) {
      steps.insert(contract.id);
    }
  }
  EXPECT_EQ(packaged, steps);
}

TEST(ExpeditionArtifacts, CompositeWrapsTheWorkflowWithTheSameSchemas) {
  const RegistryBundle bundle = load_bundle();
  const CapabilityContract* composite = nullptr;
  for (const auto& contract : bundle.capabilities) {
    if (contract.workflow_ref) {
      composite = &contract;
    }
  }
  ASSERT_NE(composite, nullptr);
  EXPECT_EQ(composite->id, "expedition.planning.plan-expedition");
  EXPECT_EQ(composite->workflow_ref->workflow_id, bundle.workflows[0].id);
  EXPECT_EQ(composite->workflow_ref->workflow_version, bundle.workflows[0].version);
  EXPECT_EQ(composite->input_schema, bundle.workflows[0].input_schema);
  EXPECT_EQ(composite->output_schema, bundle.workflows[0].output_schema);
}

TEST(ExpeditionArtifacts, RequestRunsTheCompositeWithTheReadmeInput) {
  const auto request =
      load_runtime_request(test::expedition_dir() / "requests" / "plan-expedition.json");
  ASSERT_TRUE(request) << test::describe(request.error());
  EXPECT_EQ(request->capability_id, "expedition.planning.plan-expedition");
  EXPECT_EQ(request->scope, LookupScope::PreferPrivate) << "the bundle is private";
  const Value input = test::read_json(test::expedition_dir() / "inputs" / "plan-expedition.json");
  EXPECT_EQ(request->input, input);
  EXPECT_EQ(input["objective"], "Summit Mont Blanc by the Gouter route");
  EXPECT_EQ(input["duration_days"], 4);
  ASSERT_EQ(input["team"].size(), 3U);
  // The input has exactly the workflow's required keys.
  const RegistryBundle bundle = load_bundle();
  const Value& schema = bundle.workflows[0].input_schema;
  std::set<std::string> required;
  for (const auto& key : schema["required"]) {
    required.insert(key.get<std::string>());
  }
  std::set<std::string> given;
  for (const auto& [key, value] : input.items()) {
    given.insert(key);
  }
  EXPECT_EQ(given, required);
}

}  // namespace
}  // namespace traverse
