// Governing spec: 030-workflow-engine
// The workflow engine through a real TraverseRuntime: native handlers on the ThreadPoolExecutor,
// the EngineWorkflowRunner for workflow-backed capabilities, run_workflow, per-step TraceStore
// entries carrying the run id and step index, events through the runtime's broker.
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <latch>

#include "traverse/runtime/engine_workflow_runner.hpp"
#include "traverse/runtime/run_workflow.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/trace/trace_store.hpp"
#include "workflow_test_support.hpp"

namespace traverse {
namespace {

using workflow_test::arrive_and_wait;

const std::filesystem::path kBundle =
    std::filesystem::path(TRAVERSE_SOURCE_DIR) / "tests/data/workflow/bundle/manifest.json";

std::string thread_name() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

// Shared with the handlers (which outlive nothing: the runtime is destroyed first).
struct Probe {
  std::atomic<int> shout_calls{0};
  std::atomic<int> publish_calls{0};
  std::atomic<int> off_pool_calls{0};  // handler calls not on a pool worker
  std::latch branches{2};
  std::atomic<bool> wait_for_branches{false};
  std::atomic<bool> branches_overlapped{true};
  TraverseRuntime* runtime = nullptr;  // for the nested-run handler
};

void note_thread(Probe& probe) {
  if (!thread_name().starts_with("traverse-poo")) {
    ++probe.off_pool_calls;
  }
}

std::unique_ptr<TraverseRuntime> make_runtime(
    Probe& probe, std::size_t capacity,
    std::optional<std::size_t> workflow_parallelism = std::nullopt) {
  using Result = NativeHandler::Result;
  TraverseRuntime::Builder builder;
  EngineWorkflowRunnerOptions runner_options;
  runner_options.max_parallelism = workflow_parallelism;
  builder.with_native_pool_capacity(capacity).with_workflow_runner(
      workflow_engine_runner(runner_options));
  builder.with_native_handler("test.flow.normalise", [&probe](const Value& in) -> Result {
    note_thread(probe);
    std::string name = in.at("name").get<std::string>();
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return Value{{"normalised", name}};
  });
  builder.with_native_handler("test.flow.greet", [&probe](const Value& in) -> Result {
    note_thread(probe);
    return Value{{"greeting", "hello " + in.at("normalised").get<std::string>()}};
  });
  builder.with_native_handler("test.flow.shout", [&probe](const Value& in) -> Result {
    note_thread(probe);
    ++probe.shout_calls;
    std::string text = in.at("greeting").get<std::string>();
    for (char& c : text) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return Value{{"shout", text + "!"}};
  });
  builder.with_native_handler("test.flow.fail", [](const Value&) -> Result {
    return std::unexpected("the greeter is down");
  });
  builder.with_native_handler("test.flow.start", [](const Value& in) -> Result {
    return Value{{"a", in.at("n").get<int>() + 1}};
  });
  auto branch = [&probe](const char* key, int factor) {
    return [&probe, key, factor](const Value& in) -> Result {
      note_thread(probe);
      if (probe.wait_for_branches && !arrive_and_wait(probe.branches)) {
        probe.branches_overlapped = false;
      }
      return Value{{key, in.at("a").get<int>() * factor}};
    };
  };
  builder.with_native_handler("test.flow.left", branch("b", 10));
  builder.with_native_handler("test.flow.right", branch("c", 100));
  builder.with_native_handler("test.flow.join", [](const Value& in) -> Result {
    return Value{{"d", in.at("b").get<int>() + in.at("c").get<int>()}};
  });
  builder.with_native_handler(
      "test.flow.review", [](const Value& in, ExecutionContext& context) -> Result {
        const std::string doc = in.at("doc").get<std::string>();
        const std::string verdict = doc == "good" ? "approved" : "rejected";
        if (auto emitted =
                context.emit("test.flow.review-completed", "1.0.0", Value{{"verdict", verdict}});
            !emitted) {
          return std::unexpected(std::string("emit refused: ") +
                                 std::string(to_string(emitted.error())));
        }
        return Value{{"reviewed", doc}};
      });
  builder.with_native_handler("test.flow.publish", [&probe](const Value&) -> Result {
    ++probe.publish_calls;
    return Value{{"published", true}};
  });
  builder.with_native_handler("test.flow.outer", [&probe](const Value& in) -> Result {
    // Runs a workflow-backed capability from inside a pool worker.
    RuntimeRequest request;
    request.request_id = "nested";
    request.capability_id = "test.flow.diamond-composite";
    request.capability_version = "1.0.0";
    request.input = Value{{"n", in.at("n")}};
    const RuntimeResult result = probe.runtime->execute_capability(request);
    if (!result.completed()) {
      return std::unexpected("nested workflow failed: " + result.error->message());
    }
    return Value{{"d", (*result.output)["d"]}};
  });
  auto runtime = builder.build();
  EXPECT_TRUE(runtime.has_value()) << runtime.error().to_string();
  if (!runtime) {
    return nullptr;
  }
  auto loaded = (*runtime)->load_bundle(kBundle);
  if (!loaded) {
    for (const ValidationError& error : loaded.error()) {
      ADD_FAILURE() << to_string(error);
    }
  }
  probe.runtime = runtime->get();
  return std::move(*runtime);
}

WorkflowRunRequest workflow(std::string id, Value input) {
  WorkflowRunRequest request;
  request.workflow_id = std::move(id);
  request.workflow_version = "1.0.0";
  request.input = std::move(input);
  return request;
}

RuntimeRequest capability(std::string id, Value input, std::string request_id = "req-1") {
  RuntimeRequest request;
  request.request_id = std::move(request_id);
  request.capability_id = std::move(id);
  request.capability_version = "1.0.0";
  request.input = std::move(input);
  request.scope = LookupScope::PreferPrivate;
  return request;
}

TEST(WorkflowRuntime, ThreeStepNativeWorkflowRunsOnThePoolAndEveryStepIsTracedWithTheRunId) {
  Probe probe;
  auto runtime = make_runtime(probe, 2);
  ASSERT_TRUE(runtime);
  const WorkflowRun run = run_workflow(*runtime, workflow("test.flow.greeting", {{"name", "Ada"}}));
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(*run.output, (Value{{"greeting", "hello ada"}, {"shout", "HELLO ADA!"}}));
  EXPECT_EQ(probe.off_pool_calls.load(), 0);  // every handler ran on a pool worker

  auto entries = runtime->trace_store()->list_run(run.run_id);
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 3U);
  const std::vector<std::string> capabilities{"test.flow.normalise", "test.flow.greet",
                                              "test.flow.shout"};
  for (std::size_t i = 0; i < 3; ++i) {
    const PublicTraceEntry& entry = (*entries)[i];
    EXPECT_EQ(entry.workflow_run_id, run.run_id);
    EXPECT_EQ(entry.step_index, i);
    EXPECT_EQ(entry.capability_id, capabilities[i]);
    EXPECT_EQ(entry.outcome, TraceOutcome::Success);
    EXPECT_EQ(run.steps[i].trace_id, entry.id);
    EXPECT_EQ(run.evidence["visited_nodes"][i]["trace_id"], entry.id);
  }
}

TEST(WorkflowRuntime, FailingMiddleStepHaltsAndItsFailureIsTraced) {
  Probe probe;
  auto runtime = make_runtime(probe, 2);
  ASSERT_TRUE(runtime);
  const WorkflowRun run =
      run_workflow(*runtime, workflow("test.flow.broken-greeting", {{"name", "Ada"}}));
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(probe.shout_calls.load(), 0);  // the step after the failure never ran
  EXPECT_EQ(run.error->node_id(), "fail");
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::StepExecutionFailed);
  EXPECT_EQ(run.error->code(), "execution_failed");
  EXPECT_EQ(run.error->error_class(), "ExecutionFailed");
  EXPECT_NE(run.error->message().find("the greeter is down"), std::string::npos);
  EXPECT_EQ(workflow_test::visited(run),
            (std::vector<std::string>{"normalise:completed", "fail:failed"}));

  auto entries = runtime->trace_store()->list_run(run.run_id);
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 2U);
  EXPECT_EQ((*entries)[1].outcome, TraceOutcome::Failure);
  EXPECT_EQ((*entries)[1].step_index, 1U);
  EXPECT_EQ(run.steps[1].trace_id, (*entries)[1].id);
}

TEST(WorkflowRuntime, WorkflowBackedCapabilityRunsItsWorkflowWithEvidence) {
  Probe probe;
  auto runtime = make_runtime(probe, 2);
  ASSERT_TRUE(runtime);
  const RuntimeExecution execution =
      runtime->execute(capability("test.flow.greeting-composite", {{"name", "Bo"}}, "outer-1"));
  ASSERT_TRUE(execution.result.completed()) << execution.result.error->message();
  EXPECT_EQ(execution.result.output, (Value{{"greeting", "hello bo"}, {"shout", "HELLO BO!"}}));
  ASSERT_TRUE(execution.trace->workflow_evidence.has_value());
  const Value& evidence = *execution.trace->workflow_evidence;
  EXPECT_EQ(evidence["request_id"], "outer-1");
  EXPECT_EQ(evidence["trace_id"], "workflow_trace_outer-1");
  EXPECT_EQ(evidence["visited_nodes"].size(), 3U);
  ASSERT_TRUE(execution.trace->workflow_run_id.has_value());
  // The three steps, then the run's own entry (no step index), which is the result's trace_ref.
  auto entries = runtime->trace_store()->list_run(*execution.trace->workflow_run_id);
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 4U);
  EXPECT_FALSE(entries->back().step_index.has_value());
  EXPECT_EQ(entries->back().id, execution.result.trace_ref);
  EXPECT_EQ(entries->back().placement_target, "workflow");

  // The composite's input schema is checked before any step runs.
  const RuntimeResult rejected =
      runtime->execute_capability(capability("test.flow.greeting-composite", {{"name", 5}}));
  ASSERT_FALSE(rejected.completed());
  EXPECT_EQ(rejected.error->code(), "request_invalid");
  EXPECT_EQ(probe.shout_calls.load(), 1);
}

TEST(WorkflowRuntime, ParallelDiamondBranchesOverlapOnACapacityTwoPool) {
  Probe probe;
  probe.wait_for_branches = true;
  auto runtime = make_runtime(probe, 2);
  ASSERT_TRUE(runtime);
  const RuntimeResult result =
      runtime->execute_capability(capability("test.flow.diamond-composite", {{"n", 1}}));
  ASSERT_TRUE(result.completed()) << result.error->message();
  EXPECT_TRUE(probe.branches_overlapped.load()) << "b and c did not run at the same time";
  EXPECT_EQ(probe.off_pool_calls.load(), 0);
  EXPECT_EQ(*result.output, (Value{{"b", 20}, {"c", 200}, {"d", 220}}));
}

TEST(WorkflowRuntime, SixtyFourConcurrentParallelRunsAddNoThreadsToTheRuntime) {
  // 64 diamond runs through the full runtime path are in flight at once, started from this one
  // thread; their steps are tasks on the runtime's capacity-2 pool, which exists already. The
  // documented constant of threads a run may add is 0.
  Probe probe;
  auto runtime = make_runtime(probe, 2);
  ASSERT_TRUE(runtime);
  const std::size_t before = workflow_test::thread_count();
  std::atomic<std::size_t> peak{0};
  WorkflowEngineOptions options;
  options.broker = runtime->broker();
  options.max_parallelism = runtime->native_pool_capacity();
  options.scheduler = runtime->scheduler();
  auto engine = WorkflowEngine::create(runtime->step_runner(), options);
  ASSERT_TRUE(engine.has_value());
  auto record = runtime->workflow_registry()->find_exact("test.flow.diamond", "1.0.0",
                                                         LookupScope::PreferPrivate);
  ASSERT_TRUE(record.has_value()) << record.error().message();
  auto prepared = WorkflowEngine::prepare((*record)->definition);
  ASSERT_TRUE(prepared.has_value());
  std::vector<Completion<WorkflowRun>> runs;
  for (int i = 0; i < 64; ++i) {
    WorkflowRunOptions run_options;
    run_options.request_id = "run-" + std::to_string(i);
    run_options.scope = LookupScope::PreferPrivate;
    runs.push_back(engine->start(*prepared, Value{{"n", i}}, run_options));
    peak = std::max(peak.load(), workflow_test::thread_count());
  }
  int completed = 0;
  for (Completion<WorkflowRun>& completion : runs) {
    const WorkflowRun run = completion.wait();
    completed += run.completed() ? 1 : 0;
  }
  EXPECT_EQ(completed, 64);
  EXPECT_EQ(probe.off_pool_calls.load(), 0);
  EXPECT_LE(peak.load(), before);
}

TEST(WorkflowRuntime, EventEdgeFollowsPublishedEventsAndRetainedOnesSatisfyLaterRuns) {
  Probe probe;
  auto runtime = make_runtime(probe, 2);
  ASSERT_TRUE(runtime);
  // A rejected review emits a non-matching event: the edge waits in vain.
  const WorkflowRun rejected =
      run_workflow(*runtime, workflow("test.flow.review", {{"doc", "bad"}}));
  ASSERT_FALSE(rejected.completed());
  EXPECT_EQ(rejected.error->kind(), WorkflowFailureReason::MissingRequiredEvent);
  EXPECT_EQ(probe.publish_calls.load(), 0);

  // An approved review matches its own event.
  const WorkflowRun approved =
      run_workflow(*runtime, workflow("test.flow.review", {{"doc", "good"}}));
  ASSERT_TRUE(approved.completed()) << approved.error->message();
  EXPECT_EQ(probe.publish_calls.load(), 1);
  EXPECT_EQ(approved.evidence["event_wake_decisions"][0]["record_id"], "event_record_0");

  // Reference rule (docs/workflows.md, "Event edges and predicates"): the broker pass reads from
  // cursor 0, so the approval retained from the previous run now satisfies a rejected review's
  // edge.
  const WorkflowRun replayed =
      run_workflow(*runtime, workflow("test.flow.review", {{"doc", "bad"}}));
  ASSERT_TRUE(replayed.completed()) << replayed.error->message();
  const std::string record =
      replayed.evidence["event_wake_decisions"][0]["record_id"].get<std::string>();
  EXPECT_TRUE(record.starts_with("broker:test.flow.review-completed:")) << record;
}

TEST(WorkflowRuntime, UnknownWorkflowIsWorkflowNotFound) {
  Probe probe;
  auto runtime = make_runtime(probe, 1);
  ASSERT_TRUE(runtime);
  const WorkflowRun run = run_workflow(*runtime, workflow("test.flow.nowhere", Value::object()));
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::WorkflowNotFound);
  EXPECT_EQ(run.error->code(), "capability_not_found");
  EXPECT_EQ(run.evidence["result"]["failure_reason"], "workflow_not_found");
  EXPECT_TRUE(run.steps.empty());

  WorkflowRunRequest bad = workflow("test.flow.greeting", {{"name", "x"}});
  bad.max_parallelism = 0;
  const WorkflowRun rejected = run_workflow(*runtime, bad);
  ASSERT_FALSE(rejected.completed());
  EXPECT_EQ(rejected.error->kind(), WorkflowFailureReason::WorkflowInvalid);
}

TEST(WorkflowRuntime, WorkflowStartedOnAPoolWorkerDoesNotDeadlockACapacityOnePool) {
  // The outer handler holds the pool's only worker and runs a nested diamond whose steps are
  // tasks on that same pool: only the waiting worker can run them (corun), or nothing would.
  Probe probe;
  auto runtime = make_runtime(probe, 1, 2);
  ASSERT_TRUE(runtime);
  auto outer = std::async(std::launch::async, [&] {
    return runtime->execute_capability(capability("test.flow.outer", {{"n", 1}}));
  });
  if (outer.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    std::cerr << "nested workflow run deadlocked on a capacity-1 pool\n";
    std::_Exit(1);  // the blocked future cannot be abandoned safely
  }
  const RuntimeResult result = outer.get();
  ASSERT_TRUE(result.completed()) << result.error->message();
  EXPECT_EQ(*result.output, (Value{{"d", 220}}));
}

}  // namespace
}  // namespace traverse
