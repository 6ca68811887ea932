// Governing spec: 030-workflow-engine
// WorkflowEngine: creation, preparation and the schema_version 1.0.0 reference traversal
// (docs/workflows.md): state rules, halting, terminal handling, schemas and the evidence.
#include "traverse/workflow/workflow_engine.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <stdexcept>

#include "workflow_test_support.hpp"

namespace traverse {
namespace {

using namespace workflow_test;

std::shared_ptr<FakeStepRunner> text_runner() {
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.text.normalise", [](const StepRequest& r) {
    std::string name = r.input.at("name").get<std::string>();
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return ok(Value{{"normalised", name}, {"ignored", true}});
  });
  runner->on("test.text.greet", [](const StepRequest& r) {
    return ok(Value{{"greeting", "hello " + r.input.at("normalised").get<std::string>()}});
  });
  runner->on("test.text.shout", [](const StepRequest& r) {
    std::string text = r.input.at("greeting").get<std::string>();
    for (char& c : text) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return ok(Value{{"shout", text + "!"}});
  });
  return runner;
}

TEST(WorkflowEngine, CreateRejectsMissingRunnerAndParallelismOutOfRange) {
  auto no_runner = WorkflowEngine::create(nullptr);
  ASSERT_FALSE(no_runner.has_value());
  EXPECT_EQ(no_runner.error().kind(), WorkflowConfigError::Kind::MissingStepRunner);

  auto runner = std::make_shared<FakeStepRunner>();
  for (const std::size_t bad : {std::size_t{0}, kMaxWorkflowParallelism + 1}) {
    WorkflowEngineOptions options;
    options.max_parallelism = bad;
    auto engine = WorkflowEngine::create(runner, options);
    ASSERT_FALSE(engine.has_value()) << bad;
    EXPECT_EQ(engine.error().kind(), WorkflowConfigError::Kind::InvalidParallelism);
    EXPECT_EQ(engine.error().given(), bad);
    EXPECT_NE(engine.error().message().find("1..=256"), std::string::npos);
  }
  WorkflowEngineOptions max;
  max.max_parallelism = kMaxWorkflowParallelism;
  EXPECT_TRUE(WorkflowEngine::create(runner, max).has_value());
}

TEST(WorkflowEngine, ThreeStepWorkflowProducesTheProjectedFinalOutput) {
  auto runner = text_runner();
  const WorkflowEngine engine = make_engine(runner);
  const WorkflowRun run =
      engine.run(load("three_step.workflow.json"), Value{{"name", "Ada"}, {"unused", "x"}});

  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(*run.output, (Value{{"greeting", "hello ada"}, {"shout", "HELLO ADA!"}}));
  EXPECT_FALSE(run.error.has_value());
  EXPECT_TRUE(std::regex_match(run.run_id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"
                                                      "[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_EQ(run.request_id, run.run_id);  // no request id given
  EXPECT_EQ(run.workflow_id, "test.pipeline.three-step");

  ASSERT_EQ(run.steps.size(), 3U);
  const std::vector<std::string> nodes{"normalise", "greet", "shout"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(run.steps[i].step_index, i);
    EXPECT_EQ(run.steps[i].node_id, nodes[i]);
    EXPECT_EQ(run.steps[i].status, WorkflowStepStatus::Completed);
    EXPECT_EQ(run.steps[i].trace_id, "trace-" + nodes[i]);
  }
  EXPECT_EQ(run.steps[1].capability_key(), "test.text.greet@1.0.0");

  // Each step saw exactly its from_workflow_input keys, and the run's identity.
  const auto requests = runner->requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].input, (Value{{"name", "Ada"}}));
  EXPECT_EQ(requests[1].input, (Value{{"normalised", "ada"}}));
  EXPECT_EQ(requests[2].input, (Value{{"greeting", "hello ada"}}));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(requests[i].workflow_run_id, run.run_id);
    EXPECT_EQ(requests[i].step_index, i);
    EXPECT_EQ(requests[i].workflow_id, "test.pipeline.three-step");
    EXPECT_EQ(requests[i].capability_version, "1.0.0");
  }

  const Value& evidence = run.evidence;
  EXPECT_EQ(evidence["kind"], "workflow_traversal_evidence");
  EXPECT_EQ(evidence["trace_id"], "workflow_trace_" + run.request_id);
  EXPECT_EQ(evidence["workflow_execution_id"], "workflow_exec_" + run.request_id);
  EXPECT_EQ(evidence["workflow_run_id"], run.run_id);
  EXPECT_EQ(evidence["governing_spec"], "007-workflow-registry-traversal");
  EXPECT_EQ(visited(run), (std::vector<std::string>{"normalise:completed", "greet:completed",
                                                    "shout:completed"}));
  EXPECT_EQ(traversed(run), (std::vector<std::string>{"normalise-to-greet", "greet-to-shout"}));
  EXPECT_EQ(evidence["traversed_edges"][0]["trigger"], "direct");
  EXPECT_EQ(evidence["visited_nodes"][2]["trace_id"], "trace-shout");
  EXPECT_EQ(evidence["result"], (Value{{"status", "completed"}}));
}

TEST(WorkflowEngine, RequestIdNamesTheEvidenceAndScopeReachesTheSteps) {
  auto runner = text_runner();
  const WorkflowEngine engine = make_engine(runner);
  WorkflowRunOptions options;
  options.request_id = "req-42";
  options.scope = LookupScope::PreferPrivate;
  const WorkflowRun run =
      engine.run(load("three_step.workflow.json"), Value{{"name", "B"}}, options);
  ASSERT_TRUE(run.completed());
  EXPECT_EQ(run.request_id, "req-42");
  EXPECT_NE(run.run_id, "req-42");
  EXPECT_EQ(run.evidence["trace_id"], "workflow_trace_req-42");
  for (const StepRequest& request : runner->requests()) {
    EXPECT_EQ(request.request_id, "req-42");
    EXPECT_EQ(request.scope, LookupScope::PreferPrivate);
  }
}

TEST(WorkflowEngine, FailingMiddleStepHaltsAndTheNextHandlerIsNeverCalled) {
  auto runner = text_runner();
  runner->on("test.text.greet", [](const StepRequest&) {
    return StepResultT(
        std::unexpected(StepFailure("execution_failed", "ExecutionFailed",
                                    "execution failed: greeter is down", "trace-of-failure")));
  });
  const WorkflowEngine engine = make_engine(runner);
  const WorkflowRun run = engine.run(load("three_step.workflow.json"), Value{{"name", "Ada"}});

  ASSERT_FALSE(run.completed());
  EXPECT_EQ(runner->calls("test.text.normalise"), 1);
  EXPECT_EQ(runner->calls("test.text.greet"), 1);
  EXPECT_EQ(runner->calls("test.text.shout"), 0);  // later steps never start
  EXPECT_FALSE(run.output.has_value());
  ASSERT_TRUE(run.error.has_value());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::StepExecutionFailed);
  EXPECT_EQ(run.error->code(), "execution_failed");
  EXPECT_EQ(run.error->error_class(), "ExecutionFailed");
  EXPECT_EQ(run.error->node_id(), "greet");
  EXPECT_EQ(run.error->step_index(), 1U);
  EXPECT_NE(run.error->message().find("greet"), std::string::npos);
  EXPECT_NE(run.error->message().find("greeter is down"), std::string::npos);
  EXPECT_EQ(run.error->details()["step_error"]["message"], "execution failed: greeter is down");
  EXPECT_EQ(run.error->details()["trace_id"], "trace-of-failure");

  ASSERT_EQ(run.steps.size(), 2U);
  EXPECT_EQ(run.steps[1].status, WorkflowStepStatus::Failed);
  EXPECT_EQ(run.steps[1].trace_id, "trace-of-failure");
  EXPECT_EQ(visited(run), (std::vector<std::string>{"normalise:completed", "greet:failed"}));
  EXPECT_EQ(traversed(run), (std::vector<std::string>{"normalise-to-greet"}));
  EXPECT_EQ(run.evidence["result"],
            (Value{{"status", "failed"}, {"failure_reason", "step_execution_failed"}}));
}

TEST(WorkflowEngine, UnresolvableCapabilityIsWorkflowInvalidAndLeavesTheStepEntered) {
  auto runner = text_runner();
  runner->on("test.text.greet", [](const StepRequest&) {
    return fail("no such capability", "capability_not_found", "CapabilityNotFound");
  });
  const WorkflowRun run =
      make_engine(runner).run(load("three_step.workflow.json"), Value{{"name", "Ada"}});
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::WorkflowInvalid);
  EXPECT_EQ(run.error->code(), "capability_not_found");
  EXPECT_EQ(visited(run), (std::vector<std::string>{"normalise:completed", "greet:entered"}));
  EXPECT_EQ(run.evidence["result"]["failure_reason"], "workflow_invalid");
  EXPECT_EQ(runner->calls("test.text.shout"), 0);
}

TEST(WorkflowEngine, ThrowingStepRunnerIsContainedAsExecutionFailed) {
  auto runner = text_runner();
  runner->on("test.text.greet",
             [](const StepRequest&) -> StepResultT { throw std::runtime_error("kaboom"); });
  const WorkflowRun run =
      make_engine(runner).run(load("three_step.workflow.json"), Value{{"name", "Ada"}});
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->error_class(), "ExecutionFailed");
  EXPECT_NE(run.error->message().find("kaboom"), std::string::npos);
  EXPECT_EQ(run.steps.back().status, WorkflowStepStatus::Failed);
}

TEST(WorkflowEngine, InputViolatingTheInputSchemaRunsNoStep) {
  auto runner = text_runner();
  const WorkflowRun run =
      make_engine(runner).run(load("three_step.workflow.json"), Value{{"name", 7}});
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::WorkflowInvalid);
  EXPECT_EQ(run.error->code(), "request_invalid");
  EXPECT_FALSE(run.error->node_id().has_value());
  ASSERT_EQ(run.error->details()["violations"].size(), 1U);
  EXPECT_EQ(run.error->details()["violations"][0]["path"], "$.name");
  EXPECT_TRUE(runner->requests().empty());
  EXPECT_TRUE(run.steps.empty());
  EXPECT_EQ(run.evidence["result"]["failure_reason"], "workflow_invalid");
}

TEST(WorkflowEngine, FinalOutputViolatingTheOutputSchemaFailsTheRun) {
  auto runner = text_runner();
  runner->on("test.text.shout", [](const StepRequest&) { return ok(Value{{"shout", 42}}); });
  const WorkflowRun run =
      make_engine(runner).run(load("three_step.workflow.json"), Value{{"name", "Ada"}});
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::WorkflowInvalid);
  EXPECT_EQ(run.error->code(), "output_validation_failed");
  EXPECT_EQ(run.error->details()["violations"][0]["path"], "$.shout");
  // The steps themselves completed; only the final output is rejected.
  EXPECT_EQ(visited(run), (std::vector<std::string>{"normalise:completed", "greet:completed",
                                                    "shout:completed"}));
}

TEST(WorkflowEngine, NonObjectInputIsWrappedAsInputKey) {
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.echo", [](const StepRequest& r) { return ok(Value{{"seen", r.input}}); });
  Doc doc;
  doc.nodes.push_back(node("only", "test.echo", {"input"}, {"seen"}));
  doc.start = "only";
  doc.terminals = {"only"};
  doc.input_schema = Value{{"type", "integer"}};
  const WorkflowRun run = make_engine(runner).run(parse(doc), Value(5));
  ASSERT_TRUE(run.completed()) << run.error->message();
  EXPECT_EQ(runner->request_for("only").input, (Value{{"input", 5}}));
  // No projection: the final output is the whole state.
  EXPECT_EQ(*run.output, (Value{{"input", 5}, {"seen", {{"input", 5}}}}));
}

TEST(WorkflowEngine, NamespaceOverwritesAHoistedKeyAndNonObjectOutputChangesNothing) {
  // The doc-approval rule: analyze hoists `recommendation`; recommend's namespace of the
  // same name overwrites it. A step returning a non-object leaves the state unchanged.
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.analyze", [](const StepRequest&) {
    return ok(Value{{"score", 3}, {"recommendation", "hoisted"}});
  });
  runner->on("test.noop", [](const StepRequest&) { return ok(Value("just a string")); });
  runner->on("test.recommend", [](const StepRequest& r) {
    return ok(Value{{"verdict", "approve"}, {"based_on", r.input}});
  });
  Doc doc;
  doc.nodes.push_back(node("analyze", "test.analyze", {"doc"}, {"recommendation"}, "analysis"));
  doc.nodes.push_back(node("noop", "test.noop", {}, {"verdict"}, "noop"));
  doc.nodes.push_back(
      node("recommend", "test.recommend", {"analysis", "missing"}, {}, "recommendation"));
  doc.edges.push_back(direct("e1", "analyze", "noop"));
  doc.edges.push_back(direct("e2", "noop", "recommend"));
  doc.start = "analyze";
  doc.terminals = {"recommend"};
  doc.projection = {"analysis", "recommendation", "not_there"};
  const WorkflowRun run = make_engine(runner).run(parse(doc), Value{{"doc", "d"}});
  ASSERT_TRUE(run.completed()) << run.error->message();
  const Value analysis{{"score", 3}, {"recommendation", "hoisted"}};
  // Missing input keys are skipped silently.
  EXPECT_EQ(runner->request_for("recommend").input, (Value{{"analysis", analysis}}));
  EXPECT_EQ(*run.output,
            (Value{{"analysis", analysis},
                   {"recommendation",
                    {{"verdict", "approve"}, {"based_on", {{"analysis", analysis}}}}}}));
}

TEST(WorkflowEngine, TerminalNodeWithADirectEdgeKeepsGoingAndADeadEndIsTerminalNotReached) {
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.step", [](const StepRequest&) { return ok(Value::object()); });
  Doc doc;
  doc.nodes.push_back(node("a", "test.step", {}, {}));
  doc.nodes.push_back(node("b", "test.step", {}, {}));
  doc.edges.push_back(direct("a-b", "a", "b"));
  doc.start = "a";
  doc.terminals = {"a"};  // a is terminal but has a direct edge: the walk continues to b
  const WorkflowRun run = make_engine(runner).run(parse(doc), Value::object());
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::TerminalNodeNotReached);
  EXPECT_EQ(run.error->code(), "terminal_node_not_reached");
  EXPECT_EQ(run.error->error_class(), "TerminalNodeNotReached");
  EXPECT_EQ(run.error->node_id(), "b");
  EXPECT_EQ(runner->calls("test.step"), 2);
  // Traversal failures leave the statuses as they were.
  EXPECT_EQ(visited(run), (std::vector<std::string>{"a:completed", "b:completed"}));
  EXPECT_EQ(run.evidence["result"]["failure_reason"], "terminal_node_not_reached");
}

TEST(WorkflowEngine, TwoDirectEdgesInA100WorkflowAreAmbiguous) {
  // parse_workflow_definition refuses this for 1.0.0; a definition built in code can still
  // reach the engine, which then applies the reference rule at run time.
  auto runner = std::make_shared<FakeStepRunner>();
  runner->on("test.step", [](const StepRequest&) { return ok(Value::object()); });
  Doc doc;
  doc.schema_version = "1.1.0";
  doc.nodes.push_back(node("a", "test.step", {}, {}));
  doc.nodes.push_back(node("b", "test.step", {}, {}));
  doc.nodes.push_back(node("c", "test.step", {}, {}));
  doc.edges.push_back(direct("a-b", "a", "b"));
  doc.edges.push_back(direct("a-c", "a", "c"));
  doc.start = "a";
  doc.terminals = {"b", "c"};
  WorkflowDefinition definition = parse(doc);
  definition.schema_version = "1.0.0";
  const WorkflowRun run = make_engine(runner).run(definition, Value::object());
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::AmbiguousNextEdge);
  EXPECT_EQ(run.error->node_id(), "a");
  EXPECT_EQ(runner->calls("test.step"), 1);
  EXPECT_EQ(visited(run), (std::vector<std::string>{"a:completed"}));
  EXPECT_EQ(run.evidence["result"]["failure_reason"], "ambiguous_next_edge");
}

TEST(WorkflowEngine, PrepareReportsEveryStructuralProblem) {
  WorkflowDefinition definition;
  definition.schema_version = "2.0.0";
  EXPECT_FALSE(WorkflowEngine::prepare(definition).has_value());  // no nodes

  auto runner = std::make_shared<FakeStepRunner>();
  Doc doc;
  doc.nodes.push_back(node("a", "test.step", {}, {}));
  doc.nodes.push_back(node("b", "test.step", {}, {}));
  doc.edges.push_back(direct("a-b", "a", "b"));
  doc.start = "a";
  doc.terminals = {"b"};
  definition = parse(doc);
  definition.edges.push_back(definition.edges.front());
  definition.edges.back().edge_id = "b-a";
  std::swap(definition.edges.back().from, definition.edges.back().to);  // a cycle
  definition.start_node = "nowhere";
  definition.output_schema = Value{{"type", 12}};  // does not compile
  auto prepared = WorkflowEngine::prepare(definition);
  ASSERT_FALSE(prepared.has_value());
  std::vector<std::string> codes;
  for (const ValidationError& error : prepared.error()) {
    codes.push_back(error.code() + "@" + error.path());
  }
  EXPECT_NE(std::find(codes.begin(), codes.end(), "InvalidStartNode@$.start_node"), codes.end());
  EXPECT_NE(std::find(codes.begin(), codes.end(), "DeterministicCycleNotAllowed@$.edges"),
            codes.end());
  bool schema_error = false;
  for (const ValidationError& error : prepared.error()) {
    schema_error = schema_error || error.path().starts_with("$.outputs.schema");
  }
  EXPECT_TRUE(schema_error);

  // run() on such a definition reports it as a failed run, without calling any step.
  const WorkflowRun run = make_engine(runner).run(definition, Value::object());
  ASSERT_FALSE(run.completed());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::WorkflowInvalid);
  EXPECT_EQ(run.error->code(), "request_invalid");
  EXPECT_NE(run.error->message().find("cannot be run"), std::string::npos);
  EXPECT_TRUE(runner->requests().empty());
}

TEST(WorkflowEngine, PreparedWorkflowIsReusableAcrossRuns) {
  auto runner = text_runner();
  const WorkflowEngine engine = make_engine(runner);
  auto prepared = WorkflowEngine::prepare(load("three_step.workflow.json"));
  ASSERT_TRUE(prepared.has_value());
  EXPECT_EQ(prepared->topological_order(),
            (std::vector<std::string>{"normalise", "greet", "shout"}));
  const WorkflowRun first = engine.run(*prepared, Value{{"name", "One"}});
  const WorkflowRun second = engine.run(*prepared, Value{{"name", "Two"}});
  ASSERT_TRUE(first.completed());
  ASSERT_TRUE(second.completed());
  EXPECT_EQ((*first.output)["shout"], "HELLO ONE!");
  EXPECT_EQ((*second.output)["shout"], "HELLO TWO!");
  EXPECT_NE(first.run_id, second.run_id);
}

}  // namespace
}  // namespace traverse
