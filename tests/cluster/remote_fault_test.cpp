// Governing spec: 060-cluster
//
// The fault test: 5,000 requests from 8 threads against two node processes
// (cluster_test_node) while one of them is killed with SIGKILL and later restarted. Every
// request completes or fails with a typed error (Timeout or RemoteUnavailable); every attempt
// is traced (node name when a node answered); no request runs twice unless its capability's
// retry policy allowed it — proven by the nodes' own execution logs, which survive the kill.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "cluster_test_support.hpp"
#include "traverse/cluster/cluster_client.hpp"
#include "traverse/runtime/traverse_runtime.hpp"

namespace traverse {
namespace {

using cluster_test::ChildProcess;
using cluster_test::NatsServer;

const std::filesystem::path kBundle =
    cluster_test::kSource / "tests/data/runtime/bundle/manifest.json";

constexpr int kRequests = 5'000;
constexpr int kThreads = 8;
constexpr int kKillAfter = 800;  // concluded requests before node-b is killed
constexpr int kPhaseOne = kRequests / 2;

// Even requests: add-numbers (not retried: at most once). Odd: greet-person (listed for retry).
bool retried(int i) {
  return i % 2 == 1;
}

RuntimeRequest request_for(int i) {
  RuntimeRequest request;
  request.request_id = "fault-" + std::to_string(i);
  request.capability_version = "1.0.0";
  request.scope = LookupScope::PreferPrivate;
  if (retried(i)) {
    request.capability_id = "demo.runtime.greet-person";
    request.input = Value{{"name", "r" + std::to_string(i)}};
  } else {
    request.capability_id = "demo.runtime.add-numbers";
    request.input = Value{{"a", i}, {"b", 1}};
  }
  return request;
}

// The key a node logs for request i ("add <a>" / "greet <name>").
std::string log_key(int i) {
  return retried(i) ? "greet r" + std::to_string(i) : "add " + std::to_string(i);
}

struct Outcome {
  bool done = false;
  bool completed = false;
  std::string error_class;
  bool trace_entry = false;
  std::vector<TraceAttempt> attempts;
};

// Executions per key in a node's log.
std::map<std::string, int> read_log(const std::filesystem::path& file) {
  std::map<std::string, int> counts;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    ++counts[line];
  }
  return counts;
}

int total(const std::map<std::string, int>& counts) {
  int sum = 0;
  for (const auto& [key, count] : counts) {
    sum += count;
  }
  return sum;
}

class RemoteFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { TRAVERSE_START_NATS_OR_SKIP(server_); }

  std::unique_ptr<ChildProcess> start_node(const std::string& name, const std::string& log) {
    auto node = std::make_unique<ChildProcess>(
        std::vector<std::string>{TRAVERSE_CLUSTER_TEST_NODE, server_.url(), name,
                                 (server_.folder() / log).string()},
        server_.folder() / (log + ".out"));
    EXPECT_TRUE(node->started());
    return node;
  }

  NatsServer server_;
};

TEST_F(RemoteFaultTest, RequestsSurviveASigkilledNodeTypedTracedAndNeverRunTwiceUnlessAllowed) {
  auto node_a = start_node("node-a", "a.log");
  auto node_b = start_node("node-b", "b1.log");
  ClusterClientConfig config;
  config.executor.timeout = std::chrono::milliseconds(2'000);
  config.executor.retry.max_attempts = 3;
  config.executor.retry.backoff = std::chrono::milliseconds(20);
  config.executor.retry.capability_ids = {"demo.runtime.greet-person"};
  const auto client =
      cluster_test::connect_when_announced(server_.url(), 2, std::chrono::seconds(60), config);
  ASSERT_NE(client, nullptr);
  const auto& directory = client->directory();

  TraverseRuntime::Builder builder;
  builder.with_native_pool_capacity(2);
  builder.with_remote_execution(client, true);
  auto built = builder.build();
  ASSERT_TRUE(built.has_value());
  TraverseRuntime& runtime = **built;
  ASSERT_TRUE(runtime.load_bundle(kBundle).has_value());

  std::vector<Outcome> outcomes(kRequests);
  std::atomic<int> next{0};
  std::mutex mutex;
  std::condition_variable progressed;
  int concluded = 0;
  const auto run_until = [&](int end) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, end] {
        for (int i = next++; i < end; i = next++) {
          const RuntimeExecution done = runtime.execute(request_for(i));
          Outcome& outcome = outcomes[static_cast<std::size_t>(i)];
          outcome.done = true;
          outcome.completed = done.result.completed();
          if (!outcome.completed) {
            outcome.error_class =
                done.result.error->details().value("error_class", done.result.error->code());
          }
          outcome.trace_entry = done.trace->trace_store_entry;
          outcome.attempts = done.trace->attempts;
          std::lock_guard lock(mutex);
          ++concluded;
          progressed.notify_all();
        }
      });
    }
    return threads;
  };

  // Phase one: node-b is killed once kKillAfter requests are done.
  ASSERT_TRUE(directory->wait_until(
      [](const auto& nodes) {
        return std::any_of(nodes.begin(), nodes.end(),
                           [](const NodeAnnouncement& node) { return node.name == "node-b"; });
      },
      std::chrono::seconds(10)));
  std::vector<std::thread> phase_one = run_until(kPhaseOne);
  {
    std::unique_lock lock(mutex);
    EXPECT_TRUE(progressed.wait_for(lock, std::chrono::seconds(120),
                                    [&] { return concluded >= kKillAfter; }));
  }
  node_b->kill_hard();
  for (std::thread& thread : phase_one) {
    thread.join();
  }

  // Restart node-b (a fresh process, same name) and wait until it announces itself afresh.
  node_b = start_node("node-b", "b2.log");
  ASSERT_TRUE(directory->wait_until(
      [](const auto& nodes) {
        return std::any_of(nodes.begin(), nodes.end(), [](const NodeAnnouncement& node) {
          return node.name == "node-b" && node.executions == 0;
        });
      },
      std::chrono::seconds(60)))
      << "the restarted node-b did not announce itself";

  // Phase two: both nodes serve again (each phase-one thread took one index past its end).
  next = kPhaseOne;
  std::vector<std::thread> phase_two = run_until(kRequests);
  for (std::thread& thread : phase_two) {
    thread.join();
  }
  EXPECT_EQ(node_a->stop(), 0);
  EXPECT_EQ(node_b->stop(), 0);

  // What the nodes ran, by their own logs (the killed process's log included).
  std::map<std::string, int> runs;
  std::map<std::string, int> per_node;
  for (const char* log : {"a.log", "b1.log", "b2.log"}) {
    const auto counts = read_log(server_.folder() / log);
    per_node[log] = total(counts);
    for (const auto& [key, count] : counts) {
      runs[key] += count;
    }
  }
  EXPECT_GT(per_node["a.log"], 0);
  EXPECT_GT(per_node["b1.log"], 0) << "node-b served before it was killed";
  EXPECT_GT(per_node["b2.log"], 0) << "the restarted node-b served again";

  int completed = 0;
  int retried_runs = 0;
  std::map<std::string, int> errors;
  std::map<std::string, int> attempt_outcomes;
  for (int i = 0; i < kRequests; ++i) {
    const Outcome& outcome = outcomes[static_cast<std::size_t>(i)];
    ASSERT_TRUE(outcome.done) << "request " << i << " never concluded";
    EXPECT_TRUE(outcome.trace_entry) << "request " << i << " left no trace entry";
    ASSERT_FALSE(outcome.attempts.empty()) << "request " << i << " traced no attempt";
    for (const TraceAttempt& attempt : outcome.attempts) {
      ++attempt_outcomes[attempt.outcome];
      if (attempt.outcome == "ok") {
        EXPECT_FALSE(attempt.node.empty()) << "request " << i;
      } else {
        EXPECT_TRUE(attempt.outcome == "Timeout" || attempt.outcome == "RemoteUnavailable")
            << "request " << i << " attempt " << attempt.attempt << ": " << attempt.outcome;
      }
    }
    const int ran = runs[log_key(i)];
    const auto tries = static_cast<int>(outcome.attempts.size());
    if (outcome.completed) {
      ++completed;
      EXPECT_EQ(outcome.attempts.back().outcome, "ok") << "request " << i;
      EXPECT_GE(ran, 1) << "request " << i << " completed but no node logged it";
    } else {
      ++errors[outcome.error_class];
      EXPECT_TRUE(outcome.error_class == "Timeout" || outcome.error_class == "RemoteUnavailable")
          << "request " << i << ": " << outcome.error_class;
    }
    if (retried(i)) {
      EXPECT_LE(tries, 3) << "request " << i;
      EXPECT_LE(ran, tries) << "request " << i << " ran more often than it was tried";
      retried_runs += ran > 1 ? 1 : 0;
    } else {
      EXPECT_EQ(tries, 1) << "request " << i << " was resent without a retry policy";
      EXPECT_LE(ran, 1) << "request " << i << " ran twice under at-most-once";
    }
  }
  const RemoteExecutorStats stats = client->remote_executor()->stats();
  std::ostringstream summary;
  summary << completed << " completed;";
  for (const auto& [error_class, count] : errors) {
    summary << " " << count << " " << error_class << ";";
  }
  summary << " attempts:";
  for (const auto& [attempt_outcome, count] : attempt_outcomes) {
    summary << " " << attempt_outcome << "=" << count;
  }
  summary << "; retried " << stats.retried << " tries, " << retried_runs
          << " retried requests ran twice; node runs a=" << per_node["a.log"]
          << " b(killed)=" << per_node["b1.log"] << " b(restarted)=" << per_node["b2.log"];
  RecordProperty("summary", summary.str());
  std::cout << "[ fault    ] " << summary.str() << "\n";
  EXPECT_GT(completed, kRequests / 2);
}

}  // namespace
}  // namespace traverse
