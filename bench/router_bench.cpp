// Traced native executions per second through the full runtime path:
// TraverseRuntime::execute_capability → resolve → input schema → PlacementRouter (placement,
// ThreadPoolExecutor over a NativeExecutor, output schema, TraceStore insert) → RuntimeResult.
// Run with 1 and 8 callers, against the default InMemoryTraceStore and a SqliteTraceStore (WAL,
// synchronous=NORMAL) in a temporary file. Build with the `release` preset for real numbers.
//
//   build/release/bench/router_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/support/ids.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"
#include "traverse/trace/sqlite_trace_store.hpp"

namespace traverse {
namespace {

enum class StoreKind { InMemory, Sqlite };

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

// One runtime per store kind, shared by every caller thread of every benchmark run.
TraverseRuntime& runtime_for(StoreKind kind) {
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
  static std::unique_ptr<TraverseRuntime> runtimes[2];
  std::lock_guard lock(mutex);
  auto& slot = runtimes[static_cast<int>(kind)];
  if (!slot) {
    TraverseRuntime::Builder builder;
    builder.with_native_handler("bench.runtime.add-numbers", [](const Value& input) {
      return NativeHandler::Result(
          Value{{"sum", input["a"].get<std::int64_t>() + input["b"].get<std::int64_t>()}});
    });
    if (kind == StoreKind::Sqlite) {
      const auto path = std::filesystem::temp_directory_path() /
                        ("traverse-router-bench-" + new_uuid_v4() + ".db");
      temp_files.paths.push_back(path);
      auto store = SqliteTraceStore::open(path);
      if (!store) {
        std::fprintf(stderr, "cannot open %s: %s\n", path.c_str(),
                     store.error().to_string().c_str());
        std::abort();
      }
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

void BM_TracedNativeExecution(benchmark::State& state, StoreKind kind) {
  TraverseRuntime& runtime = runtime_for(kind);
  RuntimeRequest request;
  request.request_id = "bench-" + std::to_string(state.thread_index());
  request.capability_id = "bench.runtime.add-numbers";
  request.capability_version = "1.0.0";
  std::int64_t i = 0;
  for (auto _ : state) {
    request.input = Value{{"a", i++}, {"b", 1}};
    RuntimeResult result = runtime.execute_capability(request);
    if (!result.completed()) {
      state.SkipWithError(result.error->message.c_str());
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_TracedNativeExecution, in_memory, StoreKind::InMemory)
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_TracedNativeExecution, sqlite, StoreKind::Sqlite)
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime();

}  // namespace
}  // namespace traverse

BENCHMARK_MAIN();
