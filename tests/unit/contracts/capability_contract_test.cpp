// Governing spec: 001-artifact-formats
#include "traverse/contracts/capability_contract.hpp"

#include <gtest/gtest.h>

#include <string>

#include "contracts_test_support.hpp"

namespace traverse {
namespace {

using test::NegativeCase;

Value step_contract() {
  return test::read_json(test::expedition_dir() / "contracts" /
                         "capture-expedition-objective.json");
}
Value composite_contract() {
  return test::read_json(test::expedition_dir() / "contracts" / "plan-expedition.json");
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

TEST(CapabilityContract, ParsesExpeditionStepWithEveryField) {
  const auto contract = parse_capability_contract(step_contract());
  ASSERT_TRUE(contract) << test::describe(contract.error());
  EXPECT_EQ(contract->id, "expedition.planning.capture-expedition-objective");
  EXPECT_EQ(contract->namespace_name, "expedition.planning");
  EXPECT_EQ(contract->name, "capture-expedition-objective");
  EXPECT_EQ(contract->version, "1.0.0");
  EXPECT_EQ(contract->key(), "expedition.planning.capture-expedition-objective@1.0.0");
  EXPECT_EQ(contract->lifecycle, Lifecycle::Active);
  EXPECT_EQ(contract->owner.team, "expedition-planning");
  EXPECT_EQ(contract->service_type, ServiceType::Subscribable);
  EXPECT_EQ(contract->event_trigger, "expedition.planning.plan-requested");
  EXPECT_EQ(contract->permitted_targets, std::vector<ExecutionTarget>{ExecutionTarget::Local});
  EXPECT_EQ(contract->preferred_targets, std::vector<ExecutionTarget>{ExecutionTarget::Local});
  EXPECT_EQ(contract->binary_format, "wasm");
  EXPECT_EQ(contract->entrypoint_kind, "wasi-command");
  EXPECT_EQ(contract->entrypoint_command, "run");
  EXPECT_EQ(contract->constraints, ExecutionConstraints{});
  ASSERT_EQ(contract->emits.size(), 1U);
  EXPECT_EQ(contract->emits[0],
            (EventReference{"expedition.planning.objective-captured", "1.0.0"}));
  EXPECT_TRUE(contract->consumes.empty());
  EXPECT_EQ(contract->input_schema.value("type", ""), "object");
  EXPECT_EQ(contract->output_schema["required"],
            Value::array({"objective_id", "captured_objective"}));
  EXPECT_FALSE(contract->workflow_ref.has_value());
  EXPECT_EQ(contract->artifact_type, "wasm");
  EXPECT_EQ(contract->document, step_contract());
}

TEST(CapabilityContract, ReadsWorkflowRefOfCompositeCapability) {
  const auto contract = parse_capability_contract(composite_contract());
  ASSERT_TRUE(contract) << test::describe(contract.error());
  ASSERT_TRUE(contract->workflow_ref.has_value());
  EXPECT_EQ(contract->workflow_ref->workflow_id, "plan-expedition");
  EXPECT_EQ(contract->workflow_ref->workflow_version, "1.0.0");
  EXPECT_EQ(contract->service_type, ServiceType::Stateless);
}

TEST(CapabilityContract, AcceptsTopLevelWorkflowRef) {
  Value doc = composite_contract();
  erase(doc, "/composability/workflow_ref");
  set(doc, "/workflow_ref", Value{{"workflow_id", "other-flow"}, {"workflow_version", "2.1.0"}});
  const auto contract = parse_capability_contract(doc);
  ASSERT_TRUE(contract) << test::describe(contract.error());
  ASSERT_TRUE(contract->workflow_ref.has_value());
  EXPECT_EQ(contract->workflow_ref->workflow_id, "other-flow");
  EXPECT_EQ(contract->workflow_ref->workflow_version, "2.1.0");
}

TEST(CapabilityContract, AppliesReferenceDefaults) {
  Value doc = step_contract();
  for (const char* key :
       {"service_type", "event_trigger", "permitted_targets", "artifact_type", "composability"}) {
    doc.erase(key);
  }
  const auto contract = parse_capability_contract(doc);
  ASSERT_TRUE(contract) << test::describe(contract.error());
  EXPECT_EQ(contract->service_type, ServiceType::Stateless);
  EXPECT_FALSE(contract->event_trigger.has_value());
  EXPECT_EQ(contract->permitted_targets,
            (std::vector<ExecutionTarget>{ExecutionTarget::Local, ExecutionTarget::Browser,
                                          ExecutionTarget::Edge, ExecutionTarget::Cloud,
                                          ExecutionTarget::Worker, ExecutionTarget::Device}));
  EXPECT_TRUE(contract->artifact_type.empty());
}

TEST(CapabilityContract, IgnoresUnknownFields) {
  Value doc = step_contract();
  set(doc, "/x_vendor_note", "kept in document, not interpreted");
  set(doc, "/execution/x_extra", Value{{"a", 1}});
  const auto contract = parse_capability_contract(doc);
  ASSERT_TRUE(contract) << test::describe(contract.error());
  EXPECT_EQ(contract->document["x_vendor_note"], "kept in document, not interpreted");
}

TEST(CapabilityContract, AcceptsOptionalSectionsWhenWellFormed) {
  Value doc = step_contract();
  set(doc, "/connector_requirements",
      Value::array({Value{{"connector_id", "weather.forecast"}, {"version", "^1.2"}},
                    Value{{"connector_id", "maps.elevation"}, {"version", ">=1.0.0 <2.0.0"}}}));
  set(doc, "/use_cases",
      Value::array({Value{{"scenario", "summer ascent"},
                          {"input_example", Value::object()},
                          {"output_example", Value::object()},
                          {"happy", true},
                          {"persona_ref", "planner"}}}));
  set(doc, "/state_schema", Value{{"type", "object"}});
  set(doc, "/execution/constraints/host_api_access", "exception_required");
  set(doc, "/provenance/exception_refs", Value::array({"EXC-7"}));
  const auto contract = parse_capability_contract(doc);
  ASSERT_TRUE(contract) << test::describe(contract.error());
  EXPECT_EQ(contract->constraints.host_api_access, "exception_required");
  EXPECT_EQ(contract->exception_refs, std::vector<std::string>{"EXC-7"});
}

TEST(CapabilityContract, ReportsEveryViolationNotJustTheFirst) {
  Value doc = step_contract();
  set(doc, "/version", "one");
  set(doc, "/lifecycle", "live");
  erase(doc, "/owner/contact");
  set(doc, "/emits/0/version", "x");
  const auto result = parse_capability_contract(doc);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().size(), 4U) << test::describe(result.error());
  EXPECT_TRUE(test::contains(result.error(), "InvalidSemver", "$.version"));
  EXPECT_TRUE(test::contains(result.error(), "InvalidLiteral", "$.lifecycle"));
  EXPECT_TRUE(test::contains(result.error(), "MissingRequiredField", "$.owner.contact"));
  EXPECT_TRUE(test::contains(result.error(), "InvalidSemver", "$.emits[0].version"));
}

TEST(CapabilityContract, WrongTypesEverywhereNeverThrow) {
  // Replace every top-level member by a value of each other JSON type.
  const Value base = step_contract();
  const Value replacements[] = {Value(),
                                Value(true),
                                Value(7),
                                Value(1.5),
                                Value("text"),
                                Value::array({1, "a"}),
                                Value::object({{"k", Value()}})};
  for (const auto& [key, original] : base.items()) {
    for (const auto& replacement : replacements) {
      Value doc = base;
      doc[key] = replacement;
      const auto result = parse_capability_contract(doc);
      if (!result) {
        for (const auto& error : result.error()) {
          EXPECT_FALSE(error.code().empty());
          EXPECT_TRUE(error.path().starts_with("$")) << error.path();
        }
      }
    }
  }
}

TEST(CapabilityContract, LoadReportsFileIoAndJsonErrors) {
  test::TempDir dir;
  const auto missing = load_capability_contract(dir.path() / "absent.json");
  ASSERT_FALSE(missing);
  ASSERT_EQ(missing.error().size(), 1U);
  EXPECT_EQ(missing.error()[0].code(), "IoError");
  EXPECT_EQ(missing.error()[0].file(), (dir.path() / "absent.json").string());

  test::write_text(dir.path() / "broken.json",
                   "{\n  \"kind\": \"capability_contract\",\n  oops\n}");
  const auto broken = load_capability_contract(dir.path() / "broken.json");
  ASSERT_FALSE(broken);
  ASSERT_EQ(broken.error().size(), 1U);
  EXPECT_EQ(broken.error()[0].code(), "InvalidJson");
  EXPECT_EQ(broken.error()[0].path(), "$");
  EXPECT_NE(broken.error()[0].message().find("line 3"), std::string::npos)
      << broken.error()[0].message();

  Value doc = step_contract();
  set(doc, "/version", "1.0");
  test::write_json(dir.path() / "bad.json", doc);
  const auto bad = load_capability_contract(dir.path() / "bad.json");
  ASSERT_FALSE(bad);
  ASSERT_EQ(bad.error().size(), 1U);
  EXPECT_EQ(bad.error()[0].file(), (dir.path() / "bad.json").string());
  EXPECT_EQ(bad.error()[0].path(), "$.version");
}

// One invalid contract per validation rule (docs/formats.md, "Capability contract").
class CapabilityContractRejects : public testing::TestWithParam<NegativeCase> {};

TEST_P(CapabilityContractRejects, WithExpectedCodeAndPath) {
  const NegativeCase& c = GetParam();
  Value doc = c.name.starts_with("composite") ? composite_contract() : step_contract();
  c.mutate(doc);
  const auto result = parse_capability_contract(doc);
  ASSERT_FALSE(result.has_value()) << c.name << " was accepted";
  test::expect_case(c, result.error());
}

const std::string kLongSummary(201, 'a');

INSTANTIATE_TEST_SUITE_P(
    Rules, CapabilityContractRejects,
    testing::Values(
        NegativeCase{"not_an_object", [](Value& d) { d = Value::array({1}); }, "InvalidType", "$"},
        NegativeCase{"kind_literal", [](Value& d) { set(d, "/kind", "event_contract"); },
                     "InvalidLiteral", "$.kind"},
        NegativeCase{"schema_version_literal", [](Value& d) { set(d, "/schema_version", "2.0.0"); },
                     "InvalidLiteral", "$.schema_version"},
        NegativeCase{"missing_id", [](Value& d) { erase(d, "/id"); }, "MissingRequiredField",
                     "$.id"},
        NegativeCase{"id_wrong_type", [](Value& d) { set(d, "/id", 42); }, "InvalidType", "$.id"},
        NegativeCase{"name_format",
                     [](Value& d) {
                       set(d, "/name", "Capture_Objective");
                       set(d, "/id", "expedition.planning.Capture_Objective");
                     },
                     "InvalidIdentifier", "$.name"},
        NegativeCase{"namespace_format",
                     [](Value& d) {
                       set(d, "/namespace", "expedition..planning");
                       set(d, "/id", "expedition..planning.capture-expedition-objective");
                     },
                     "InvalidIdentifier", "$.namespace"},
        NegativeCase{"id_not_namespace_dot_name",
                     [](Value& d) { set(d, "/id", "expedition.planning.capture-objective"); },
                     "InconsistentIdentity", "$.id"},
        NegativeCase{"version_not_semver", [](Value& d) { set(d, "/version", "1.0"); },
                     "InvalidSemver", "$.version"},
        NegativeCase{"lifecycle_literal", [](Value& d) { set(d, "/lifecycle", "live"); },
                     "InvalidLiteral", "$.lifecycle"},
        NegativeCase{"owner_team_empty", [](Value& d) { set(d, "/owner/team", "  "); },
                     "MissingRequiredField", "$.owner.team"},
        NegativeCase{"owner_missing", [](Value& d) { erase(d, "/owner"); }, "MissingRequiredField",
                     "$.owner"},
        NegativeCase{"summary_too_short", [](Value& d) { set(d, "/summary", "  Captures  "); },
                     "InvalidLength", "$.summary"},
        NegativeCase{"summary_too_long", [](Value& d) { set(d, "/summary", kLongSummary); },
                     "InvalidLength", "$.summary"},
        NegativeCase{"description_too_short",
                     [](Value& d) { set(d, "/description", "Captures things."); }, "InvalidLength",
                     "$.description"},
        NegativeCase{"banned_wording",
                     [](Value& d) {
                       set(d, "/description",
                           "A Subsystem that captures expedition objectives for planners.");
                     },
                     "InvalidCapabilityBoundary", "$.description"},
        NegativeCase{"banned_wording_in_summary",
                     [](Value& d) { set(d, "/summary", "A helper function for objectives."); },
                     "InvalidCapabilityBoundary", "$.summary"},
        NegativeCase{"input_schema_not_object",
                     [](Value& d) { set(d, "/inputs/schema", "object"); }, "InvalidType",
                     "$.inputs.schema"},
        NegativeCase{"output_schema_missing", [](Value& d) { erase(d, "/outputs/schema"); },
                     "MissingRequiredField", "$.outputs.schema"},
        NegativeCase{"duplicate_precondition_id",
                     [](Value& d) { append(d, "/preconditions", d["preconditions"][0]); },
                     "DuplicateItem", "$.preconditions[1].id"},
        NegativeCase{"postcondition_description_empty",
                     [](Value& d) { set(d, "/postconditions/0/description", ""); },
                     "MissingRequiredField", "$.postconditions[0].description"},
        NegativeCase{"no_side_effects", [](Value& d) { set(d, "/side_effects", Value::array()); },
                     "MissingRequiredField", "$.side_effects"},
        NegativeCase{"side_effect_kind_literal",
                     [](Value& d) { set(d, "/side_effects/0/kind", "network"); }, "InvalidLiteral",
                     "$.side_effects[0].kind"},
        NegativeCase{"emits_version_not_semver",
                     [](Value& d) { set(d, "/emits/0/version", "one"); }, "InvalidSemver",
                     "$.emits[0].version"},
        NegativeCase{"emits_duplicate", [](Value& d) { append(d, "/emits", d["emits"][0]); },
                     "DuplicateItem", "$.emits[1]"},
        NegativeCase{"consumes_empty_event_id",
                     [](Value& d) {
                       append(d, "/consumes", Value{{"event_id", ""}, {"version", "1.0.0"}});
                     },
                     "MissingRequiredField", "$.consumes[0].event_id"},
        NegativeCase{"permissions_duplicate",
                     [](Value& d) { append(d, "/permissions", d["permissions"][0]); },
                     "DuplicateItem", "$.permissions[1].id"},
        NegativeCase{"policy_id_empty", [](Value& d) { set(d, "/policies/0/id", ""); },
                     "MissingRequiredField", "$.policies[0].id"},
        NegativeCase{"entrypoint_command_empty",
                     [](Value& d) { set(d, "/execution/entrypoint/command", ""); },
                     "MissingRequiredField", "$.execution.entrypoint.command"},
        NegativeCase{"binary_format_literal",
                     [](Value& d) { set(d, "/execution/binary_format", "elf"); }, "InvalidLiteral",
                     "$.execution.binary_format"},
        NegativeCase{"entrypoint_kind_literal",
                     [](Value& d) { set(d, "/execution/entrypoint/kind", "wasi-reactor"); },
                     "InvalidLiteral", "$.execution.entrypoint.kind"},
        NegativeCase{"preferred_targets_empty",
                     [](Value& d) { set(d, "/execution/preferred_targets", Value::array()); },
                     "MissingRequiredField", "$.execution.preferred_targets"},
        NegativeCase{"preferred_targets_duplicate",
                     [](Value& d) {
                       set(d, "/execution/preferred_targets", Value::array({"local", "local"}));
                     },
                     "DuplicateItem", "$.execution.preferred_targets[1]"},
        NegativeCase{"preferred_target_literal",
                     [](Value& d) { set(d, "/execution/preferred_targets/0", "moon"); },
                     "InvalidLiteral", "$.execution.preferred_targets[0]"},
        NegativeCase{"network_access_literal",
                     [](Value& d) { set(d, "/execution/constraints/network_access", "sometimes"); },
                     "InvalidLiteral", "$.execution.constraints.network_access"},
        NegativeCase{"filesystem_access_missing",
                     [](Value& d) { erase(d, "/execution/constraints/filesystem_access"); },
                     "MissingRequiredField", "$.execution.constraints.filesystem_access"},
        NegativeCase{"portability_exception_required",
                     [](Value& d) {
                       set(d, "/execution/constraints/host_api_access", "exception_required");
                     },
                     "PortabilityExceptionRequired", "$.execution.constraints.host_api_access"},
        NegativeCase{"dependency_type_literal",
                     [](Value& d) { set(d, "/dependencies/0/artifact_type", "library"); },
                     "InvalidLiteral", "$.dependencies[0].artifact_type"},
        NegativeCase{"dependency_version_not_semver",
                     [](Value& d) { set(d, "/dependencies/0/version", "latest"); }, "InvalidSemver",
                     "$.dependencies[0].version"},
        NegativeCase{"dependency_duplicate",
                     [](Value& d) { append(d, "/dependencies", d["dependencies"][0]); },
                     "DuplicateItem", "$.dependencies[1]"},
        NegativeCase{"connector_range_invalid",
                     [](Value& d) {
                       set(d, "/connector_requirements",
                           Value::array(
                               {Value{{"connector_id", "weather"}, {"version", "not-a-range"}}}));
                     },
                     "InvalidVersionRange", "$.connector_requirements[0].version"},
        NegativeCase{"connector_duplicate",
                     [](Value& d) {
                       const Value item{{"connector_id", "weather"}, {"version", "^1"}};
                       set(d, "/connector_requirements", Value::array({item, item}));
                     },
                     "DuplicateItem", "$.connector_requirements[1]"},
        NegativeCase{"provenance_source_literal",
                     [](Value& d) { set(d, "/provenance/source", "invented"); }, "InvalidLiteral",
                     "$.provenance.source"},
        NegativeCase{"provenance_author_empty", [](Value& d) { set(d, "/provenance/author", ""); },
                     "MissingRequiredField", "$.provenance.author"},
        NegativeCase{"provenance_created_at_missing",
                     [](Value& d) { erase(d, "/provenance/created_at"); }, "MissingRequiredField",
                     "$.provenance.created_at"},
        NegativeCase{"provenance_spec_ref_empty",
                     [](Value& d) { set(d, "/provenance/spec_ref", " "); }, "MissingRequiredField",
                     "$.provenance.spec_ref"},
        NegativeCase{"provenance_adr_refs_duplicate",
                     [](Value& d) {
                       set(d, "/provenance/adr_refs", Value::array({"ADR-1", "ADR-1"}));
                     },
                     "DuplicateItem", "$.provenance.adr_refs[1]"},
        NegativeCase{"evidence_id_duplicate",
                     [](Value& d) { append(d, "/evidence", d["evidence"][0]); }, "DuplicateItem",
                     "$.evidence[1].evidence_id"},
        NegativeCase{"evidence_status_literal",
                     [](Value& d) { set(d, "/evidence/0/status", "unknown"); }, "InvalidLiteral",
                     "$.evidence[0].status"},
        NegativeCase{"evidence_type_literal",
                     [](Value& d) { set(d, "/evidence/0/type", "review"); }, "InvalidLiteral",
                     "$.evidence[0].type"},
        NegativeCase{"service_type_literal", [](Value& d) { set(d, "/service_type", "streaming"); },
                     "InvalidLiteral", "$.service_type"},
        NegativeCase{"subscribable_without_trigger", [](Value& d) { erase(d, "/event_trigger"); },
                     "MissingEventTrigger", "$.event_trigger"},
        NegativeCase{"stateful_on_browser",
                     [](Value& d) {
                       set(d, "/service_type", "stateful");
                       set(d, "/permitted_targets", Value::array({"local", "browser"}));
                     },
                     "InvalidPlacementConstraint", "$.permitted_targets"},
        NegativeCase{"permitted_target_wrong_type",
                     [](Value& d) {
                       set(d, "/permitted_targets", Value::array({"local", 3}));
                     },
                     "InvalidType", "$.permitted_targets[1]"},
        NegativeCase{"use_case_missing_happy",
                     [](Value& d) {
                       set(d, "/use_cases",
                           Value::array({Value{
                               {"scenario", "s"}, {"input_example", 1}, {"output_example", 2}}}));
                     },
                     "MissingRequiredField", "$.use_cases[0].happy"},
        NegativeCase{"state_schema_not_object", [](Value& d) { set(d, "/state_schema", 5); },
                     "InvalidType", "$.state_schema"},
        NegativeCase{"composite_missing_workflow_ref",
                     [](Value& d) { erase(d, "/composability/workflow_ref"); },
                     "MissingRequiredField", "$.composability.workflow_ref"},
        NegativeCase{"composite_workflow_ref_bad_version",
                     [](Value& d) { set(d, "/composability/workflow_ref/workflow_version", "v1"); },
                     "InvalidSemver", "$.composability.workflow_ref.workflow_version"},
        NegativeCase{"composite_workflow_ref_not_object",
                     [](Value& d) { set(d, "/composability/workflow_ref", "plan-expedition"); },
                     "InvalidType", "$.composability.workflow_ref"}),
    test::case_name);

}  // namespace
}  // namespace traverse
