// Governing spec: 020-wasm-sandbox
// The expedition capabilities (examples/expedition/capabilities, C compiled to wasm32-wasip1)
// run through WasmExecutor from their capability packages and produce the documented outputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "traverse/contracts/capability_package.hpp"
#include "traverse/contracts/schema_validator.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/wasm/host_abi.hpp"
#include "wasm_test_support.hpp"

namespace traverse {
namespace {

using wasm_test::make_executor;
using wasm_test::test_config;

const std::filesystem::path kExpedition =
    std::filesystem::path(TRAVERSE_SOURCE_DIR) / "examples" / "expedition";

Value json(std::string_view text) {
  auto value = parse_json(text);
  EXPECT_TRUE(value.has_value()) << text;
  return value.value_or(Value());
}

struct Step {
  CapabilityPackage package;
  ExecutorCapability capability;
};

Step load_step(const std::string& name) {
  const auto manifest = kExpedition / "capabilities" / name / "package.json";
  auto package = load_capability_package(manifest);
  if (!package) {
    std::string errors;
    for (const auto& error : package.error())
      errors += error.message() + "\n";
    auto bytes = read_file(kExpedition / "capabilities" / name / (name + ".wasm"));
    ADD_FAILURE() << manifest << ":\n"
                  << errors << "(the committed module's digest is "
                  << (bytes ? fnv1a64_digest(*bytes) : std::string("unreadable")) << ")";
    return {};
  }
  Step step{std::move(*package), {}};
  const CapabilityContract& contract = step.package.contract;
  step.capability.capability_id = contract.id;
  step.capability.capability_version = contract.version;
  step.capability.artifact_type = ArtifactType::Wasm;
  step.capability.wasm_binary_path = step.package.binary_path.string();
  step.capability.host_abi_version = step.package.abi_version;
  step.capability.emits = contract.emits;
  step.capability.service_type = contract.service_type;
  return step;
}

struct StepResult {
  Value output;
  std::vector<TraverseEvent> events;
};

// Runs one step, checking its input and output against the contract's schemas.
StepResult run_step(const WasmExecutor& executor, const Step& step, const Value& input) {
  const auto input_schema = SchemaValidator::compile(step.package.contract.input_schema);
  const auto output_schema = SchemaValidator::compile(step.package.contract.output_schema);
  EXPECT_TRUE(input_schema && output_schema);
  if (input_schema) {
    for (const auto& violation : input_schema->validate(input)) {
      ADD_FAILURE() << step.capability.capability_id << " input " << violation.path() << ": "
                    << violation.message();
    }
  }
  ExecutionContext context(step.capability, "exec-expedition", "trace-expedition");
  auto output = executor.execute(step.capability, input, context);
  if (!output) {
    ADD_FAILURE() << step.capability.capability_id << ": " << output.error().message();
    return {};
  }
  if (output_schema) {
    for (const auto& violation : output_schema->validate(output->value)) {
      ADD_FAILURE() << step.capability.capability_id << " output " << violation.path() << ": "
                    << violation.message() << "\n"
                    << canonical_dump(output->value);
    }
  }
  return StepResult{std::move(output->value), std::move(output->emitted_events)};
}

Value pick(const Value& state, std::initializer_list<const char*> keys) {
  Value out = Value::object();
  for (const char* key : keys)
    out[key] = state.at(key);
  return out;
}

const Value& workflow_input() {
  static const Value input =
      parse_json_file(kExpedition / "inputs" / "plan-expedition.json").value();
  return input;
}

const char* const kObjectiveId = "obj-64a5dea9";

const char* const kCaptured = R"({
  "captured_objective": {"duration_days": 4, "objective_id": "obj-64a5dea9",
    "region": "Mont Blanc massif", "start_date": "2027-07-14",
    "title": "Summit Mont Blanc by the Gouter route"},
  "objective_id": "obj-64a5dea9"})";
const char* const kIntent =
    R"({"intent": {"activity": "alpine_ascent", "difficulty": "high", "keywords": ["summit"]}})";
const char* const kConditions = R"({"conditions": {
  "hazards": ["crevasses", "rockfall", "altitude sickness", "afternoon thunderstorms"],
  "pressure_score": 0.65, "risk_level": "moderate", "season": "summer",
  "summary": "Summer conditions in Mont Blanc massif: moderate risk (pressure 0.65); main hazards: crevasses, rockfall, altitude sickness and afternoon thunderstorms."}})";
const char* const kReadiness = R"({"readiness": {"experts": 1,
  "gaps": ["Chloe lacks glacier-travel"], "ready": false, "score": 0.63, "team_size": 3}})";
const char* const kPlan = R"({
  "plan": {
    "checklist": ["Confirm the weather forecast for Mont Blanc massif",
      "Share the itinerary and emergency contacts", "Pack crampons, ice axe, harness and rope",
      "Brief the team on crevasses", "Brief the team on rockfall",
      "Brief the team on altitude sickness", "Brief the team on afternoon thunderstorms",
      "Resolve: Chloe lacks glacier-travel"],
    "itinerary": [
      {"activity": "Approach: travel to Mont Blanc massif and check equipment", "day": 1},
      {"activity": "Acclimatise and rehearse rope work", "day": 2},
      {"activity": "Summit day: Summit Mont Blanc by the Gouter route", "day": 3},
      {"activity": "Descent and debrief", "day": 4}],
    "objective_id": "obj-64a5dea9", "plan_id": "plan-64a5dea9", "status": "needs_attention"},
  "plan_id": "plan-64a5dea9",
  "recommended_route_style": "skills_course_first",
  "summary": "Plan plan-64a5dea9: Summit Mont Blanc by the Gouter route in Mont Blanc massif over 4 days needs attention (1 readiness gap); recommended route style skills_course_first."})";

void expect_one_event(const StepResult& result, const std::string& event_id) {
  ASSERT_EQ(result.events.size(), 1U) << event_id;
  EXPECT_EQ(result.events[0].event_type, event_id);
  EXPECT_EQ(result.events[0].version, "1.0.0");
  EXPECT_EQ(result.events[0].data, (Value{{"objective_id", kObjectiveId}}));
}

class ExpeditionModules : public ::testing::Test {
 protected:
  void SetUp() override {
    executor_ = make_executor();
    ASSERT_NE(executor_, nullptr);
  }
  // In the AOT run every expedition call ran compiled code (no silent interpreter fallback).
  void TearDown() override {
    if (executor_)
      wasm_test::expect_tier_ran(*executor_);
  }
  std::unique_ptr<WasmExecutor> executor_;
};

TEST_F(ExpeditionModules, EveryPackageLoadsWithItsDigestAndPassesTheAbiCheck) {
  for (const char* name :
       {"capture-expedition-objective", "interpret-expedition-intent",
        "assess-expedition-conditions", "validate-team-readiness", "assemble-expedition-plan"}) {
    const Step step = load_step(name);
    EXPECT_EQ(step.package.package_id, std::string("expedition.planning.") + name);
    EXPECT_EQ(step.package.source_language, "c");
    EXPECT_TRUE(std::filesystem::is_regular_file(step.package.source_path)) << name;
    auto report = verify_wasm_host_abi_file(step.package.binary_path);
    ASSERT_TRUE(report.has_value()) << name << ": " << report.error().message();
    for (const WasmImport& import : report->imports) {
      EXPECT_TRUE(import.module == "wasi_snapshot_preview1" ||
                  (import.module == "traverse_host" && import.name == "emit_event"))
          << name << " imports " << import.module << "::" << import.name;
    }
  }
}

TEST_F(ExpeditionModules, CaptureObjectiveDerivesTheIdFromTheCanonicalInput) {
  const Step step = load_step("capture-expedition-objective");
  const Value input =
      pick(workflow_input(), {"objective", "region", "start_date", "duration_days"});
  const StepResult result = run_step(*executor_, step, input);
  EXPECT_EQ(result.output, json(kCaptured));
  expect_one_event(result, "expedition.planning.objective-captured");
}

TEST_F(ExpeditionModules, CaptureObjectiveTrimsTheTitleAndIsDeterministic) {
  const Step step = load_step("capture-expedition-objective");
  Value input = pick(workflow_input(), {"objective", "region", "start_date", "duration_days"});
  input["objective"] = "  Trek the Haute Route \n";
  const StepResult first = run_step(*executor_, step, input);
  const StepResult second = run_step(*executor_, step, input);
  EXPECT_EQ(first.output["captured_objective"]["title"], "Trek the Haute Route");
  EXPECT_EQ(canonical_dump(first.output), canonical_dump(second.output));
  EXPECT_NE(first.output["objective_id"], kObjectiveId);
}

TEST_F(ExpeditionModules, InterpretIntentClassifiesTheObjective) {
  const Step step = load_step("interpret-expedition-intent");
  const StepResult result =
      run_step(*executor_, step, pick(json(kCaptured), {"captured_objective"}));
  EXPECT_EQ(result.output, json(kIntent));
  expect_one_event(result, "expedition.planning.intent-interpreted");

  Value trek = json(kCaptured);
  trek["captured_objective"]["title"] = "Hike and trek the glacier ridge";
  trek["captured_objective"]["duration_days"] = 2;
  const StepResult trek_result = run_step(*executor_, step, pick(trek, {"captured_objective"}));
  EXPECT_EQ(trek_result.output, json(R"({"intent": {"activity": "trek", "difficulty": "low",
                     "keywords": ["hike", "trek", "glacier", "ridge"]}})"));
}

TEST_F(ExpeditionModules, AssessConditionsScoresSeasonAndHazards) {
  const Step step = load_step("assess-expedition-conditions");
  Value input = pick(json(kCaptured), {"captured_objective"});
  input["intent"] = json(kIntent)["intent"];
  const StepResult result = run_step(*executor_, step, input);
  EXPECT_EQ(result.output, json(kConditions));
  EXPECT_TRUE(result.output["conditions"]["pressure_score"].is_number_float());
  expect_one_event(result, "expedition.planning.conditions-assessed");

  input["captured_objective"]["start_date"] = "2027-01-10";
  input["captured_objective"]["duration_days"] = 12;
  const StepResult winter = run_step(*executor_, step, input);
  EXPECT_EQ(winter.output["conditions"]["season"], "winter");
  EXPECT_EQ(winter.output["conditions"]["risk_level"], "high");
  EXPECT_EQ(canonical_dump(winter.output["conditions"]["pressure_score"]), "1.0");
}

TEST_F(ExpeditionModules, ValidateReadinessNamesEveryGap) {
  const Step step = load_step("validate-team-readiness");
  Value input = pick(workflow_input(), {"team"});
  input["objective_id"] = kObjectiveId;
  input["intent"] = json(kIntent)["intent"];
  input["conditions"] = json(kConditions)["conditions"];
  const StepResult result = run_step(*executor_, step, input);
  EXPECT_EQ(result.output, json(kReadiness));
  expect_one_event(result, "expedition.planning.team-readiness-validated");

  input["team"][2]["certifications"] = Value::array({"glacier-travel"});
  const StepResult ready = run_step(*executor_, step, input);
  EXPECT_EQ(ready.output["readiness"]["ready"], true);
  EXPECT_TRUE(ready.output["readiness"]["gaps"].empty());
}

TEST_F(ExpeditionModules, AssemblePlanProducesTheDocumentedPlan) {
  const Step step = load_step("assemble-expedition-plan");
  Value input = pick(json(kCaptured), {"objective_id", "captured_objective"});
  input["intent"] = json(kIntent)["intent"];
  input["conditions"] = json(kConditions)["conditions"];
  input["readiness"] = json(kReadiness)["readiness"];
  const StepResult result = run_step(*executor_, step, input);
  EXPECT_EQ(result.output, json(kPlan));
  expect_one_event(result, "expedition.planning.plan-assembled");
}

TEST_F(ExpeditionModules, ChainedByHandTheyPlanTheExpedition) {
  // The plan-expedition workflow's data flow (examples/expedition/README.md), step by step.
  Value state = workflow_input();
  std::vector<std::string> events;
  const auto step = [&](const char* name, std::initializer_list<const char*> reads) {
    const StepResult result = run_step(*executor_, load_step(name), pick(state, reads));
    for (const auto& [key, value] : result.output.items())
      state[key] = value;
    for (const auto& event : result.events)
      events.push_back(event.event_type);
  };
  step("capture-expedition-objective", {"objective", "region", "start_date", "duration_days"});
  step("interpret-expedition-intent", {"captured_objective"});
  step("assess-expedition-conditions", {"captured_objective", "intent"});
  step("validate-team-readiness", {"objective_id", "team", "intent", "conditions"});
  step("assemble-expedition-plan",
       {"objective_id", "captured_objective", "intent", "conditions", "readiness"});

  const Value plan =
      pick(state, {"plan_id", "objective_id", "recommended_route_style", "summary", "plan"});
  Value expected = json(kPlan);
  expected["objective_id"] = kObjectiveId;
  EXPECT_EQ(plan, expected);
  const std::vector<std::string> expected_events = {
      "expedition.planning.objective-captured", "expedition.planning.intent-interpreted",
      "expedition.planning.conditions-assessed", "expedition.planning.team-readiness-validated",
      "expedition.planning.plan-assembled"};
  EXPECT_EQ(events, expected_events);
}

TEST_F(ExpeditionModules, InvalidInputFailsWithAMessageOnStderr) {
  const Step step = load_step("capture-expedition-objective");
  ExecutionContext context(step.capability, "exec", "trace");
  auto output = executor_->execute(step.capability, Value{{"objective", "x"}}, context);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().message(),
            "execution failed: wasm guest exited with exit status 2; stderr tail: "
            "\"capture-expedition-objective: $.region must be a string\n\"");
  EXPECT_TRUE(context.emitted_events().empty());
}

}  // namespace
}  // namespace traverse
