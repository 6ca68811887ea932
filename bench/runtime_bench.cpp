// The runtime pipeline's own cost, through the public API: a traced native execution
// (TraverseRuntime::execute_capability: check the request → resolve → eligibility → input schema
// → placement → the ThreadPoolExecutor over a NativeExecutor → output schema → TraceStore insert
// → RuntimeTrace → result), beside its floor in the same run: the same handler called directly.
//   - BM_DirectHandlerCall: the handler alone (the floor: what the capability costs untraced).
//   - BM_TracedNativeExecution/{in_memory,sqlite}: 1 and 8 callers; the default
//     InMemoryTraceStore, and a SqliteTraceStore (WAL, group commit) in a temporary file; the
//     SQLite runs also report entries_per_commit and the checkpoints of each kind.
//   - BM_TracedNativeExecution/in_memory_no_polling: in-memory, with the pool's polling off
//     (Builder::with_native_pool_spin(0, 0)); run it beside other busy programs to see why.
//   - BM_SubmittedNativeExecution: the asynchronous API (TraverseRuntime::submit, then wait).
// The pipeline's overhead per execution is traced time − direct time. Linked with the system's
// malloc (what an embedding program gets unless it chooses another allocator; the `traverse`
// executable links jemalloc: compare with LD_PRELOAD=libjemalloc.so.2). Build with `release`:
//
//   build/release/bench/runtime_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sqlite_store_counters.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/support/ids.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"
#include "traverse/trace/sqlite_trace_store.hpp"

namespace traverse {
namespace {

// The runtimes measured: the in-memory or the SQLite store; InMemoryNoPolling: the in-memory
// store and a pool whose threads sleep at once (Builder::with_native_pool_spin(0, 0): what to use
// where other programs keep the CPUs busy).
enum class Setup { InMemory, Sqlite, InMemoryNoPolling };

CapabilityContract bench_contract() {
  CapabilityContract contract;
  contract.namespace_name = "bench.runtime";
  contract.name = "add-numbers";
  contract.id = "bench.runtime.add-numbers";
  contract.version = "1.0.0";
  contract.lifecycle = Lifecycle::Active;
  contract.permitted_targets = {ExecutionTarget::Local};
  contract.preferred_targets = {ExecutionTarget::Local};
  contract.input_schema = Value::parse(
      R"({"type":"object","required":["a","b"],"additionalProperties":false,
          "properties":{"a":{"type":"integer"},"b":{"type":"integer"}}})");
  contract.output_schema = Value::parse(
      R"({"type":"object","required":["sum"],"properties":{"sum":{"type":"integer"}}})");
  return contract;
}

// The capability's handler: adds two integers.
NativeHandler::Result add_numbers(const Value& input) {
  return NativeHandler::Result(
      Value{{"sum", input["a"].get<std::int64_t>() + input["b"].get<std::int64_t>()}});
}

// The SQLite store of the sqlite runtime (owned by it), for its counters.
const SqliteTraceStore* g_sqlite_store = nullptr;

// One runtime per setup, shared by every caller thread of every benchmark run.
TraverseRuntime& runtime_for(Setup setup) {
  // Destroyed after the runtimes (reverse construction order): removes the SQLite files.
  struct TempFiles {
    std::vector<std::filesystem::path> paths;
    ~TempFiles() {
      for (const auto& path : paths) {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        std::filesystem::remove(path.string() + "-wal", ignored);
        std::filesystem::remove(path.string() + "-shm", ignored);
      }
    }
  };
  static std::mutex mutex;
  static TempFiles temp_files;
  static std::unique_ptr<TraverseRuntime> runtimes[3];
  std::lock_guard lock(mutex);
  auto& slot = runtimes[static_cast<int>(setup)];
  if (!slot) {
    TraverseRuntime::Builder builder;
    builder.with_native_handler("bench.runtime.add-numbers", add_numbers);
    if (setup == Setup::InMemoryNoPolling) {
      builder.with_native_pool_spin(std::chrono::nanoseconds{0}, std::chrono::nanoseconds{0});
    }
    if (setup == Setup::Sqlite) {
      const auto path = std::filesystem::temp_directory_path() /
                        ("traverse-router-bench-" + new_uuid_v4() + ".db");
      temp_files.paths.push_back(path);
      auto store = SqliteTraceStore::open(path);
      if (!store) {
        std::fprintf(stderr, "cannot open %s: %s\n", path.c_str(),
                     store.error().to_string().c_str());
        std::abort();
      }
      g_sqlite_store = store->get();
      builder.with_trace_store(std::shared_ptr<TraceStore>(std::move(*store)));
    }
    auto built = builder.build();
    if (!built) {
      std::fprintf(stderr, "runtime build failed: %s\n", built.error().to_string().c_str());
      std::abort();
    }
    auto registered = (*built)->register_capability(
        Scope::Public, bench_contract(), ArtifactReference::native("bench.runtime.add-numbers"));
    if (!registered) {
      std::abort();
    }
    slot = std::move(*built);
  }
  return *slot;
}

void BM_DirectHandlerCall(benchmark::State& state) {
  std::int64_t i = 0;
  for (auto _ : state) {
    const Value input{{"a", i++}, {"b", 1}};
    NativeHandler::Result result = add_numbers(input);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

RuntimeRequest bench_request(const benchmark::State& state) {
  RuntimeRequest request;
  request.request_id = "bench-" + std::to_string(state.thread_index());
  request.capability_id = "bench.runtime.add-numbers";
  request.capability_version = "1.0.0";
  return request;
}

void BM_SubmittedNativeExecution(benchmark::State& state) {
  TraverseRuntime& runtime = runtime_for(Setup::InMemory);
  RuntimeRequest request = bench_request(state);
  std::int64_t i = 0;
  for (auto _ : state) {
    request.input = Value{{"a", i++}, {"b", 1}};
    RuntimeExecution execution = runtime.submit(request).wait();
    if (!execution.result.completed()) {
      state.SkipWithError(execution.result.error->message().c_str());
      break;
    }
    benchmark::DoNotOptimize(execution);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_TracedNativeExecution(benchmark::State& state, Setup setup) {
  TraverseRuntime& runtime = runtime_for(setup);
  RuntimeRequest request = bench_request(state);
  const SqliteTraceStore* sqlite = setup == Setup::Sqlite ? g_sqlite_store : nullptr;
  const SqliteTraceStoreStats before =
      sqlite != nullptr ? sqlite->stats() : SqliteTraceStoreStats{};
  std::int64_t i = 0;
  for (auto _ : state) {
    request.input = Value{{"a", i++}, {"b", 1}};
    RuntimeResult result = runtime.execute_capability(request);
    if (!result.completed()) {
      state.SkipWithError(result.error->message().c_str());
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
  bench::report_sqlite_counters(state, sqlite, before);
}

BENCHMARK(BM_DirectHandlerCall);
BENCHMARK_CAPTURE(BM_TracedNativeExecution, in_memory, Setup::InMemory)
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_TracedNativeExecution, in_memory_no_polling, Setup::InMemoryNoPolling)
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_TracedNativeExecution, sqlite, Setup::Sqlite)
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime();
BENCHMARK(BM_SubmittedNativeExecution)->Threads(1)->Threads(8)->UseRealTime();

}  // namespace
}  // namespace traverse

BENCHMARK_MAIN();
