// bench/executor_bench.cpp — how fast the executor layer hands a call to a worker and back.
//
// Google Benchmark programs (run without arguments, or with the usual --benchmark_* flags):
//   BM_DirectHandlerCall          the identity handler called directly (the floor)
//   BM_NativeExecutor             NativeExecutor::execute on the calling thread
//   BM_ThreadPool_1Caller         ThreadPoolExecutor (capacity 2), one caller: round-trip latency
//   BM_ThreadPool_Callers/cap:N   ThreadPoolExecutor, 8 concurrent callers, capacity 2 and 8
//   BM_MutexCondvarPool_*         baseline: a textbook mutex + condition-variable pool
//   BM_StdAsync_*                 baseline: std::async(std::launch::async) per call
//   *_Contended                   the same while busy threads (one per CPU, standing for other
//                                 programs) keep every CPU busy; ThreadPoolNoPolling is the pool
//                                 with worker_spin = caller_spin = 0 (its threads sleep at once
//                                 instead of polling with yields, each of which can then cost a
//                                 scheduler time slice)
//
// `executor_bench --rayon-compare [--quick]` instead mirrors the measurement method of the Rust
// reference baseline (shared/baselines/rayon-executor: median of timed batches for latency,
// median of timed trials for throughput) and prints one JSON line with the same keys
// (direct_ns, install_1caller_ns, install_8callers_ops_per_s, install_8callers_cap2_ops_per_s).
// bench/compare_rayon.sh runs both programs alternately and prints the ratios.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "traverse/executor/native_executor.hpp"
#include "traverse/executor/thread_pool_executor.hpp"

namespace {

using traverse::ExecutionContext;
using traverse::ExecutorCapability;
using traverse::ExecutorError;
using traverse::ExecutorOutput;
using traverse::NativeExecutor;
using traverse::ThreadPoolExecutor;
using traverse::ThreadPoolExecutorConfig;
using traverse::Value;
using Result = std::expected<ExecutorOutput, ExecutorError>;

const ExecutorCapability& bench_capability() {
  static const ExecutorCapability capability = [] {
    ExecutorCapability c;
    c.capability_id = "bench.identity";
    c.capability_version = "1.0.0";
    return c;
  }();
  return capability;
}

const Value& bench_input() {
  static const Value input = Value{{"key", "value"}};
  return input;
}

std::expected<Value, std::string> identity(const Value& input) {
  return input;
}

std::unique_ptr<NativeExecutor> identity_executor() {
  return std::make_unique<NativeExecutor>(traverse::NativeHandler(&identity));
}

// `polling`: false sets worker_spin and caller_spin to 0 (threads sleep at once).
std::unique_ptr<ThreadPoolExecutor> make_pool(std::size_t capacity, bool polling = true) {
  ThreadPoolExecutorConfig config;
  config.capacity = capacity;
  if (!polling) {
    config.worker_spin = std::chrono::nanoseconds{0};
    config.caller_spin = std::chrono::nanoseconds{0};
  }
  auto pool = ThreadPoolExecutor::create(std::move(config), identity_executor());
  if (!pool) {
    std::fprintf(stderr, "pool: %s\n", pool.error().message().c_str());
    std::abort();
  }
  return std::move(*pool);
}

// One call the way the runtime makes it: a fresh context, then execute.
Result call(const traverse::CapabilityExecutor& executor) {
  ExecutionContext context(bench_capability(), "exec-1", "trace-1");
  return executor.execute(bench_capability(), bench_input(), context);
}

// ---- baseline 1: a textbook pool — mutex-protected std::function queue, a condition variable
// to wake a worker, and a std::promise/std::future per call for the result.
class MutexCondvarPool final : public traverse::CapabilityExecutor {
 public:
  MutexCondvarPool(std::size_t capacity, std::unique_ptr<traverse::CapabilityExecutor> inner)
      : inner_(std::move(inner)) {
    for (std::size_t i = 0; i < capacity; ++i) {
      threads_.emplace_back([this] { serve(); });
    }
  }
  ~MutexCondvarPool() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    ready_.notify_all();
    for (auto& thread : threads_) {
      thread.join();
    }
  }
  Result execute(const ExecutorCapability& capability, const Value& input,
                 ExecutionContext& context) const override {
    std::promise<Result> promise;
    auto future = promise.get_future();
    {
      std::lock_guard lock(mutex_);
      tasks_.emplace_back([&] { promise.set_value(inner_->execute(capability, input, context)); });
    }
    ready_.notify_one();
    return future.get();
  }
  // The baselines block in `execute`; their completions are fulfilled on the caller.
  traverse::ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                                      ExecutionContext& context) const override {
    return traverse::ExecutorCompletion::fulfilled(execute(capability, input, context));
  }

 private:
  void serve() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) {
          return;
        }
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  std::unique_ptr<traverse::CapabilityExecutor> inner_;
  mutable std::mutex mutex_;
  mutable std::condition_variable ready_;
  mutable std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// ---- baseline 2: a new thread per call through std::async.
class StdAsyncExecutor final : public traverse::CapabilityExecutor {
 public:
  explicit StdAsyncExecutor(std::unique_ptr<traverse::CapabilityExecutor> inner)
      : inner_(std::move(inner)) {}
  Result execute(const ExecutorCapability& capability, const Value& input,
                 ExecutionContext& context) const override {
    return std::async(std::launch::async,
                      [&] { return inner_->execute(capability, input, context); })
        .get();
  }
  // The baselines block in `execute`; their completions are fulfilled on the caller.
  traverse::ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                                      ExecutionContext& context) const override {
    return traverse::ExecutorCompletion::fulfilled(execute(capability, input, context));
  }

 private:
  std::unique_ptr<traverse::CapabilityExecutor> inner_;
};

// Executors shared by the threads of one multi-threaded benchmark, built on first use.
template <typename Make>
traverse::CapabilityExecutor& shared(const std::string& key, Make make) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<traverse::CapabilityExecutor>> executors;
  std::lock_guard lock(mutex);
  auto& slot = executors[key];
  if (!slot) {
    slot = make();
  }
  return *slot;
}

void run_calls(benchmark::State& state, const traverse::CapabilityExecutor& executor) {
  for (auto _ : state) {
    auto result = call(executor);
    if (!result) {
      state.SkipWithError("call failed");
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DirectHandlerCall(benchmark::State& state) {
  for (auto _ : state) {
    auto result = identity(bench_input());
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DirectHandlerCall);

void BM_NativeExecutor(benchmark::State& state) {
  auto executor = identity_executor();
  run_calls(state, *executor);
}
BENCHMARK(BM_NativeExecutor);

void BM_ThreadPool_1Caller(benchmark::State& state) {
  auto pool = make_pool(2);
  run_calls(state, *pool);
}
BENCHMARK(BM_ThreadPool_1Caller)->UseRealTime();

void BM_ThreadPool_Callers(benchmark::State& state) {
  const auto capacity = static_cast<std::size_t>(state.range(0));
  run_calls(state, shared("pool" + std::to_string(capacity), [&] { return make_pool(capacity); }));
}
BENCHMARK(BM_ThreadPool_Callers)->ArgName("cap")->Arg(2)->Arg(8)->Threads(8)->UseRealTime();

void BM_MutexCondvarPool_1Caller(benchmark::State& state) {
  MutexCondvarPool pool(2, identity_executor());
  run_calls(state, pool);
}
BENCHMARK(BM_MutexCondvarPool_1Caller)->UseRealTime();

void BM_MutexCondvarPool_Callers(benchmark::State& state) {
  const auto capacity = static_cast<std::size_t>(state.range(0));
  run_calls(state, shared("condvar" + std::to_string(capacity), [&] {
              return std::make_unique<MutexCondvarPool>(capacity, identity_executor());
            }));
}
BENCHMARK(BM_MutexCondvarPool_Callers)->ArgName("cap")->Arg(2)->Arg(8)->Threads(8)->UseRealTime();

// ---- CPU contention: busy threads, one per CPU, for the length of one benchmark run.
class BusyCpus {
 public:
  BusyCpus() {
    const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < cpus; ++i) {
      threads_.emplace_back([this] {
        std::uint64_t x = 1;
        while (!stop_.load(std::memory_order_relaxed)) {
          x = x * 6364136223846793005ULL + 1442695040888963407ULL;  // work the CPU, not memory
        }
        benchmark::DoNotOptimize(x);
      });
    }
  }
  BusyCpus(const BusyCpus&) = delete;
  BusyCpus& operator=(const BusyCpus&) = delete;
  ~BusyCpus() {
    stop_.store(true, std::memory_order_relaxed);
    for (auto& thread : threads_) {
      thread.join();
    }
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// Runs `calls` with every CPU kept busy. Thread 0 starts the busy threads before the timed loop
// (which starts when every benchmark thread is in it) and stops them after it.
template <typename Calls>
void contended(benchmark::State& state, Calls calls) {
  static std::unique_ptr<BusyCpus> busy;
  if (state.thread_index() == 0) {
    busy = std::make_unique<BusyCpus>();
  }
  calls();
  if (state.thread_index() == 0) {
    busy.reset();
  }
}

void BM_ThreadPool_1Caller_Contended(benchmark::State& state) {
  auto pool = make_pool(2);
  contended(state, [&] { run_calls(state, *pool); });
}
BENCHMARK(BM_ThreadPool_1Caller_Contended)->UseRealTime();

void BM_ThreadPool_8Callers_Contended(benchmark::State& state) {
  auto& pool = shared("pool2", [] { return make_pool(2); });
  contended(state, [&] { run_calls(state, pool); });
}
BENCHMARK(BM_ThreadPool_8Callers_Contended)->Threads(8)->UseRealTime();

void BM_ThreadPoolNoPolling_1Caller_Contended(benchmark::State& state) {
  auto pool = make_pool(2, false);
  contended(state, [&] { run_calls(state, *pool); });
}
BENCHMARK(BM_ThreadPoolNoPolling_1Caller_Contended)->UseRealTime();

void BM_ThreadPoolNoPolling_8Callers_Contended(benchmark::State& state) {
  auto& pool = shared("pool2-no-polling", [] { return make_pool(2, false); });
  contended(state, [&] { run_calls(state, pool); });
}
BENCHMARK(BM_ThreadPoolNoPolling_8Callers_Contended)->Threads(8)->UseRealTime();

void BM_MutexCondvarPool_1Caller_Contended(benchmark::State& state) {
  MutexCondvarPool pool(2, identity_executor());
  contended(state, [&] { run_calls(state, pool); });
}
BENCHMARK(BM_MutexCondvarPool_1Caller_Contended)->UseRealTime();

void BM_MutexCondvarPool_8Callers_Contended(benchmark::State& state) {
  auto& pool =
      shared("condvar2", [] { return std::make_unique<MutexCondvarPool>(2, identity_executor()); });
  contended(state, [&] { run_calls(state, pool); });
}
BENCHMARK(BM_MutexCondvarPool_8Callers_Contended)->Threads(8)->UseRealTime();

void BM_StdAsync_1Caller(benchmark::State& state) {
  StdAsyncExecutor executor(identity_executor());
  run_calls(state, executor);
}
BENCHMARK(BM_StdAsync_1Caller)->UseRealTime();

void BM_StdAsync_8Callers(benchmark::State& state) {
  run_calls(state, shared("async",
                          [] { return std::make_unique<StdAsyncExecutor>(identity_executor()); }));
}
BENCHMARK(BM_StdAsync_8Callers)->Threads(8)->UseRealTime();

// ---- --rayon-compare: the reference baseline's method, step for step ----------------------------

struct CompareOptions {
  int warmup_calls;
  int batches;
  int batch_calls;
  std::chrono::milliseconds tp_warmup;
  std::chrono::milliseconds tp_trial;
  int tp_trials;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

template <typename F>
double latency_ns(const CompareOptions& o, F&& f) {
  for (int i = 0; i < o.warmup_calls; ++i) {
    f();
  }
  std::vector<double> per_batch;
  for (int b = 0; b < o.batches; ++b) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o.batch_calls; ++i) {
      f();
    }
    const std::chrono::duration<double, std::nano> elapsed =
        std::chrono::steady_clock::now() - start;
    per_batch.push_back(elapsed.count() / o.batch_calls);
  }
  return median(std::move(per_batch));
}

double throughput_once(const traverse::CapabilityExecutor& executor, int callers,
                       std::chrono::milliseconds duration) {
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  std::barrier start(callers + 1);
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(callers));
  std::vector<std::jthread> threads;
  for (int c = 0; c < callers; ++c) {
    threads.emplace_back([&, c] {
      start.arrive_and_wait();
      std::uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        auto result = call(executor);
        if (!result) {
          failed = true;
        }
        benchmark::DoNotOptimize(result);
        ++n;
      }
      counts[static_cast<std::size_t>(c)] = n;
    });
  }
  start.arrive_and_wait();
  const auto begin = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(duration);  // the measurement window, as in the reference
  stop = true;
  threads.clear();  // joins
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - begin;
  if (failed) {
    std::fprintf(stderr, "a call failed during the throughput run\n");
    std::abort();
  }
  std::uint64_t total = 0;
  for (auto n : counts) {
    total += n;
  }
  return static_cast<double>(total) / wall.count();
}

double throughput(const CompareOptions& o, std::size_t capacity, int callers) {
  auto pool = make_pool(capacity);
  throughput_once(*pool, callers, o.tp_warmup);
  std::vector<double> trials;
  for (int t = 0; t < o.tp_trials; ++t) {
    trials.push_back(throughput_once(*pool, callers, o.tp_trial));
  }
  return median(std::move(trials));
}

int rayon_compare(bool quick) {
  using std::chrono::milliseconds;
  const CompareOptions o =
      quick ? CompareOptions{2'000, 7, 2'000, milliseconds{100}, milliseconds{300}, 3}
            : CompareOptions{20'000, 20, 20'000, milliseconds{500}, milliseconds{1500}, 3};
  const double direct_ns = latency_ns(o, [] {
    auto result = identity(bench_input());
    benchmark::DoNotOptimize(result);
  });
  std::fprintf(stderr, "direct handler call:              %10.1f ns/call\n", direct_ns);
  double one_caller_ns = 0;
  {
    auto pool = make_pool(2);
    one_caller_ns = latency_ns(o, [&] {
      auto result = call(*pool);
      benchmark::DoNotOptimize(result);
    });
  }
  std::fprintf(stderr, "execute(), 1 caller, capacity 2:  %10.1f ns/call\n", one_caller_ns);
  const double tp8 = throughput(o, 8, 8);
  std::fprintf(stderr, "execute(), 8 callers, capacity 8: %10.0f calls/s\n", tp8);
  const double tp8c2 = throughput(o, 2, 8);
  std::fprintf(stderr, "execute(), 8 callers, capacity 2: %10.0f calls/s\n", tp8c2);
  // Throughput by caller count (capacity = callers), for bench/report.sh's plot; the baseline
  // measures 1 caller (its latency) and 8.
  double by_callers[3] = {0, 0, 0};
  const int caller_counts[3] = {1, 2, 4};
  for (int i = 0; i < 3; ++i) {
    by_callers[i] = throughput(o, static_cast<std::size_t>(caller_counts[i]), caller_counts[i]);
    std::fprintf(stderr, "execute(), %d caller(s), capacity %d: %10.0f calls/s\n", caller_counts[i],
                 caller_counts[i], by_callers[i]);
  }
  std::printf(
      "{\"direct_ns\":%.3f,\"install_1caller_ns\":%.3f,\"install_8callers_ops_per_s\":%.1f,"
      "\"install_8callers_cap2_ops_per_s\":%.1f,\"install_1callers_ops_per_s\":%.1f,"
      "\"install_2callers_ops_per_s\":%.1f,\"install_4callers_ops_per_s\":%.1f,\"cpus\":%u,"
      "\"quick\":%s}\n",
      direct_ns, one_caller_ns, tp8, tp8c2, by_callers[0], by_callers[1], by_callers[2],
      std::thread::hardware_concurrency(), quick ? "true" : "false");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool compare = false;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rayon-compare") == 0) {
      compare = true;
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    }
  }
  if (compare) {
    return rayon_compare(quick);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
