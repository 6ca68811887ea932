// wasm_bench — the cost of one call of the expedition capability assess-expedition-conditions:
//   * Executor/interpreter: WasmExecutor::execute (host checks, worker round trip, wabt
//     interpreter in a sandbox worker, JSON), module cached in a warm worker;
//   * Executor/aot: the same with the ahead-of-time tier (compiled once into a private cache
//     before timing); after the runs, the compile time of each expedition module and the RSS of
//     the warm workers;
//   * NativeC: the same C sources compiled natively and called directly (wasm_bench_native.c);
//   * NodeV8 (when `node` is on PATH): node:wasi, a fresh instance per call of a module compiled
//     once, timed inside node (instantiate + _start).
// Each benchmark records every call's latency; the p50/p90 of each and the ratios to the native
// call are printed last. Build with the `release` preset. One run: keep it short on shared
// machines (--benchmark_min_time is honoured).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "traverse/executor/execution_context.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/json/value.hpp"
#include "traverse/support/digest.hpp"
#include "traverse/wasm/wasm_executor.hpp"
#include "wasm_binary.hpp"

extern "C" int assess_expedition_conditions_native(const char* input, std::size_t length,
                                                   const char** out, std::size_t* out_length);

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const fs::path kExpedition = fs::path(TRAVERSE_SOURCE_DIR) / "examples" / "expedition";
const fs::path kModule = kExpedition / "capabilities" / "assess-expedition-conditions" /
                         "assess-expedition-conditions.wasm";
constexpr const char* kInput =
    R"({"captured_objective":{"duration_days":4,"objective_id":"obj-64a5dea9",)"
    R"("region":"Mont Blanc massif","start_date":"2027-07-14",)"
    R"("title":"Summit Mont Blanc by the Gouter route"},)"
    R"("intent":{"activity":"alpine_ascent","difficulty":"high","keywords":["summit"]}})";

struct Percentiles {
  double p50_us = 0;
  double p90_us = 0;
  std::size_t samples = 0;
};
std::map<std::string, Percentiles>& results() {
  static std::map<std::string, Percentiles> all;
  return all;
}

Percentiles percentiles(std::vector<double> us) {
  Percentiles p;
  if (us.empty())
    return p;
  std::sort(us.begin(), us.end());
  p.p50_us = us[us.size() / 2];
  p.p90_us = us[us.size() * 9 / 10];
  p.samples = us.size();
  return p;
}

void record(benchmark::State& state, const std::string& name, std::vector<double> us) {
  const Percentiles p = percentiles(std::move(us));
  state.counters["p50_us"] = p.p50_us;
  state.counters["p90_us"] = p.p90_us;
  results()[name] = p;
}

traverse::ExecutorCapability assess_capability() {
  traverse::ExecutorCapability capability;
  capability.capability_id = "expedition.planning.assess-expedition-conditions";
  capability.capability_version = "1.0.0";
  capability.artifact_type = traverse::ArtifactType::Wasm;
  capability.wasm_binary_path = kModule.string();
  capability.service_type = traverse::ServiceType::Subscribable;
  capability.emits = {{"expedition.planning.conditions-assessed", "1.0.0"}};
  return capability;
}

// A private AOT cache for this run (compiles are measured, never served from an earlier run).
const fs::path& bench_cache_dir() {
  static const fs::path dir =
      fs::temp_directory_path() / ("traverse-wasm-bench-aot-" + std::to_string(::getpid()));
  return dir;
}

std::map<std::string, std::string>& notes() {
  static std::map<std::string, std::string> all;
  return all;
}

// Resident set size of process `pid` in KiB (VmRSS), or 0.
long rss_kib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

void run_executor(benchmark::State& state, traverse::WasmTier tier, const std::string& name) {
  traverse::WasmExecutorConfig config;
  config.worker_count = 1;
  config.prestart_workers = tier == traverse::WasmTier::Interpreter;
  config.tier = tier;
  config.aot_cache_dir = bench_cache_dir();
  auto executor = traverse::WasmExecutor::create(config);
  if (!executor) {
    state.SkipWithError(executor.error().message().c_str());
    return;
  }
  const auto capability = assess_capability();
  const traverse::Value input = traverse::parse_json(kInput).value();
  {
    traverse::ExecutionContext warm(capability, "exec-warm", "trace-warm");
    if (!(*executor)->execute(capability, input, warm)) {
      state.SkipWithError("warm-up call failed");
      return;
    }
  }
  std::vector<double> us;
  const auto before = (*executor)->stats();
  for (auto _ : state) {
    traverse::ExecutionContext context(capability, "exec", "trace");
    const auto start = Clock::now();
    auto output = (*executor)->execute(capability, input, context);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (!output) {
      state.SkipWithError(output.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(output);
  }
  const auto after = (*executor)->stats();
  const double calls = static_cast<double>(after.executions - before.executions);
  if (calls > 0) {
    const auto per = [&](std::uint64_t a, std::uint64_t b) {
      return static_cast<double>(a - b) / calls / 1000.0;
    };
    state.counters["ipc_us"] = per(after.ipc_ns, before.ipc_ns);
    state.counters["instantiate_us"] = per(after.instantiate_ns, before.instantiate_ns);
    state.counters["guest_us"] = per(after.run_ns, before.run_ns);
    state.counters["json_us"] = per(after.json_ns, before.json_ns);
  }
  if (tier == traverse::WasmTier::Aot && after.aot_executions != after.executions) {
    state.SkipWithError("calls did not run compiled code");
    return;
  }
  for (const int pid : (*executor)->worker_pids())
    notes()["worker RSS, " + name] =
        std::to_string(static_cast<double>(rss_kib(pid)) / 1024.0).substr(0, 5) + " MiB";
  record(state, name, std::move(us));
}

void BM_ExecutorInterpreter(benchmark::State& state) {
  run_executor(state, traverse::WasmTier::Interpreter, "executor/interpreter");
}
BENCHMARK(BM_ExecutorInterpreter)->Unit(benchmark::kMicrosecond);

void BM_ExecutorAot(benchmark::State& state) {
  run_executor(state, traverse::WasmTier::Aot, "executor/aot");
}
BENCHMARK(BM_ExecutorAot)->Unit(benchmark::kMicrosecond);

// Compile time per expedition module (translation + C compiler), each into an empty cache.
void measure_compiles() {
  const fs::path dir = bench_cache_dir() / "compile-times";
  traverse::WasmExecutorConfig config;
  config.tier = traverse::WasmTier::Aot;
  config.aot_cache_dir = dir;
  auto executor = traverse::WasmExecutor::create(config);
  if (!executor) {
    std::printf("AOT compile times skipped: %s\n", executor.error().message().c_str());
    return;
  }
  std::printf("\nAOT compile per module (wasm bytes -> object bytes, wall time):\n");
  for (const auto& entry : fs::directory_iterator(kExpedition / "capabilities")) {
    const fs::path wasm = entry.path() / (entry.path().filename().string() + ".wasm");
    if (!fs::exists(wasm))
      continue;
    auto report = (*executor)->compile_ahead(wasm);
    if (!report) {
      std::printf("  %-32s failed: %s\n", entry.path().filename().c_str(),
                  report.error().message().c_str());
      continue;
    }
    std::printf("  %-32s %7ju -> %7ju bytes  %8.0f ms\n", entry.path().filename().c_str(),
                static_cast<std::uintmax_t>(fs::file_size(wasm)),
                static_cast<std::uintmax_t>(report->object_bytes),
                std::chrono::duration<double, std::milli>(report->compile_time).count());
  }
}

void BM_NativeC(benchmark::State& state) {
  const std::string input = kInput;
  std::vector<double> us;
  for (auto _ : state) {
    const char* out = nullptr;
    std::size_t out_length = 0;
    const auto start = Clock::now();
    const int status =
        assess_expedition_conditions_native(input.data(), input.size(), &out, &out_length);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (status != 0 || out_length == 0) {
      state.SkipWithError("native call failed");
      return;
    }
    benchmark::DoNotOptimize(out);
  }
  record(state, "native C", std::move(us));
}
BENCHMARK(BM_NativeC)->Unit(benchmark::kMicrosecond);

// What every call paid on the host before module bytes were kept verified in memory: read the
// .wasm, SHA-256 it, parse its imports and check them (now done once per module file; a call
// only stats the file). Measured here for the before/after breakdown.
void BM_HostChecksPerCallBefore(benchmark::State& state) {
  std::vector<double> us;
  for (auto _ : state) {
    const auto start = Clock::now();
    auto bytes = traverse::read_file(kModule);
    const std::string digest = traverse::sha256_hex(bytes.value());
    auto imports = traverse::wasm_internal::read_wasm_imports(*bytes);
    auto checked = traverse::wasm_internal::check_host_abi(std::move(imports.value()), "1.0.0");
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    benchmark::DoNotOptimize(digest);
    benchmark::DoNotOptimize(checked);
  }
  record(state, "host checks per call, before (read+sha256+imports)", std::move(us));
}
BENCHMARK(BM_HostChecksPerCallBefore)->Unit(benchmark::kMicrosecond);

// Runs node:wasi outside Google Benchmark's loop (a child process) and records its p50/p90.
void measure_node() {
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    std::printf("node not found: the V8 comparison is skipped\n");
    return;
  }
  const fs::path dir =
      fs::temp_directory_path() / ("traverse-wasm-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "input.json") << kInput;
  std::ofstream(dir / "bench.js") << R"JS(
const fs = require('fs');
const { WASI } = require('node:wasi');
const [modulePath, inputPath, outPath, calls] = process.argv.slice(2);
const mod = new WebAssembly.Module(fs.readFileSync(modulePath));
const host = {};
for (const imp of WebAssembly.Module.imports(mod))
  if (imp.module === 'traverse_host') host[imp.name] = () => 0;
const times = [];
for (let i = 0; i < Number(calls); ++i) {
  const stdin = fs.openSync(inputPath, 'r');
  const stdout = fs.openSync(outPath, 'w');
  const wasi = new WASI({ version: 'preview1', stdin, stdout, stderr: stdout, returnOnExit: true });
  const start = process.hrtime.bigint();
  const instance = new WebAssembly.Instance(mod, {
    wasi_snapshot_preview1: wasi.wasiImport, traverse_host: host });
  const code = wasi.start(instance);
  times.push(Number(process.hrtime.bigint() - start) / 1000);
  fs.closeSync(stdin); fs.closeSync(stdout);
  if (code !== 0) { console.error('exit ' + code); process.exit(1); }
}
times.sort((a, b) => a - b);
console.log(times[Math.floor(times.length / 2)] + ' ' + times[Math.floor(times.length * 0.9)] +
            ' ' + times.length);
)JS";
  const std::string command = "node --no-warnings " + (dir / "bench.js").string() + " " +
                              kModule.string() + " " + (dir / "input.json").string() + " " +
                              (dir / "out.json").string() + " 500";
  FILE* pipe = ::popen(command.c_str(), "r");
  Percentiles p;
  if (pipe != nullptr) {
    if (std::fscanf(pipe, "%lf %lf %zu", &p.p50_us, &p.p90_us, &p.samples) == 3)
      results()["node V8 (node:wasi, fresh instance)"] = p;
    ::pclose(pipe);
  }
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  measure_node();
  measure_compiles();
  std::error_code ignored;
  fs::remove_all(bench_cache_dir(), ignored);
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3)
    std::printf("\nload average at the end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  for (const auto& [name, value] : notes())
    std::printf("%s: %s\n", name.c_str(), value.c_str());

  std::printf(
      "\nper call of assess-expedition-conditions (p50 / p90, us; ratio = p50 / native):\n");
  const auto native = results().find("native C");
  for (const auto& [name, p] : results()) {
    std::printf("  %-40s %10.2f / %10.2f", name.c_str(), p.p50_us, p.p90_us);
    if (native != results().end() && native->second.p50_us > 0)
      std::printf("   x%.1f", p.p50_us / native->second.p50_us);
    std::printf("   (%zu calls)\n", p.samples);
  }
  const auto interpreter = results().find("executor/interpreter");
  const auto aot = results().find("executor/aot");
  if (interpreter != results().end() && aot != results().end() && aot->second.p50_us > 0)
    std::printf("  AOT tier vs interpreter tier (executor p50): x%.1f faster\n",
                interpreter->second.p50_us / aot->second.p50_us);
  return 0;
}
