// Trace store and event broker throughput: inserts/publishes per second from 1 and 8 threads.
//
//   BM_TraceInsert/<store>      one traced execution (public + private entry) per iteration;
//                               store 0 = InMemoryTraceStore (the floor),
//                               store 1 = SqliteTraceStore with max_batch 1 (one transaction per
//                                         insert: the store before group commit, the baseline),
//                               store 2 = SqliteTraceStore with group commit (the default).
//                               Compare items_per_second of 2 against 1 and 0 in the same run.
//                               SQLite runs report entries_per_commit and the checkpoints.
//   BM_TraceEntryEncode         the JSON encoding of one traced execution's entries (part of
//                               every SQLite insert, done by the inserting thread)
//   BM_SqliteOpen/<check>       opening a store for writing on a file of 10,000 traced executions;
//                               check 0 = no integrity check, 1 = the default quick_check on open
//                               (the difference is the check's cost)
//   BM_BrokerPublish            one validated publish per iteration, fanned out to 1 subscriber
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "sqlite_store_counters.hpp"
#include "traverse/events/in_process_broker.hpp"
#include "traverse/support/ids.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"
#include "traverse/trace/sqlite_trace_store.hpp"

namespace {

using namespace traverse;

std::shared_ptr<TraceStore> g_store;
std::filesystem::path g_db_path;
std::atomic<std::uint64_t> g_next_id{0};

void setup_store(const benchmark::State& state) {
  if (state.range(0) == 0) {
    g_store = std::make_shared<InMemoryTraceStore>();
  } else {
    g_db_path = std::filesystem::temp_directory_path() / ("traverse-trace-bench-" + new_uuid_v4());
    std::filesystem::create_directories(g_db_path);
    SqliteTraceStoreOptions options;
    if (state.range(0) == 1)
      options.max_batch = 1;
    auto store = SqliteTraceStore::open(g_db_path / "traces.db", options);
    if (!store)
      std::abort();
    g_store = std::move(*store);
  }
}

void teardown_store(const benchmark::State&) {
  g_store.reset();
  if (!g_db_path.empty())
    std::filesystem::remove_all(g_db_path);
  g_db_path.clear();
}

PublicTraceEntry bench_entry(std::uint64_t n) {
  PublicTraceEntry e;
  e.id = "t-" + std::to_string(n);
  e.execution_id = "exec-" + e.id;
  e.source = "traverse-runtime/demo.shop";
  e.time = rfc3339_now();
  e.capability_id = "demo.shop";
  e.capability_version = "1.0.0";
  e.placement_target = "Local";
  return e;
}

void BM_TraceInsert(benchmark::State& state) {
  const Value input = Value{{"order_id", "o-1"}, {"amount", 12.5}, {"items", Value::array({1, 2})}};
  const Value output = Value{{"status", "accepted"}};
  const auto* sqlite = dynamic_cast<const SqliteTraceStore*>(g_store.get());
  const SqliteTraceStoreStats before =
      sqlite != nullptr ? sqlite->stats() : SqliteTraceStoreStats{};
  for (auto _ : state) {
    PublicTraceEntry e = bench_entry(g_next_id.fetch_add(1));
    auto priv = make_private_trace_entry(e.id, input, &output, 1, false);
    if (!g_store->insert(std::move(e), std::move(priv)))
      state.SkipWithError("insert failed");
  }
  state.SetItemsProcessed(state.iterations());
  bench::report_sqlite_counters(state, sqlite, before);
}
BENCHMARK(BM_TraceInsert)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Setup(setup_store)
    ->Teardown(teardown_store)
    ->Threads(1)
    ->Threads(8)
    ->Iterations(5000)
    ->UseRealTime();

// What an insert into the SQLite store encodes per traced execution: the public and private
// entries as canonical JSON (the store's columns).
void BM_TraceEntryEncode(benchmark::State& state) {
  const Value input = Value{{"order_id", "o-1"}, {"amount", 12.5}, {"items", Value::array({1, 2})}};
  const Value output = Value{{"status", "accepted"}};
  const PublicTraceEntry e = bench_entry(1);
  const PrivateTraceEntry priv = make_private_trace_entry(e.id, input, &output, 1, false);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string public_json = canonical_dump(to_json(e));
    std::string private_json = canonical_dump(to_json(priv));
    bytes += public_json.size() + private_json.size();
    benchmark::DoNotOptimize(public_json);
    benchmark::DoNotOptimize(private_json);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_entry"] =
      static_cast<double>(bytes) /
      static_cast<double>(std::max<std::int64_t>(state.iterations(), 1));
}
BENCHMARK(BM_TraceEntryEncode);

void setup_open(const benchmark::State&) {
  g_db_path = std::filesystem::temp_directory_path() / ("traverse-trace-bench-" + new_uuid_v4());
  std::filesystem::create_directories(g_db_path);
  auto store = SqliteTraceStore::open(g_db_path / "traces.db");
  if (!store)
    std::abort();
  const Value input = Value{{"order_id", "o-1"}, {"amount", 12.5}, {"items", Value::array({1, 2})}};
  const Value output = Value{{"status", "accepted"}};
  for (std::uint64_t i = 0; i < 10000; ++i) {
    PublicTraceEntry e = bench_entry(i);
    auto priv = make_private_trace_entry(e.id, input, &output, 1, false);
    if (!(*store)->insert(std::move(e), std::move(priv)))
      std::abort();
  }
}

void teardown_open(const benchmark::State&) {
  std::filesystem::remove_all(g_db_path);
  g_db_path.clear();
}

void BM_SqliteOpen(benchmark::State& state) {
  SqliteTraceStoreOptions options;
  if (state.range(0) == 0)
    options.open_check_max_bytes = 0;
  for (auto _ : state) {
    auto store = SqliteTraceStore::open(g_db_path / "traces.db", options);
    if (!store)
      state.SkipWithError("open failed");
  }
  std::error_code ignored;
  const auto main_bytes = std::filesystem::file_size(g_db_path / "traces.db", ignored);
  const auto wal_bytes = std::filesystem::file_size(g_db_path / "traces.db-wal", ignored);
  state.counters["file_MiB"] =
      static_cast<double>((main_bytes == static_cast<std::uintmax_t>(-1) ? 0 : main_bytes) +
                          (wal_bytes == static_cast<std::uintmax_t>(-1) ? 0 : wal_bytes)) /
      (1024.0 * 1024.0);
}
BENCHMARK(BM_SqliteOpen)
    ->Arg(0)
    ->Arg(1)
    ->Setup(setup_open)
    ->Teardown(teardown_open)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

std::shared_ptr<InProcessBroker> g_broker;
std::string g_subscription;

void setup_broker(const benchmark::State&) {
  auto catalog = std::make_shared<EventCatalog>();
  (void)catalog->register_entry({"demo.order.placed", "shop", "1.0.0", Lifecycle::Active, 0});
  g_broker = *InProcessBroker::create({.max_queue_len = 1 << 20}, catalog);
  g_subscription = g_broker->subscribe("demo.order.placed", "0")->subscription_id;
}

void teardown_broker(const benchmark::State&) {
  g_broker.reset();
}

void BM_BrokerPublish(benchmark::State& state) {
  TraverseEvent e;
  e.source = "traverse-runtime/demo.shop";
  e.event_type = "demo.order.placed";
  e.time = rfc3339_now();
  e.data = Value{{"order_id", "o-1"}};
  e.owner = "demo.shop";
  e.version = "1.0.0";
  e.deduplication_id = "demo.shop:demo.order.placed:1.0.0";
  e.ordering_scope = "demo.shop";
  for (auto _ : state) {
    e.id = new_uuid_v4();
    if (!g_broker->publish(e))
      state.SkipWithError("publish failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BrokerPublish)
    ->Setup(setup_broker)
    ->Teardown(teardown_broker)
    ->Threads(1)
    ->Threads(8)
    ->Iterations(50000)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
