// Governing spec: 030-workflow-engine
// WorkflowEngine, schema_version 1.1.0 (D7): fan-out, joins, bounded concurrency, deterministic
// results and evidence, and failing branches.
#include <gtest/gtest.h>

#include <latch>
#include <set>
#include <thread>

#include "traverse/workflow/workflow_engine.hpp"
#include "workflow_test_support.hpp"

namespace traverse {
namespace {

using namespace workflow_test;

// The diamond of tests/data/workflow/diamond.workflow.json: a → (b, c) → d.
//   a: {a: n + 1}; b: {b: a * 10}; c: {c: a * 100}; d: {d: b + c}.
std::shared_ptr<FakeStepRunner> diamond_runner(std::function<void(const std::string&)> hook = {}) {
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.math.start", [hook](const StepRequest& r) {
    if (hook)
      hook("a");
    return ok(Value{{"a", r.input.at("n").get<int>() + 1}});
  });
  runner->on("test.math.left", [hook](const StepRequest& r) {
    if (hook)
      hook("b");
    return ok(Value{{"b", r.input.at("a").get<int>() * 10}});
  });
  runner->on("test.math.right", [hook](const StepRequest& r) {
    if (hook)
      hook("c");
    return ok(Value{{"c", r.input.at("a").get<int>() * 100}});
  });
  runner->on("test.math.join", [hook](const StepRequest& r) {
    if (hook)
      hook("d");
    return ok(Value{{"d", r.input.at("b").get<int>() + r.input.at("c").get<int>()}});
  });
  return runner;
}

TEST(WorkflowParallel, DiamondBranchesOverlapInTimeAndTheJoinSeesBothOutputs) {
  std::latch both_branches(2);
  std::atomic<bool> overlapped{true};
  auto runner = diamond_runner([&](const std::string& node) {
    if (node == "b" || node == "c") {
      // Each branch waits (bounded) until the other has started: only possible if they overlap.
      if (!arrive_and_wait(both_branches)) {
        overlapped = false;
      }
    }
  });
  const WorkflowRun run =
      make_engine(runner, 2).run(load("diamond.workflow.json"), Value{{"n", 1}});
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_TRUE(overlapped.load()) << "b and c did not run at the same time";
  EXPECT_EQ(runner->request_for("d").input, (Value{{"b", 20}, {"c", 200}}));
  EXPECT_EQ(*run.output, (Value{{"b", 20}, {"c", 200}, {"d", 220}}));
  EXPECT_EQ(visited(run),
            (std::vector<std::string>{"a:completed", "b:completed", "c:completed", "d:completed"}));
  EXPECT_EQ(traversed(run), (std::vector<std::string>{"a-b", "a-c", "b-d", "c-d"}));
  // Step index = topological position, also on the requests the runner saw.
  for (std::size_t i = 0; i < run.steps.size(); ++i) {
    EXPECT_EQ(run.steps[i].step_index, i);
    EXPECT_EQ(runner->request_for(run.steps[i].node_id).step_index, i);
  }
}

TEST(WorkflowParallel, DiamondGivesIdenticalOutputAndEvidenceOver100Runs) {
  // Branch b does a varying amount of work so that b and c finish in varying orders.
  std::atomic<int> round{0};
  auto runner = diamond_runner([&](const std::string& node) {
    if (node == "b") {
      const int spins = (round.load() % 4) * 200;
      for (int i = 0; i < spins; ++i) {
        std::this_thread::yield();
      }
    }
  });
  auto prepared = WorkflowEngine::prepare(load("diamond.workflow.json"));
  ASSERT_TRUE(prepared.has_value());
  WorkflowRunOptions options;
  options.request_id = "same-request";
  // The sequential run is the reference the parallel runs must equal.
  const WorkflowRun reference = make_engine(runner, 1).run(*prepared, Value{{"n", 2}}, options);
  ASSERT_TRUE(reference.completed());
  const Value reference_evidence = stable_evidence(reference.evidence);
  const WorkflowEngine engine = make_engine(runner, 4);
  for (int i = 0; i < 100; ++i) {
    round = i;
    const WorkflowRun run = engine.run(*prepared, Value{{"n", 2}}, options);
    ASSERT_TRUE(run.completed()) << i << ": " << run.error->message();
    ASSERT_EQ(*run.output, *reference.output) << i;
    ASSERT_EQ(stable_evidence(run.evidence), reference_evidence) << i;
    ASSERT_EQ(to_json(run).at("steps").size(), 4U);
  }
}

TEST(WorkflowParallel, FailingBranchStopsTheJoinAndRunningSiblingsAreRecorded) {
  std::latch both_branches(2);
  auto runner = diamond_runner([&](const std::string& node) {
    if (node == "b" || node == "c") {
      (void)arrive_and_wait(both_branches);  // b and c are both running when b fails
    }
  });
  runner->on("test.math.left", [&](const StepRequest&) {
    (void)arrive_and_wait(both_branches);
    return fail("execution failed: left branch broke");
  });
  const WorkflowRun run =
      make_engine(runner, 2).run(load("diamond.workflow.json"), Value{{"n", 1}});
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(runner->calls("test.math.join"), 0);  // d never starts
  EXPECT_EQ(runner->calls("test.math.right"), 1);
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::StepExecutionFailed);
  EXPECT_EQ(run.error->node_id(), "b");
  EXPECT_EQ(run.error->error_class(), "ExecutionFailed");
  // The sibling that was running finished and is recorded, in step order.
  EXPECT_EQ(visited(run), (std::vector<std::string>{"a:completed", "b:failed", "c:completed"}));
  EXPECT_EQ(run.evidence["result"]["failure_reason"], "step_execution_failed");
  EXPECT_FALSE(run.output.has_value());
}

TEST(WorkflowParallel, WithOneSlotAFailingBranchStopsItsSiblingFromStarting) {
  auto runner = diamond_runner();
  runner->on("test.math.left", [](const StepRequest&) { return fail("left branch broke"); });
  const WorkflowRun run =
      make_engine(runner, 1).run(load("diamond.workflow.json"), Value{{"n", 1}});
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(runner->calls("test.math.right"), 0);
  EXPECT_EQ(runner->calls("test.math.join"), 0);
  EXPECT_EQ(visited(run), (std::vector<std::string>{"a:completed", "b:failed"}));
}

TEST(WorkflowParallel, WhenBothBranchesFailTheLowestStepIndexIsReported) {
  auto runner = diamond_runner();
  for (int i = 0; i < 5; ++i) {
    std::latch round_latch(2);
    runner->on("test.math.left", [&](const StepRequest&) {
      (void)arrive_and_wait(round_latch);
      return fail("left broke");
    });
    runner->on("test.math.right", [&](const StepRequest&) {
      (void)arrive_and_wait(round_latch);
      return fail("right broke");
    });
    const WorkflowRun run =
        make_engine(runner, 2).run(load("diamond.workflow.json"), Value{{"n", 1}});
    ASSERT_FALSE(run.completed());
    EXPECT_EQ(run.error->node_id(), "b");
    EXPECT_EQ(visited(run), (std::vector<std::string>{"a:completed", "b:failed", "c:failed"}));
  }
}

// start → w1..w4 (independent) → join
Doc wide_fan_out(const std::string& capability) {
  Doc doc;
  doc.schema_version = "1.1.0";
  doc.nodes.push_back(node("start", capability, {}, {}));
  doc.nodes.push_back(node("join", capability, {}, {}));
  doc.start = "start";
  doc.terminals = {"join"};
  for (int i = 1; i <= 4; ++i) {
    const std::string id = "w" + std::to_string(i);
    doc.nodes.push_back(node(id, capability, {}, {id}));
    doc.edges.push_back(direct("start-" + id, "start", id));
    doc.edges.push_back(direct(id + "-join", id, "join"));
  }
  return doc;
}

TEST(WorkflowParallel, MaxParallelismOneSerialisesOnTheCallingThread) {
  Concurrency concurrency;
  std::mutex mutex;
  std::set<std::thread::id> threads;
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.work", [&](const StepRequest& r) {
    concurrency.enter();
    {
      std::lock_guard lock(mutex);
      threads.insert(std::this_thread::get_id());
    }
    for (int i = 0; i < 200; ++i) {
      std::this_thread::yield();
    }
    concurrency.leave();
    return ok(Value{{r.node_id, true}});
  });
  const WorkflowRun run =
      make_engine(runner, 1).run(parse(wide_fan_out("test.work")), Value::object());
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(runner->calls("test.work"), 6);
  EXPECT_EQ(concurrency.peak.load(), 1);
  EXPECT_EQ(threads, (std::set<std::thread::id>{std::this_thread::get_id()}));
  // Step order is the topological order (ties by node_id), not the declaration order.
  EXPECT_EQ(visited(run),
            (std::vector<std::string>{"start:completed", "w1:completed", "w2:completed",
                                      "w3:completed", "w4:completed", "join:completed"}));
}

TEST(WorkflowParallel, AtMostMaxParallelismStepsRunAtOnce) {
  Concurrency concurrency;
  std::latch two_running(2);
  std::atomic<int> arrivals{0};
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.work", [&](const StepRequest& r) {
    concurrency.enter();
    // The first two branches wait for each other (so two run at once); the others just work.
    if (r.node_id.starts_with("w") && arrivals++ < 2) {
      (void)arrive_and_wait(two_running);
      for (int i = 0; i < 500; ++i) {
        std::this_thread::yield();
      }
    }
    concurrency.leave();
    return ok(Value{{r.node_id, true}});
  });
  const WorkflowRun run =
      make_engine(runner, 2).run(parse(wide_fan_out("test.work")), Value::object());
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(concurrency.peak.load(), 2);
  EXPECT_EQ(*run.output, (Value{{"w1", true}, {"w2", true}, {"w3", true}, {"w4", true}}));
}

TEST(WorkflowParallel, AllFourBranchesRunTogetherWhenFourSlotsAreAllowed) {
  std::latch all_four(4);
  std::atomic<bool> overlapped{true};
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.work", [&](const StepRequest& r) {
    if (r.node_id.starts_with("w") && !arrive_and_wait(all_four)) {
      overlapped = false;
    }
    return ok(Value{{r.node_id, true}});
  });
  const WorkflowRun run =
      make_engine(runner, 4).run(parse(wide_fan_out("test.work")), Value::object());
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_TRUE(overlapped.load());
}

TEST(WorkflowParallel, SixtyFourConcurrentRunsUseNoThreadsBeyondThePools) {
  // 64 runs of a fan-out workflow are started from this one thread and are all in flight at
  // once; their steps run as tasks on a capacity-2 pool. The process may gain the pool's
  // threads and nothing else (the engine keeps no threads of its own: the constant is 0).
  constexpr std::size_t kCapacity = 2;
  constexpr std::size_t kRuns = 64;
  constexpr std::size_t kEngineThreads = 0;
  const std::size_t before = thread_count();
  std::atomic<std::size_t> peak{0};
  const auto sample = [&peak] {
    const std::size_t now = thread_count();
    std::size_t seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  };
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.work", [&](const StepRequest& r) {
    sample();
    return ok(Value{{r.node_id, true}});
  });
  WorkflowEngineOptions options;
  options.max_parallelism = kCapacity;
  options.scheduler = make_scheduler(kCapacity);
  auto engine = WorkflowEngine::create(runner, options);
  ASSERT_TRUE(engine.has_value()) << engine.error().message();
  auto prepared = WorkflowEngine::prepare(parse(wide_fan_out("test.work")));
  ASSERT_TRUE(prepared.has_value());
  std::vector<Completion<WorkflowRun>> runs;
  for (std::size_t i = 0; i < kRuns; ++i) {
    runs.push_back(engine->start(*prepared, Value::object()));
  }
  sample();
  std::size_t completed = 0;
  for (Completion<WorkflowRun>& completion : runs) {
    const WorkflowRun run = completion.wait();
    completed += run.completed() ? 1 : 0;
  }
  EXPECT_EQ(completed, kRuns);
  EXPECT_EQ(runner->calls("test.work"), static_cast<int>(kRuns * 6));
  EXPECT_LE(peak.load(), before + kCapacity + kEngineThreads);
}

TEST(WorkflowParallel, StartReturnsBeforeTheRunEndsAndTheCompletionDeliversIt) {
  std::latch release(1);
  auto runner = diamond_runner([&](const std::string& node) {
    if (node == "a") {
      release.wait();
    }
  });
  const WorkflowEngine engine = make_engine(runner, 2);
  auto prepared = WorkflowEngine::prepare(load("diamond.workflow.json"));
  ASSERT_TRUE(prepared.has_value());
  Completion<WorkflowRun> completion = engine.start(*prepared, Value{{"n", 1}});
  EXPECT_FALSE(completion.ready());  // the first step is held: start did not wait for the run
  release.count_down();
  const WorkflowRun run = completion.wait();
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(*run.output, (Value{{"b", 20}, {"c", 200}, {"d", 220}}));
}

TEST(WorkflowParallel, RunOutlivingItsEngineAndPoolCompletes) {
  // The engine holds the only reference to its pool; a run in flight keeps the pool alive and
  // drops the last reference on one of the pool's own workers when it ends.
  std::latch release(1);
  auto runner = diamond_runner([&](const std::string& node) {
    if (node == "a") {
      release.wait();
    }
  });
  auto prepared = WorkflowEngine::prepare(load("diamond.workflow.json"));
  ASSERT_TRUE(prepared.has_value());
  Completion<WorkflowRun> completion;
  {
    const WorkflowEngine engine = make_engine(runner, 2);
    completion = engine.start(*prepared, Value{{"n", 1}});
  }
  release.count_down();
  const WorkflowRun run = completion.wait();
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(*run.output, (Value{{"b", 20}, {"c", 200}, {"d", 220}}));
}

TEST(WorkflowParallel, TopologicalOrderBreaksTiesByNodeId) {
  auto prepared = WorkflowEngine::prepare(parse(wide_fan_out("test.work")));
  ASSERT_TRUE(prepared.has_value());
  EXPECT_EQ(prepared->topological_order(),
            (std::vector<std::string>{"start", "w1", "w2", "w3", "w4", "join"}));
}

TEST(WorkflowParallel, ANodeReadsOnlyWhatItsAncestorsWrote) {
  // start → (x, y); x writes "k", y reads "k". y is not downstream of x, so it never sees "k",
  // whatever the scheduling (and registration rejects such reads; see the registry tests).
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.write", [](const StepRequest&) { return ok(Value{{"k", "from x"}}); });
  runner->on("test.read", [](const StepRequest& r) { return ok(Value{{"saw", r.input}}); });
  runner->on("test.start", [](const StepRequest&) { return ok(Value{{"k0", 1}}); });
  Doc doc;
  doc.schema_version = "1.1.0";
  doc.nodes.push_back(node("start", "test.start", {}, {"k0"}));
  doc.nodes.push_back(node("x", "test.write", {}, {"k"}));
  doc.nodes.push_back(node("y", "test.read", {"k", "k0", "seed"}, {"saw"}));
  doc.edges.push_back(direct("s-x", "start", "x"));
  doc.edges.push_back(direct("s-y", "start", "y"));
  doc.start = "start";
  doc.terminals = {"x", "y"};
  const WorkflowDefinition definition = parse(doc);
  for (const std::size_t parallelism : {1U, 2U}) {
    const WorkflowRun run = make_engine(runner, parallelism).run(definition, Value{{"seed", "s"}});
    ASSERT_TRUE(run.completed()) << run.error->message();
    EXPECT_EQ(runner->request_for("y").input, (Value{{"k0", 1}, {"seed", "s"}})) << parallelism;
    EXPECT_EQ(
        *run.output,
        (Value{{"seed", "s"}, {"k0", 1}, {"k", "from x"}, {"saw", {{"k0", 1}, {"seed", "s"}}}}));
  }
}

TEST(WorkflowParallel, EventEdgesFanOutAndUnmatchedBranchesAreSkipped) {
  // a emits one event matching edges a→b and a→c (1.1.0: both taken); a→e waits for an event
  // that never comes, so e is skipped, and so is f (its only predecessor is e). d joins b and c.
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.emit", [](const StepRequest&) {
    return ok(Value::object(), {event("test.thing.happened", "1.0.0", Value{{"go", true}})});
  });
  runner->on("test.step", [](const StepRequest& r) { return ok(Value{{r.node_id, true}}); });
  Doc doc;
  doc.schema_version = "1.1.0";
  doc.nodes.push_back(node("a", "test.emit", {}, {}));
  for (const char* id : {"b", "c", "d", "e", "f"}) {
    doc.nodes.push_back(node(id, "test.step", {}, {id}));
  }
  doc.edges.push_back(on_event("a-b", "a", "b", "test.thing.happened"));
  doc.edges.push_back(on_event("a-c", "a", "c", "test.thing.happened", "1.0.0",
                               Value{{"field", "go"}, {"equals", true}}));
  doc.edges.push_back(on_event("a-e", "a", "e", "test.other.happened"));
  doc.edges.push_back(direct("b-d", "b", "d"));
  doc.edges.push_back(direct("c-d", "c", "d"));
  doc.edges.push_back(direct("e-f", "e", "f"));
  doc.start = "a";
  doc.terminals = {"d", "f"};
  const WorkflowRun run = make_engine(runner, 2).run(parse(doc), Value::object());
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(visited(run),
            (std::vector<std::string>{"a:completed", "b:completed", "c:completed", "d:completed"}));
  EXPECT_EQ(traversed(run), (std::vector<std::string>{"a-b", "a-c", "b-d", "c-d"}));
  EXPECT_EQ(runner->calls("test.step"), 3);
  EXPECT_EQ(*run.output, (Value{{"b", true}, {"c", true}, {"d", true}}));
}

TEST(WorkflowParallel, NonTerminalDeadEndFailsTheRun) {
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.step", [](const StepRequest& r) { return ok(Value{{r.node_id, true}}); });
  Doc doc;
  doc.schema_version = "1.1.0";
  doc.nodes.push_back(node("a", "test.step", {}, {}));
  doc.nodes.push_back(node("b", "test.step", {}, {"b"}));
  doc.nodes.push_back(node("c", "test.step", {}, {"c"}));
  doc.edges.push_back(direct("a-b", "a", "b"));
  doc.edges.push_back(direct("a-c", "a", "c"));
  doc.start = "a";
  doc.terminals = {"b"};  // c is a dead end
  const WorkflowRun run = make_engine(runner, 2).run(parse(doc), Value::object());
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::TerminalNodeNotReached);
  EXPECT_EQ(run.error->node_id(), "c");
}

}  // namespace
}  // namespace traverse
