// Governing spec: 030-workflow-engine
// The expedition workflow (examples/expedition) end to end through the engine: five real
// WebAssembly capabilities (their capability packages) run by the WasmExecutor, each step traced
// with the workflow run id and step index, the final output carrying the plan fields.
#include <gtest/gtest.h>

#include <filesystem>

#include "traverse/contracts/event_contract.hpp"
#include "traverse/contracts/workflow_definition.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/runtime/engine_workflow_runner.hpp"
#include "traverse/runtime/run_workflow.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/trace/trace_store.hpp"
#include "traverse/wasm/wasm_executor.hpp"

#ifndef TRAVERSE_WASM_WORKER_PATH
#define TRAVERSE_WASM_WORKER_PATH ""  // find_wasm_worker's search order
#endif

namespace traverse {
namespace {

const std::filesystem::path kExpedition =
    std::filesystem::path(TRAVERSE_SOURCE_DIR) / "examples/expedition";

std::unique_ptr<TraverseRuntime> expedition_runtime() {
  WasmExecutorConfig config;
  config.worker_path = TRAVERSE_WASM_WORKER_PATH;
  auto wasm = WasmExecutor::create(config);
  EXPECT_TRUE(wasm.has_value()) << (wasm ? "" : wasm.error().message());
  if (!wasm) {
    return nullptr;
  }
  TraverseRuntime::Builder builder;
  builder
      .with_executor(ArtifactType::Wasm,
                     std::shared_ptr<const CapabilityExecutor>(std::move(*wasm)))
      .with_workflow_runner(workflow_engine_runner());
  auto built = builder.build();
  EXPECT_TRUE(built.has_value()) << (built ? "" : built.error().to_string());
  if (!built) {
    return nullptr;
  }
  TraverseRuntime& runtime = **built;
  for (const auto& entry : std::filesystem::directory_iterator(kExpedition / "events")) {
    auto contract = load_event_contract(entry.path());
    EXPECT_TRUE(contract.has_value()) << entry.path();
    if (contract) {
      EXPECT_TRUE(runtime.register_event(*contract).has_value()) << entry.path();
    }
  }
  for (const char* step :
       {"capture-expedition-objective", "interpret-expedition-intent",
        "assess-expedition-conditions", "validate-team-readiness", "assemble-expedition-plan"}) {
    auto registered =
        runtime.register_package(kExpedition / "capabilities" / step / "package.json");
    EXPECT_TRUE(registered.has_value())
        << step << ": " << (registered ? "" : to_string(registered.error().front()));
  }
  auto workflow = load_workflow_definition(kExpedition / "workflows/plan-expedition.json");
  EXPECT_TRUE(workflow.has_value());
  if (workflow) {
    auto registered = runtime.workflow_registry()->register_workflow(
        Scope::Public, std::move(*workflow), *runtime.capability_registry());
    EXPECT_TRUE(registered.has_value())
        << (registered ? "" : to_string(registered.error().front()));
  }
  return std::move(*built);
}

TEST(ExpeditionWorkflow, FiveWasmStepsProduceThePlanAndEachStepIsTracedWithTheRunId) {
  auto runtime = expedition_runtime();
  ASSERT_TRUE(runtime);
  auto input = parse_json_file(kExpedition / "inputs/plan-expedition.json");
  ASSERT_TRUE(input.has_value());

  WorkflowRunRequest request;
  request.workflow_id = "plan-expedition";
  request.workflow_version = "1.0.0";
  request.input = *input;
  request.request_id = "expedition-test";
  const WorkflowRun run = run_workflow(*runtime, request);
  ASSERT_TRUE(run.completed()) << run.error->message();

  const Value& output = *run.output;
  for (const char* field : {"plan_id", "objective_id", "recommended_route_style", "summary"}) {
    ASSERT_TRUE(output.contains(field)) << field;
    EXPECT_TRUE(output[field].is_string()) << field;
  }
  EXPECT_TRUE(output.contains("plan"));
  ASSERT_EQ(run.steps.size(), 5U);

  auto entries = runtime->trace_store()->list_run(run.run_id);
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 5U);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ((*entries)[i].step_index, i);
    EXPECT_EQ((*entries)[i].workflow_run_id, run.run_id);
    EXPECT_EQ((*entries)[i].outcome, TraceOutcome::Success);
    EXPECT_EQ((*entries)[i].capability_id, run.steps[i].capability_id);
  }
  // Every step emitted its one event, in step order.
  ASSERT_EQ(run.evidence["emitted_events"].size(), 5U);
  EXPECT_EQ(run.evidence["emitted_events"][0]["event_id"],
            "expedition.planning.objective-captured");
  EXPECT_EQ(run.evidence["emitted_events"][4]["event_id"], "expedition.planning.plan-assembled");
}

}  // namespace
}  // namespace traverse
