// Remote execution over NATS against its floor, in one run (bench/cluster_bench.sh starts the
// nats-server and passes its URL in TRAVERSE_BENCH_NATS):
//   BM_BareNatsRoundTrip — a request/reply of an execution-sized document to a responder that
//                          sends it back: the transport's floor;
//   BM_EchoLocal         — a trivial native capability (demo.runtime.add-numbers) run here;
//   BM_EchoRemote1Node   — the same capability on a node (only node-1 serves it);
//   BM_EchoRemote2Nodes  — demo.runtime.greet-person, which both nodes serve (queue group).
// Nodes are NodeServers in this process, each with its own NATS connection and runtime, so the
// calls cross the server exactly as between machines. Every benchmark reports calls per second
// and the p50/p99 latency of one call (p50_us, p99_us counters); with 8 threads, the throughput
// under concurrency.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "traverse/cluster/cluster_client.hpp"
#include "traverse/cluster/nats_connection.hpp"
#include "traverse/cluster/node_server.hpp"
#include "traverse/runtime/traverse_runtime.hpp"

namespace traverse {
namespace {

using Clock = std::chrono::steady_clock;

const std::string kBundle =
    std::string(TRAVERSE_SOURCE_DIR) + "/tests/data/runtime/bundle/manifest.json";

std::unique_ptr<TraverseRuntime> runtime_with_handlers(
    std::shared_ptr<const RemoteExecution> remote = nullptr) {
  TraverseRuntime::Builder builder;
  if (remote) {
    builder.with_remote_execution(std::move(remote), true);
  } else {
    builder.with_native_handler("demo.runtime.add-numbers", [](const Value& input) {
      return NativeHandler::Result(
          Value{{"sum", input["a"].get<std::int64_t>() + input["b"].get<std::int64_t>()}});
    });
    builder.with_native_handler("demo.runtime.greet-person", [](const Value& input) {
      return NativeHandler::Result(
          Value{{"greeting", "Hello, " + input["name"].get<std::string>() + "!"}});
    });
  }
  builder.with_native_pool_capacity(8);
  auto runtime = builder.build();
  if (!runtime || !(*runtime)->load_bundle(kBundle)) {
    std::abort();
  }
  return std::move(*runtime);
}

// Everything the benchmarks share, set up once.
struct Cluster {
  std::string url;
  std::shared_ptr<NatsConnection> responder_connection;
  NatsSubscription responder;
  std::shared_ptr<NatsConnection> caller_connection;
  std::unique_ptr<TraverseRuntime> local;
  std::vector<std::unique_ptr<TraverseRuntime>> node_runtimes;
  std::vector<std::unique_ptr<NodeServer>> nodes;
  std::shared_ptr<ClusterClient> client;
  std::unique_ptr<TraverseRuntime> caller;
  std::string error;

  // Never destroyed: the process exits with the nodes still serving.
  static Cluster& get() {
    static Cluster* cluster = [] {
      auto* c = new Cluster();
      c->start();
      return c;
    }();
    return *cluster;
  }

  std::shared_ptr<NatsConnection> connect(const std::string& name) {
    NatsOptions options;
    options.url = url;
    options.name = name;
    auto connection = NatsConnection::connect(options);
    if (!connection) {
      error = connection.error().to_string();
      return nullptr;
    }
    return *connection;
  }

  void start() {
    const char* env = std::getenv("TRAVERSE_BENCH_NATS");
    if (env == nullptr || *env == '\0') {
      error = "set TRAVERSE_BENCH_NATS to a nats-server URL (bench/cluster_bench.sh does)";
      return;
    }
    url = env;
    responder_connection = connect("bench-responder");
    caller_connection = connect("bench-caller");
    if (!responder_connection || !caller_connection) {
      return;
    }
    NatsConnection* raw = responder_connection.get();
    auto subscription = responder_connection->subscribe(
        "bench.echo", {},
        [raw](const NatsMessage& message) { (void)raw->publish(message.reply, message.data); });
    if (!subscription) {
      error = subscription.error().to_string();
      return;
    }
    responder = std::move(*subscription);
    (void)responder_connection->flush(std::chrono::seconds(2));
    local = runtime_with_handlers();
    for (int n = 1; n <= 2; ++n) {
      node_runtimes.push_back(runtime_with_handlers());
      NodeServerConfig config;
      config.name = "bench-node-" + std::to_string(n);
      config.capacity = 256;
      config.native_capability_ids = {"demo.runtime.greet-person"};
      if (n == 1) {
        config.native_capability_ids.emplace_back("demo.runtime.add-numbers");
      }
      auto connection = connect(config.name);
      if (!connection) {
        return;
      }
      auto node = NodeServer::start(connection, *node_runtimes.back(), config);
      if (!node) {
        error = node.error().to_string();
        return;
      }
      nodes.push_back(std::move(*node));
    }
    NatsOptions options;
    options.url = url;
    options.name = "bench-cluster-client";
    auto connected = ClusterClient::connect(options);
    if (!connected) {
      error = connected.error().to_string();
      return;
    }
    client = *connected;
    if (!client->directory()->wait_until([](const auto& live) { return live.size() == 2; },
                                         std::chrono::seconds(10))) {
      error = "the two nodes did not announce themselves";
      return;
    }
    caller = runtime_with_handlers(client);
  }
};

// Per-call latencies of one benchmark thread, reported as p50_us / p99_us.
class Latencies {
 public:
  void add(Clock::duration took) {
    micros_.push_back(
        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()) /
        1'000.0);
  }
  void report(benchmark::State& state) {
    if (micros_.empty()) {
      return;
    }
    std::sort(micros_.begin(), micros_.end());
    const auto at = [&](double q) {
      return micros_[std::min(micros_.size() - 1,
                              static_cast<std::size_t>(q * static_cast<double>(micros_.size())))];
    };
    state.counters["p50_us"] = benchmark::Counter(at(0.50), benchmark::Counter::kAvgThreads);
    state.counters["p99_us"] = benchmark::Counter(at(0.99), benchmark::Counter::kAvgThreads);
    state.SetItemsProcessed(state.iterations());
  }

 private:
  std::vector<double> micros_;
};

bool ready(benchmark::State& state) {
  const Cluster& cluster = Cluster::get();
  if (!cluster.error.empty()) {
    state.SkipWithError(cluster.error.c_str());
    return false;
  }
  return true;
}

RuntimeRequest request_for(const char* capability, Value input) {
  RuntimeRequest request;
  request.request_id = "bench";
  request.capability_id = capability;
  request.capability_version = "1.0.0";
  request.input = std::move(input);
  request.scope = LookupScope::PreferPrivate;
  return request;
}

void BM_BareNatsRoundTrip(benchmark::State& state) {
  if (!ready(state)) {
    return;
  }
  Cluster& cluster = Cluster::get();
  // About the size of an execution request for the echo capability.
  const std::string payload =
      R"({"attempt":1,"capability_id":"demo.runtime.add-numbers","capability_version":"1.0.0",)"
      R"("execution_id":"exec_bench","input":{"a":1,"b":2},"timeout_ms":30000,)"
      R"("trace_id":"00000000-0000-4000-8000-000000000000","v":1})";
  Latencies latencies;
  for (auto _ : state) {
    const auto started = Clock::now();
    auto reply = cluster.caller_connection->request("bench.echo", payload, std::chrono::seconds(5));
    latencies.add(Clock::now() - started);
    if (!reply) {
      state.SkipWithError(reply.error().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(reply);
  }
  latencies.report(state);
}

void run_echo(benchmark::State& state, TraverseRuntime& runtime, const char* capability,
              const Value& input) {
  Latencies latencies;
  for (auto _ : state) {
    const auto started = Clock::now();
    RuntimeExecution done = runtime.execute(request_for(capability, input));
    latencies.add(Clock::now() - started);
    if (!done.result.completed()) {
      state.SkipWithError(done.result.error->to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(done);
  }
  latencies.report(state);
}

void BM_EchoLocal(benchmark::State& state) {
  if (ready(state)) {
    run_echo(state, *Cluster::get().local, "demo.runtime.add-numbers", Value{{"a", 1}, {"b", 2}});
  }
}

void BM_EchoRemote1Node(benchmark::State& state) {
  if (ready(state)) {
    run_echo(state, *Cluster::get().caller, "demo.runtime.add-numbers", Value{{"a", 1}, {"b", 2}});
  }
}

void BM_EchoRemote2Nodes(benchmark::State& state) {
  if (ready(state)) {
    run_echo(state, *Cluster::get().caller, "demo.runtime.greet-person", Value{{"name", "b"}});
  }
}

BENCHMARK(BM_BareNatsRoundTrip)->UseRealTime()->Threads(1)->Threads(8);
BENCHMARK(BM_EchoLocal)->UseRealTime()->Threads(1)->Threads(8);
BENCHMARK(BM_EchoRemote1Node)->UseRealTime()->Threads(1)->Threads(8);
BENCHMARK(BM_EchoRemote2Nodes)->UseRealTime()->Threads(1)->Threads(8);

}  // namespace
}  // namespace traverse

BENCHMARK_MAIN();
