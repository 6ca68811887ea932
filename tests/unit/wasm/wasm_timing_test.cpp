// Governing spec: 020-wasm-sandbox
// Where the time of one sandboxed call goes, for the performance note: per-call latency of an
// expedition module with its decoded module cached in the worker, split into IPC, instantiate,
// run and JSON, plus the cost of starting a worker and of decoding a module once. Prints the
// numbers (meaningful in a Release build) and checks that the split accounts for the total.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "traverse/json/parse.hpp"
#include "wasm_test_support.hpp"

namespace traverse {
namespace {

using wasm_test::make_executor;
using wasm_test::test_config;

double us(std::uint64_t ns, std::uint64_t count) {
  return count == 0 ? 0.0 : static_cast<double>(ns) / static_cast<double>(count) / 1000.0;
}

TEST(WasmTiming, ExpeditionCallLatencySplitsIntoIpcInstantiateRunAndJson) {
  const std::filesystem::path expedition =
      std::filesystem::path(TRAVERSE_SOURCE_DIR) / "examples" / "expedition";
  ExecutorCapability capability;
  capability.capability_id = "expedition.planning.assess-expedition-conditions";
  capability.capability_version = "1.0.0";
  capability.artifact_type = ArtifactType::Wasm;
  capability.wasm_binary_path = (expedition / "capabilities" / "assess-expedition-conditions" /
                                 "assess-expedition-conditions.wasm")
                                    .string();
  capability.service_type = ServiceType::Subscribable;
  capability.emits = {{"expedition.planning.conditions-assessed", "1.0.0"}};
  const Value input = parse_json(R"({
    "captured_objective": {"duration_days": 4, "objective_id": "obj-64a5dea9",
      "region": "Mont Blanc massif", "start_date": "2027-07-14",
      "title": "Summit Mont Blanc by the Gouter route"},
    "intent": {"activity": "alpine_ascent", "difficulty": "high", "keywords": ["summit"]}})")
                          .value();

  WasmExecutorConfig config = test_config();
  config.worker_count = 4;
  config.prestart_workers = true;
  auto executor = make_executor(config);
  ASSERT_NE(executor, nullptr);
  const WasmExecutorStats started = executor->stats();

  // The first call on a worker decodes the module (cache miss); later calls reuse it. With one
  // caller the same worker serves every call.
  ExecutionContext warm_context(capability, "exec-warm", "trace-warm");
  ASSERT_TRUE(executor->execute(capability, input, warm_context).has_value());
  const WasmExecutorStats warmed = executor->stats();

  constexpr int kCalls = 200;
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) {
    ExecutionContext context(capability, "exec", "trace");
    auto output = executor->execute(capability, input, context);
    ASSERT_TRUE(output.has_value()) << output.error().message();
    ASSERT_EQ(output->emitted_events.size(), 1U);
  }
  const auto total_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - begin)
          .count());
  const WasmExecutorStats done = executor->stats();
  const std::uint64_t calls = done.executions - warmed.executions;
  ASSERT_EQ(calls, static_cast<std::uint64_t>(kCalls));
  EXPECT_EQ(done.module_cache_hits - warmed.module_cache_hits, calls);

  const double total = us(total_ns, calls);
  const double ipc = us(done.ipc_ns - warmed.ipc_ns, calls);
  const double instantiate = us(done.instantiate_ns - warmed.instantiate_ns, calls);
  const double run = us(done.run_ns - warmed.run_ns, calls);
  const double json = us(done.json_ns - warmed.json_ns, calls);
  const double other = total - ipc - instantiate - run - json;
  std::printf(
      "wasm call (assess-expedition-conditions, cached module, %d calls): %.1f us/call\n"
      "  ipc %.1f us | instantiate %.1f us | run %.1f us | json %.1f us | host checks "
      "(stat, checksum compare) and queue %.1f us\n"
      "  worker spawn (to ready) %.1f us each over %llu workers | module decode+validate "
      "(first call) %.1f us\n",
      kCalls, total, ipc, instantiate, run, json, other,
      us(started.spawn_ns, started.workers_spawned),
      static_cast<unsigned long long>(started.workers_spawned),
      us(warmed.decode_ns - started.decode_ns, 1));
  EXPECT_GT(instantiate, 0.0);
  EXPECT_GT(run, 0.0);
  EXPECT_GT(json, 0.0);
  EXPECT_GT(ipc, 0.0);
  EXPECT_LE(ipc + instantiate + run + json, total);
  EXPECT_GT(started.workers_spawned, 0U);
  EXPECT_GT(warmed.decode_ns, started.decode_ns);
}

}  // namespace
}  // namespace traverse
