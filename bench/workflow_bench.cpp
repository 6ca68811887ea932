// Workflow engine throughput: steps per second of a 10-step native workflow (1.0.0) and of the
// parallel diamond (1.1.0: a → (b, c) → d), both through the engine alone (an in-process
// StepRunner, i.e. traversal overhead) and through a TraverseRuntime (every step resolved,
// schema-checked, placed, run on the native ThreadPoolExecutor and traced).
// BM_Runtime_CpuBoundDiamond compares, in one run, the diamond whose two branches each do 5 ms of
// CPU work with its sequential form (the same four steps as a 1.0.0 chain): on 2 cores the
// parallel form should take ~0.55-0.6 of the time (report the ratio of the two times).
// Build with the `release` preset; run: build/release/bench/workflow_bench.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/workflow_definition.hpp"
#include "traverse/executor/native_executor.hpp"
#include "traverse/executor/thread_pool_executor.hpp"
#include "traverse/registry/artifact_reference.hpp"
#include "traverse/runtime/engine_workflow_runner.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/workflow/workflow_engine.hpp"

namespace traverse {
namespace {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "workflow_bench: " << what << "\n";
  std::exit(1);
}

Value int_object(const char* key) {
  return Value{
      {"type", "object"}, {"properties", {{key, {{"type", "integer"}}}}}, {"required", {key}}};
}

CapabilityContract contract(const std::string& name, Value input, Value output) {
  const Value doc{
      {"kind", "capability_contract"},
      {"schema_version", "1.0.0"},
      {"id", "bench.flow." + name},
      {"namespace", "bench.flow"},
      {"name", name},
      {"version", "1.0.0"},
      {"lifecycle", "active"},
      {"owner", {{"team", "bench"}, {"contact", "bench@traverse.example"}}},
      {"summary", "Benchmark step " + name + "."},
      {"description", "A native capability used by the workflow benchmark."},
      {"artifact_type", "native"},
      {"service_type", "stateless"},
      {"permitted_targets", {"local"}},
      {"inputs", {{"schema", std::move(input)}}},
      {"outputs", {{"schema", std::move(output)}}},
      {"preconditions", {{{"id", "input"}, {"description", "The input is present."}}}},
      {"postconditions", {{{"id", "output"}, {"description", "The output is deterministic."}}}},
      {"side_effects", {{{"kind", "memory_only"}, {"description", "Computes in memory."}}}},
      {"emits", Value::array()},
      {"consumes", Value::array()},
      {"permissions", {{{"id", "bench.execute"}}}},
      {"execution",
       {{"binary_format", "wasm"},
        {"entrypoint", {{"kind", "wasi-command"}, {"command", "run"}}},
        {"preferred_targets", {"local"}},
        {"constraints",
         {{"host_api_access", "none"},
          {"network_access", "forbidden"},
          {"filesystem_access", "none"}}}}},
      {"policies", {{{"id", "bench"}}}},
      {"dependencies", Value::array()},
      {"provenance",
       {{"source", "greenfield"},
        {"author", "Traverse C++ maintainers"},
        {"created_at", "2026-11-26"},
        {"adr_refs", Value::array()},
        {"exception_refs", Value::array()}}},
      {"evidence",
       {{{"evidence_id", name + "-validation"},
         {"type", "contract_validation"},
         {"status", "passed"}}}}};
  auto parsed = parse_capability_contract(doc);
  if (!parsed) {
    die("contract " + name + ": " + to_string(parsed.error().front()));
  }
  return *parsed;
}

Value node(const std::string& id, const std::string& capability, Value reads, Value writes) {
  return Value{{"node_id", id},
               {"capability_id", "bench.flow." + capability},
               {"capability_version", "1.0.0"},
               {"input", {{"from_workflow_input", std::move(reads)}}},
               {"output", {{"to_workflow_state", std::move(writes)}}}};
}

Value direct(const std::string& from, const std::string& to) {
  return Value{{"edge_id", from + "-" + to}, {"from", from}, {"to", to}, {"trigger", "direct"}};
}

WorkflowDefinition workflow(const std::string& id, const std::string& schema_version, Value nodes,
                            Value edges, const std::string& start, Value terminals,
                            Value input_schema, Value output_schema) {
  const Value doc{{"kind", "workflow_definition"},
                  {"schema_version", schema_version},
                  {"id", id},
                  {"name", id},
                  {"version", "1.0.0"},
                  {"lifecycle", "active"},
                  {"owner", {{"team", "bench"}, {"contact", "bench@traverse.example"}}},
                  {"summary", "Benchmark workflow."},
                  {"inputs", {{"schema", std::move(input_schema)}}},
                  {"outputs", {{"schema", std::move(output_schema)}}},
                  {"nodes", std::move(nodes)},
                  {"edges", std::move(edges)},
                  {"start_node", start},
                  {"terminal_nodes", std::move(terminals)},
                  {"output_projection", Value::array()},
                  {"tags", Value::array()},
                  {"governing_spec", "007-workflow-registry-traversal"}};
  auto parsed = parse_workflow_definition(doc);
  if (!parsed) {
    die("workflow " + id + ": " + to_string(parsed.error().front()));
  }
  return *parsed;
}

std::string step_id(int i) {
  std::string id = "s";
  id += std::to_string(i);
  return id;
}

// s0 → s1 → … → s9, each adding one to "x".
WorkflowDefinition ten_steps() {
  Value nodes = Value::array();
  Value edges = Value::array();
  for (int i = 0; i < 10; ++i) {
    nodes.push_back(node(step_id(i), "increment", {"x"}, {"x"}));
    if (i > 0) {
      edges.push_back(direct(step_id(i - 1), step_id(i)));
    }
  }
  return workflow("bench.flow.ten-steps", "1.0.0", std::move(nodes), std::move(edges), "s0", {"s9"},
                  int_object("x"), int_object("x"));
}

// a → (b, c) → d
WorkflowDefinition diamond() {
  Value nodes{node("a", "start", {"n"}, {"a"}), node("b", "left", {"a"}, {"b"}),
              node("c", "right", {"a"}, {"c"}), node("d", "join", {"b", "c"}, {"d"})};
  Value edges{direct("a", "b"), direct("a", "c"), direct("b", "d"), direct("c", "d")};
  return workflow("bench.flow.diamond", "1.1.0", std::move(nodes), std::move(edges), "a", {"d"},
                  int_object("n"), int_object("d"));
}

// a → b → c → d as a 1.0.0 chain: the diamond's steps one after the other.
WorkflowDefinition chain() {
  Value nodes{node("a", "start", {"n"}, {"a"}), node("b", "left", {"a"}, {"b"}),
              node("c", "right", {"a"}, {"c"}), node("d", "join", {"b", "c"}, {"d"})};
  Value edges{direct("a", "b"), direct("b", "c"), direct("c", "d")};
  return workflow("bench.flow.chain", "1.0.0", std::move(nodes), std::move(edges), "a", {"d"},
                  int_object("n"), int_object("d"));
}

std::int64_t get(const Value& in, const char* key) {
  return in.at(key).get<std::int64_t>();
}

// CPU work the runtime's left/right handlers do per call (set by the benchmark that wants it).
std::atomic<std::int64_t> branch_work_us{0};

void burn_cpu(std::int64_t microseconds) {
  if (microseconds <= 0) {
    return;
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(microseconds);
  while (std::chrono::steady_clock::now() < until) {
  }
}

// The same capabilities as plain functions, for the engine-only runs. Each step optionally
// busy-works for `work` first (a stand-in for a capability doing real work).
class InProcessSteps final : public StepRunner {
 public:
  explicit InProcessSteps(std::chrono::microseconds work = {}) : work_(work) {}

  std::expected<StepOutcome, StepFailure> run_step(const StepRequest& r) const override {
    if (work_.count() > 0) {
      const auto until = std::chrono::steady_clock::now() + work_;
      while (std::chrono::steady_clock::now() < until) {
      }
    }
    StepOutcome outcome;
    const std::string& id = r.capability_id;
    if (id == "bench.flow.increment") {
      outcome.output = Value{{"x", get(r.input, "x") + 1}};
    } else if (id == "bench.flow.start") {
      outcome.output = Value{{"a", get(r.input, "n") + 1}};
    } else if (id == "bench.flow.left") {
      outcome.output = Value{{"b", get(r.input, "a") * 10}};
    } else if (id == "bench.flow.right") {
      outcome.output = Value{{"c", get(r.input, "a") * 100}};
    } else {
      outcome.output = Value{{"d", get(r.input, "b") + get(r.input, "c")}};
    }
    return outcome;
  }

 private:
  std::chrono::microseconds work_;
};

std::unique_ptr<TraverseRuntime> make_runtime(std::size_t capacity) {
  using Result = NativeHandler::Result;
  TraverseRuntime::Builder builder;
  builder.with_native_pool_capacity(capacity).with_workflow_runner(workflow_engine_runner());
  builder.with_native_handler("bench.flow.increment", [](const Value& in) -> Result {
    return Value{{"x", get(in, "x") + 1}};
  });
  builder.with_native_handler("bench.flow.start", [](const Value& in) -> Result {
    return Value{{"a", get(in, "n") + 1}};
  });
  builder.with_native_handler("bench.flow.left", [](const Value& in) -> Result {
    burn_cpu(branch_work_us.load());
    return Value{{"b", get(in, "a") * 10}};
  });
  builder.with_native_handler("bench.flow.right", [](const Value& in) -> Result {
    burn_cpu(branch_work_us.load());
    return Value{{"c", get(in, "a") * 100}};
  });
  builder.with_native_handler("bench.flow.join", [](const Value& in) -> Result {
    return Value{{"d", get(in, "b") + get(in, "c")}};
  });
  auto built = builder.build();
  if (!built) {
    die(built.error().to_string());
  }
  auto& runtime = **built;
  for (auto contract_value :
       {contract("increment", int_object("x"), int_object("x")),
        contract("start", int_object("n"), int_object("a")),
        contract("left", int_object("a"), int_object("b")),
        contract("right", int_object("a"), int_object("c")),
        contract("join",
                 Value{{"type", "object"},
                       {"properties", {{"b", {{"type", "integer"}}}, {"c", {{"type", "integer"}}}}},
                       {"required", {"b", "c"}}},
                 int_object("d"))}) {
    const std::string id = contract_value.id;
    if (!runtime.register_capability(Scope::Public, std::move(contract_value),
                                     ArtifactReference::native(id))) {
      die("cannot register " + id);
    }
  }
  for (WorkflowDefinition definition : {ten_steps(), diamond(), chain()}) {
    if (!runtime.workflow_registry()->register_workflow(Scope::Public, std::move(definition),
                                                        *runtime.capability_registry())) {
      die("cannot register a workflow");
    }
  }
  return std::move(*built);
}

void report(benchmark::State& state, int steps_per_run) {
  state.counters["steps/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * steps_per_run, benchmark::Counter::kIsRate);
  state.counters["runs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_EngineOnly_TenSteps(benchmark::State& state) {
  auto engine = WorkflowEngine::create(std::make_shared<InProcessSteps>());
  auto prepared = WorkflowEngine::prepare(ten_steps());
  if (!engine || !prepared) {
    die("engine setup");
  }
  const Value input{{"x", 0}};
  for (auto _ : state) {
    WorkflowRun run = engine->run(*prepared, input);
    if (!run.completed()) {
      die(run.error->message());
    }
    benchmark::DoNotOptimize(run);
  }
  report(state, 10);
}
BENCHMARK(BM_EngineOnly_TenSteps)->UseRealTime();

// A pool used only to run the engine's steps as tasks.
std::shared_ptr<ThreadPoolExecutor> task_pool(std::size_t capacity) {
  ThreadPoolExecutorConfig config;
  config.capacity = capacity;
  auto pool = ThreadPoolExecutor::create(
      config, std::make_unique<NativeExecutor>(NativeExecutor::HandlerTable{}));
  if (!pool) {
    die(pool.error().message());
  }
  return std::move(*pool);
}

void BM_EngineOnly_Diamond(benchmark::State& state) {
  WorkflowEngineOptions options;
  options.max_parallelism = static_cast<std::size_t>(state.range(0));
  if (options.max_parallelism > 1) {
    options.scheduler = task_pool(options.max_parallelism);
  }
  auto engine = WorkflowEngine::create(
      std::make_shared<InProcessSteps>(std::chrono::microseconds(state.range(1))), options);
  auto prepared = WorkflowEngine::prepare(diamond());
  if (!engine || !prepared) {
    die("engine setup");
  }
  const Value input{{"n", 1}};
  for (auto _ : state) {
    WorkflowRun run = engine->run(*prepared, input);
    if (!run.completed()) {
      die(run.error->message());
    }
    benchmark::DoNotOptimize(run);
  }
  report(state, 4);
}
BENCHMARK(BM_EngineOnly_Diamond)
    ->ArgNames({"max_parallelism", "work_us"})
    ->ArgsProduct({{1, 2}, {0, 1000}})
    ->UseRealTime();

void BM_Runtime_TenSteps(benchmark::State& state) {
  auto runtime = make_runtime(2);
  auto step_runner = runtime->step_runner();
  WorkflowEngineOptions options;
  options.broker = runtime->broker();
  auto engine = WorkflowEngine::create(step_runner, options);
  auto prepared = WorkflowEngine::prepare(ten_steps());
  if (!engine || !prepared) {
    die("engine setup");
  }
  const Value input{{"x", 0}};
  for (auto _ : state) {
    WorkflowRun run = engine->run(*prepared, input);
    if (!run.completed()) {
      die(run.error->message());
    }
    benchmark::DoNotOptimize(run);
  }
  report(state, 10);
}
BENCHMARK(BM_Runtime_TenSteps)->UseRealTime();

void BM_Runtime_Diamond(benchmark::State& state) {
  const auto capacity = static_cast<std::size_t>(state.range(0));
  auto runtime = make_runtime(capacity);
  WorkflowEngineOptions options;
  options.broker = runtime->broker();
  options.max_parallelism = capacity;
  options.scheduler = runtime->scheduler();
  auto engine = WorkflowEngine::create(runtime->step_runner(), options);
  auto prepared = WorkflowEngine::prepare(diamond());
  if (!engine || !prepared) {
    die("engine setup");
  }
  const Value input{{"n", 1}};
  for (auto _ : state) {
    WorkflowRun run = engine->run(*prepared, input);
    if (!run.completed()) {
      die(run.error->message());
    }
    benchmark::DoNotOptimize(run);
  }
  report(state, 4);
}
BENCHMARK(BM_Runtime_Diamond)->ArgName("pool_capacity")->Arg(1)->Arg(2)->UseRealTime();

// The diamond with 5 ms of CPU work in each branch, parallel (1.1.0, pool capacity 2) against
// its sequential form (the 1.0.0 chain), through the runtime; arg 1 = parallel.
void BM_Runtime_CpuBoundDiamond(benchmark::State& state) {
  const bool parallel = state.range(0) == 1;
  auto runtime = make_runtime(2);
  WorkflowEngineOptions options;
  options.broker = runtime->broker();
  options.max_parallelism = 2;
  options.scheduler = runtime->scheduler();
  auto engine = WorkflowEngine::create(runtime->step_runner(), options);
  auto prepared = WorkflowEngine::prepare(parallel ? diamond() : chain());
  if (!engine || !prepared) {
    die("engine setup");
  }
  branch_work_us.store(5000);
  const Value input{{"n", 1}};
  for (auto _ : state) {
    WorkflowRun run = engine->run(*prepared, input);
    if (!run.completed()) {
      die(run.error->message());
    }
    benchmark::DoNotOptimize(run);
  }
  branch_work_us.store(0);
  report(state, 4);
}
BENCHMARK(BM_Runtime_CpuBoundDiamond)
    ->ArgName("parallel")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace traverse

BENCHMARK_MAIN();
