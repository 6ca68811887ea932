// Governing spec: 060-cluster
//
// The cluster as users run it: a real nats-server, two `traverse node` processes serving the
// expedition bundle and its WebAssembly packages, and the `traverse` commands that place work on
// them. Remote outputs equal local ones; a node killed with SIGKILL mid-load gives typed errors
// (RemoteUnavailable or Timeout), never a hang and never a duplicate execution.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

#include "../integration/cli_test_support.hpp"
#include "cluster_test_support.hpp"
#include "traverse/cluster/cluster_client.hpp"
#include "traverse/runtime/traverse_runtime.hpp"

namespace traverse {
namespace {

using cli_test::CliRun;
using cli_test::run_cli;
using cluster_test::ChildProcess;
using cluster_test::NatsServer;

using namespace cluster_test::expedition;

Value parse_out(const CliRun& run) {
  auto parsed = parse_json(run.out);
  EXPECT_TRUE(parsed.has_value()) << run.out << "\n" << run.err;
  return parsed ? *parsed : Value();
}

class ClusterCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRAVERSE_START_NATS_OR_SKIP(server_);
    for (const char* name : {"node-1", "node-2"}) {
      const std::filesystem::path folder = server_.folder();
      nodes_.push_back(std::make_unique<ChildProcess>(
          std::vector<std::string>{TRAVERSE_CLI_PATH, "node", "--nats", server_.url(), "--bundle",
                                   kBundle, "--packages", kPackages, "--name", name, "--capacity",
                                   "16", "--announce-ms", "200", "--trace-db",
                                   (folder / (std::string(name) + ".db")).string()},
          folder / (std::string(name) + ".log")));
      ASSERT_TRUE(nodes_.back()->started());
    }
    client_ = cluster_test::connect_when_announced(server_.url(), 2, std::chrono::seconds(60));
    ASSERT_NE(client_, nullptr);
  }

  std::string db(const std::string& name) const {
    return (server_.folder() / (name + ".db")).string();
  }

  NatsServer server_;
  std::vector<std::unique_ptr<ChildProcess>> nodes_;
  std::shared_ptr<ClusterClient> client_;
};

TEST(ClusterCliHelp, NodeClusterStatusAndNatsOptionsAreDocumented) {
  cli_test::expect_help_mentions(
      {{{"node"},
        {"--nats", "--bundle", "--package", "--packages", "--capacity", "--name", "--nats-creds",
         "--nats-tls-ca", "SIGTERM"}},
       {{"cluster", "status"}, {"--nats", "--wait-ms", "--json"}},
       {{"run"},
        {"--nats", "--remote-only", "--remote-timeout-ms", "--nats-user", "--remote-retry",
         "--remote-max-attempts", "--remote-backoff-ms"}},
       {{"workflow", "run"}, {"--nats", "--remote-only"}}});
}

TEST(ClusterCliHelp, RemoteOnlyWithoutNatsIsAUsageError) {
  const CliRun run =
      run_cli({"run", kBundle, kRequest, "--remote-only", "--trace-db",
               (std::filesystem::temp_directory_path() / "traverse-ro.db").string()});
  EXPECT_EQ(run.exit_code, 5) << run.err;
  EXPECT_NE(run.err.find("--remote-only needs --nats"), std::string::npos) << run.err;
}

TEST_F(ClusterCliTest, ClusterStatusListsBothNodesWithTheirCapabilities) {
  const CliRun status = run_cli({"cluster", "status", "--nats", server_.url(), "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const Value document = parse_out(status);
  ASSERT_EQ(document["nodes"].size(), 2u) << status.out;
  std::set<std::string> names;
  for (const Value& node : document["nodes"]) {
    names.insert(node["name"].get<std::string>());
    EXPECT_EQ(node["capabilities"].size(), 5u) << node.dump();
    EXPECT_EQ(node["capacity"], 16);
    EXPECT_EQ(node["status"], "up");
  }
  EXPECT_EQ(names, (std::set<std::string>{"node-1", "node-2"}));
}

TEST_F(ClusterCliTest, ExpeditionWorkflowWithEveryStepRemoteGivesTheLocalOutput) {
  const CliRun local = run_cli({"workflow", "run", kBundle, "plan-expedition", "--input", kInput,
                                "--packages", kPackages, "--json", "--trace-db", db("local")});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  const std::uint64_t before =
      client_->directory()
          ->discover(std::chrono::seconds(2), std::chrono::milliseconds(300))
          .size();
  ASSERT_EQ(before, 2u);
  const CliRun remote =
      run_cli({"workflow", "run", kBundle, "plan-expedition", "--input", kInput, "--nats",
               server_.url(), "--remote-only", "--json", "--trace-db", db("remote")});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_EQ(parse_out(remote)["output"], parse_out(local)["output"]);
  std::uint64_t executions = 0;
  for (const NodeAnnouncement& node :
       client_->directory()->discover(std::chrono::seconds(2), std::chrono::milliseconds(300))) {
    executions += node.executions;
    EXPECT_EQ(node.duplicates, 0u);
  }
  EXPECT_EQ(executions, 5u) << "the five expedition steps ran on the nodes";
}

TEST_F(ClusterCliTest, RunWithoutPackagesPlacesTheStepsOnTheNodesThatHaveThem) {
  const CliRun local = run_cli(
      {"run", kBundle, kRequest, "--packages", kPackages, "--json", "--trace-db", db("local")});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  const CliRun remote = run_cli(
      {"run", kBundle, kRequest, "--nats", server_.url(), "--json", "--trace-db", db("remote")});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_EQ(parse_out(remote)["output"], parse_out(local)["output"]);
}

TEST_F(ClusterCliTest, WithoutNodesTheRunFailsWithATypedPlacementError) {
  nodes_.clear();  // both stop cleanly and announce it
  ASSERT_TRUE(client_->directory()->wait_until([](const auto& nodes) { return nodes.empty(); },
                                               std::chrono::seconds(30)));
  const CliRun remote = run_cli(
      {"run", kBundle, kRequest, "--nats", server_.url(), "--json", "--trace-db", db("remote")});
  EXPECT_EQ(remote.exit_code, 1) << remote.out << remote.err;
  EXPECT_NE(remote.out.find("placement_unsupported"), std::string::npos) << remote.out;
  EXPECT_NE(remote.out.find("no node serves"), std::string::npos) << remote.out;
}

TEST_F(ClusterCliTest, NodeKilledMidLoadGivesTypedErrorsNeverAHangNorADuplicate) {
  ClusterClientConfig config;
  config.executor.timeout = std::chrono::milliseconds(3'000);
  const auto client =
      cluster_test::connect_when_announced(server_.url(), 2, std::chrono::seconds(10), config);
  ASSERT_NE(client, nullptr);
  TraverseRuntime::Builder builder;
  builder.with_native_pool_capacity(4);
  builder.with_remote_execution(client, true);
  auto runtime = builder.build();
  ASSERT_TRUE(runtime.has_value());
  ASSERT_TRUE((*runtime)->load_bundle(kBundle).has_value());
  auto request = load_runtime_request(kRequest);
  ASSERT_TRUE(request.has_value());

  constexpr int kRuns = 40;
  std::mutex mutex;
  std::condition_variable concluded_cv;
  int concluded = 0;
  int completed = 0;
  std::multiset<std::string> error_classes;
  for (int i = 0; i < kRuns; ++i) {
    RuntimeRequest one = *request;
    one.request_id = "load-" + std::to_string(i);
    (*runtime)->submit(std::move(one)).then([&](RuntimeExecution done) {
      std::lock_guard lock(mutex);
      ++concluded;
      if (done.result.completed()) {
        ++completed;
      } else {
        error_classes.insert(
            done.result.error->details().value("error_class", done.result.error->code()));
      }
      concluded_cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(
        concluded_cv.wait_for(lock, std::chrono::seconds(120), [&] { return concluded >= 4; }));
  }
  nodes_[0]->kill_hard();
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(
        concluded_cv.wait_for(lock, std::chrono::seconds(180), [&] { return concluded == kRuns; }))
        << "only " << concluded << " of " << kRuns << " runs concluded";
  }
  std::lock_guard lock(mutex);
  for (const std::string& error_class : error_classes) {
    EXPECT_TRUE(error_class == "Timeout" || error_class == "RemoteUnavailable")
        << "unexpected error class " << error_class;
  }
  EXPECT_GT(completed, 0);
  const auto survivors =
      client->directory()->discover(std::chrono::seconds(2), std::chrono::milliseconds(300));
  for (const NodeAnnouncement& node : survivors) {
    EXPECT_EQ(node.duplicates, 0u) << node.name;
  }
}

}  // namespace
}  // namespace traverse
