// Governing spec: 060-cluster
//
// Remote execution in one process against a real nats-server: a node runtime with native
// handlers serves the runtime test bundle; a caller runtime without handlers places the calls
// on it through a ClusterClient. Outputs match local execution; failures are typed.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>

#include "cluster_test_support.hpp"
#include "traverse/cluster/cluster_client.hpp"
#include "traverse/cluster/execution_wire.hpp"
#include "traverse/cluster/node_server.hpp"
#include "traverse/cluster/remote_executor.hpp"
#include "traverse/runtime/traverse_runtime.hpp"

namespace traverse {
namespace {

using cluster_test::connect_to;
using cluster_test::NatsServer;

const std::filesystem::path kBundle =
    cluster_test::kSource / "tests/data/runtime/bundle/manifest.json";

RuntimeRequest request_for(std::string request_id, std::string capability_id, Value input) {
  RuntimeRequest request;
  request.request_id = std::move(request_id);
  request.capability_id = std::move(capability_id);
  request.capability_version = "1.0.0";
  request.input = std::move(input);
  request.scope = LookupScope::PreferPrivate;
  return request;
}

void add_handlers(TraverseRuntime::Builder& builder) {
  builder.with_native_handler("demo.runtime.add-numbers", [](const Value& input) {
    return NativeHandler::Result(
        Value{{"sum", input["a"].get<std::int64_t>() + input["b"].get<std::int64_t>()}});
  });
  builder.with_native_handler("demo.runtime.greet-person", [](const Value& input) {
    if (input["name"] == "fail") {
      return NativeHandler::Result(std::unexpected("refused to greet"));
    }
    return NativeHandler::Result(
        Value{{"greeting", "Hello, " + input["name"].get<std::string>() + "!"}});
  });
}

std::unique_ptr<TraverseRuntime> local_runtime() {
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  builder.with_native_pool_capacity(2);
  auto runtime = builder.build();
  EXPECT_TRUE(runtime.has_value());
  EXPECT_TRUE((*runtime)->load_bundle(kBundle).has_value());
  return std::move(*runtime);
}

std::unique_ptr<TraverseRuntime> caller_runtime(std::shared_ptr<const RemoteExecution> remote,
                                                bool remote_only) {
  TraverseRuntime::Builder builder;
  builder.with_native_pool_capacity(2);
  builder.with_remote_execution(std::move(remote), remote_only);
  auto runtime = builder.build();
  EXPECT_TRUE(runtime.has_value());
  EXPECT_TRUE((*runtime)->load_bundle(kBundle).has_value());
  return std::move(*runtime);
}

class RemoteExecutionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRAVERSE_START_NATS_OR_SKIP(server_);
    node_runtime_ = local_runtime();
    NodeServerConfig config;
    config.name = "node-a";
    config.capacity = 8;
    config.announce_interval = std::chrono::milliseconds(200);
    config.native_capability_ids = {"demo.runtime.add-numbers", "demo.runtime.greet-person"};
    auto node = NodeServer::start(connect_to(server_.url()), *node_runtime_, config);
    ASSERT_TRUE(node.has_value()) << node.error().to_string();
    node_ = std::move(*node);
    client_ = cluster_test::connect_when_announced(server_.url(), 1, std::chrono::seconds(10));
    ASSERT_NE(client_, nullptr);
  }

  NatsServer server_;
  std::unique_ptr<TraverseRuntime> node_runtime_;
  std::unique_ptr<NodeServer> node_;
  std::shared_ptr<ClusterClient> client_;
};

TEST_F(RemoteExecutionTest, NodeAnnouncesTheNativeCapabilitiesItServes) {
  const auto nodes = client_->directory()->nodes();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].name, "node-a");
  EXPECT_EQ(nodes[0].capacity, 8u);
  EXPECT_EQ(nodes[0].capabilities.size(), 2u);
  EXPECT_TRUE(client_->serves("demo.runtime.add-numbers", "1.0.0"));
  EXPECT_FALSE(client_->serves("demo.runtime.reverse-text", "1.0.0"));
}

TEST_F(RemoteExecutionTest, CapabilityWithoutLocalHandlerRunsOnTheNodeWithTheLocalOutput) {
  auto local = local_runtime();
  auto caller = caller_runtime(client_, false);
  const Value input{{"a", 20}, {"b", 22}};
  const RuntimeExecution here =
      local->execute(request_for("local-1", "demo.runtime.add-numbers", input));
  const RuntimeExecution remote =
      caller->execute(request_for("remote-1", "demo.runtime.add-numbers", input));
  ASSERT_TRUE(here.result.completed());
  ASSERT_TRUE(remote.result.completed())
      << (remote.result.error ? remote.result.error->to_string() : "");
  EXPECT_EQ(*remote.result.output, *here.result.output);
  ASSERT_TRUE(remote.trace->placement.has_value());
  EXPECT_EQ(remote.trace->placement->target, ExecutionTarget::Worker);
  EXPECT_EQ(node_->executions_of(remote.trace->trace_id), 1u);
}

TEST_F(RemoteExecutionTest, TraceOfARemoteCallNamesTheNodeAndItsRemoteTiming) {
  auto caller = caller_runtime(client_, true);
  const RuntimeExecution remote =
      caller->execute(request_for("traced-1", "demo.runtime.add-numbers", {{"a", 1}, {"b", 2}}));
  ASSERT_TRUE(remote.result.completed());
  ASSERT_EQ(remote.trace->attempts.size(), 1u);
  const TraceAttempt& attempt = remote.trace->attempts[0];
  EXPECT_EQ(attempt.attempt, 1u);
  EXPECT_EQ(attempt.node, "node-a");
  EXPECT_EQ(attempt.outcome, "ok");
  EXPECT_GT(attempt.round_trip_us, 0u);
  EXPECT_LE(attempt.remote_duration_us, attempt.round_trip_us)
      << "the node's own time is part of the round trip";
  const Value json = to_json(*remote.trace);
  EXPECT_EQ(json["execution"]["attempts"][0]["node"], "node-a");

  auto record = caller->trace_store()->get(remote.trace->trace_id);
  ASSERT_TRUE(record.has_value()) << record.error().to_string();
  EXPECT_EQ(record->public_entry.attempts, remote.trace->attempts)
      << "the durable entry keeps every attempt";
}

TEST_F(RemoteExecutionTest, TraceOfAFailedRemoteCallStillNamesTheNode) {
  auto caller = caller_runtime(client_, true);
  const RuntimeExecution failed =
      caller->execute(request_for("traced-2", "demo.runtime.greet-person", {{"name", "fail"}}));
  ASSERT_FALSE(failed.result.completed());
  ASSERT_EQ(failed.trace->attempts.size(), 1u);
  EXPECT_EQ(failed.trace->attempts[0].node, "node-a");
  EXPECT_EQ(failed.trace->attempts[0].outcome, "ExecutionFailed");
  auto record = caller->trace_store()->get(failed.trace->trace_id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry.attempts, failed.trace->attempts);
}

TEST_F(RemoteExecutionTest, LocalExecutionRecordsNoAttempts) {
  auto local = local_runtime();
  const RuntimeExecution here =
      local->execute(request_for("traced-3", "demo.runtime.add-numbers", {{"a", 1}, {"b", 2}}));
  ASSERT_TRUE(here.result.completed());
  EXPECT_TRUE(here.trace->attempts.empty());
  EXPECT_FALSE(to_json(*here.trace)["execution"].contains("attempts"));
}

TEST_F(RemoteExecutionTest, WorkflowBackedCapabilityRunsHereWithEveryStepOnTheNode) {
  auto local = local_runtime();
  auto caller = caller_runtime(client_, true);
  const Value input{{"a", 1}, {"b", 2}};
  const RuntimeExecution here =
      local->execute(request_for("local-2", "demo.runtime.sum-pair-composite", input));
  const std::uint64_t before = node_->announcement().executions;
  const RuntimeExecution remote =
      caller->execute(request_for("remote-2", "demo.runtime.sum-pair-composite", input));
  ASSERT_TRUE(here.result.completed());
  ASSERT_TRUE(remote.result.completed())
      << (remote.result.error ? remote.result.error->to_string() : "");
  EXPECT_EQ(*remote.result.output, *here.result.output);
  ASSERT_TRUE(remote.workflow_run.has_value());
  EXPECT_EQ(node_->announcement().executions - before, remote.workflow_run->steps.size());
}

TEST_F(RemoteExecutionTest, NodeErrorComesBackTyped) {
  auto caller = caller_runtime(client_, true);
  const RuntimeExecution failed =
      caller->execute(request_for("remote-3", "demo.runtime.greet-person", {{"name", "fail"}}));
  ASSERT_FALSE(failed.result.completed());
  EXPECT_EQ(failed.result.error->code(), "execution_failed");
  EXPECT_EQ(failed.result.error->details().value("error_class", ""), "ExecutionFailed");
  EXPECT_NE(failed.result.error->message().find("node node-a"), std::string::npos)
      << failed.result.error->message();
  EXPECT_NE(failed.result.error->message().find("refused to greet"), std::string::npos);
}

TEST_F(RemoteExecutionTest, RemoteOnlyWithoutANodeForTheCapabilityIsATypedPlacementError) {
  auto caller = caller_runtime(client_, true);
  const RuntimeExecution refused =
      caller->execute(request_for("remote-4", "demo.runtime.reverse-text", {{"text", "abc"}}));
  ASSERT_FALSE(refused.result.completed());
  EXPECT_EQ(refused.result.error->kind(), RuntimeErrorKind::PlacementUnsupported);
  EXPECT_EQ(refused.result.error->details().value("reason", ""), "no_node_serves");
}

TEST_F(RemoteExecutionTest, ConcurrentCallsGetTheirOwnOutputOrOverloadedBeyondNodeCapacity) {
  auto caller = caller_runtime(client_, true);
  constexpr int kCalls = 200;
  std::vector<Completion<RuntimeExecution>> running;
  running.reserve(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    running.push_back(caller->submit(request_for(
        "many-" + std::to_string(i), "demo.runtime.add-numbers", {{"a", i}, {"b", 1}})));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int completed = 0;
  int overloaded = 0;
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(running[static_cast<std::size_t>(i)].wait_until(deadline)) << "call " << i;
    const RuntimeExecution done = running[static_cast<std::size_t>(i)].wait();
    if (done.result.completed()) {
      ++completed;
      EXPECT_EQ((*done.result.output)["sum"], i + 1);
    } else {
      EXPECT_EQ(done.result.error->details().value("error_class", ""), "Overloaded")
          << done.result.error->to_string();
      ++overloaded;
    }
  }
  EXPECT_EQ(completed + overloaded, kCalls);
  EXPECT_GE(completed, 8) << "at least the node's capacity ran";
  const NodeAnnouncement node = node_->announcement();
  EXPECT_EQ(node.executions, static_cast<std::uint64_t>(completed));
  EXPECT_EQ(node.duplicates, 0u);
}

TEST_F(RemoteExecutionTest, NoRespondersIsRemoteUnavailable) {
  auto executor = RemoteExecutor::create(client_->connection());
  ASSERT_TRUE(executor.has_value());
  ExecutorCapability capability;
  capability.capability_id = "demo.nobody.serves-this";
  capability.capability_version = "1.0.0";
  ExecutionContext context(capability, "exec-1", "trace-1");
  const ExecutorResult result = (*executor)->execute(capability, Value::object(), context);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), ExecutorErrorClass::RemoteUnavailable);
}

TEST_F(RemoteExecutionTest, NodeThatNeverRepliesGivesTimeoutAtTheDeadline) {
  auto silent = client_->connection()->subscribe("traverse.exec.demo.silent.1.0.0", {},
                                                 [](const NatsMessage&) {});
  ASSERT_TRUE(silent.has_value());
  ASSERT_TRUE(client_->connection()->flush(std::chrono::seconds(2)).has_value());
  RemoteExecutorConfig config;
  config.timeout = std::chrono::milliseconds(200);
  auto executor = RemoteExecutor::create(client_->connection(), config);
  ASSERT_TRUE(executor.has_value());
  ExecutorCapability capability;
  capability.capability_id = "demo.silent";
  capability.capability_version = "1.0.0";
  ExecutionContext context(capability, "exec-2", "trace-2");
  const auto started = std::chrono::steady_clock::now();
  const ExecutorResult result = (*executor)->execute(capability, Value::object(), context);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), ExecutorErrorClass::Timeout);
  EXPECT_GE(took, std::chrono::milliseconds(200));
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ((*executor)->stats().timed_out, 1u);
}

TEST_F(RemoteExecutionTest, DestroyingTheExecutorFailsPendingCallsAsRemoteUnavailable) {
  auto silent = client_->connection()->subscribe("traverse.exec.demo.silent.1.0.0", {},
                                                 [](const NatsMessage&) {});
  ASSERT_TRUE(silent.has_value());
  ASSERT_TRUE(client_->connection()->flush(std::chrono::seconds(2)).has_value());
  auto executor = RemoteExecutor::create(client_->connection());
  ASSERT_TRUE(executor.has_value());
  ExecutorCapability capability;
  capability.capability_id = "demo.silent";
  capability.capability_version = "1.0.0";
  ExecutionContext context(capability, "exec-3", "trace-3");
  ExecutorCompletion pending = (*executor)->submit(capability, Value::object(), context);
  executor->reset();
  ASSERT_TRUE(pending.wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  const ExecutorResult result = pending.wait();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), ExecutorErrorClass::RemoteUnavailable);
}

TEST_F(RemoteExecutionTest, StoppedNodeAnnouncesItAndIsForgotten) {
  node_->stop();
  ASSERT_TRUE(client_->directory()->wait_until([](const auto& nodes) { return nodes.empty(); },
                                               std::chrono::seconds(10)));
  EXPECT_FALSE(client_->serves("demo.runtime.add-numbers", "1.0.0"));
}

}  // namespace
}  // namespace traverse
