// Governing spec: 060-cluster
//
// Where the runtime places a capability once remote execution is configured
// (remote_execution.hpp), with an in-process stand-in for the cluster: no server needed.
#include "traverse/runtime/remote_execution.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>

#include "traverse/runtime/traverse_runtime.hpp"

namespace traverse {
namespace {

// Answers {"remote": <capability id>} for every call and counts them.
class CountingExecutor final : public CapabilityExecutor {
 public:
  ExecutorCompletion submit(const ExecutorCapability& capability, const Value& /*input*/,
                            ExecutionContext& /*context*/) const override {
    calls.fetch_add(1);
    return ExecutorCompletion::fulfilled(
        ExecutorOutput{Value{{"remote", capability.capability_id}}, {}});
  }
  mutable std::atomic<int> calls{0};
};

// A cluster whose nodes serve `served` (ids, every version).
class FakeCluster final : public RemoteExecution {
 public:
  explicit FakeCluster(std::set<std::string> served)
      : served_(std::move(served)), executor_(std::make_shared<CountingExecutor>()) {}
  bool serves(std::string_view id, std::string_view /*version*/) const override {
    return served_.contains(std::string(id));
  }
  std::shared_ptr<const CapabilityExecutor> executor() const override { return executor_; }
  [[nodiscard]] int calls() const { return executor_->calls.load(); }

 private:
  std::set<std::string> served_;
  std::shared_ptr<CountingExecutor> executor_;
};

CapabilityContract contract_named(const std::string& name, std::vector<ExecutionTarget> preferred) {
  CapabilityContract contract;
  contract.namespace_name = "demo.remote";
  contract.name = name;
  contract.id = "demo.remote." + name;
  contract.version = "1.0.0";
  contract.lifecycle = Lifecycle::Active;
  contract.permitted_targets = {ExecutionTarget::Local, ExecutionTarget::Cloud};
  contract.preferred_targets = std::move(preferred);
  contract.input_schema = Value{{"type", "object"}};
  contract.output_schema = Value{{"type", "object"}};
  return contract;
}

RuntimeRequest request_for(const std::string& id) {
  RuntimeRequest request;
  request.request_id = "r-" + id;
  request.capability_id = "demo.remote." + id;
  request.capability_version = "1.0.0";
  request.input = Value::object();
  request.scope = LookupScope::PreferPrivate;
  return request;
}

class RemotePlacementTest : public ::testing::Test {
 protected:
  void build(bool remote_only) {
    TraverseRuntime::Builder builder;
    builder.with_native_pool_capacity(1);
    builder.with_native_handler("demo.remote.local", [](const Value&) {
      return NativeHandler::Result(Value{{"local", true}});
    });
    builder.with_remote_execution(cluster_, remote_only);
    auto built = builder.build();
    ASSERT_TRUE(built.has_value());
    runtime_ = std::move(*built);
    for (const auto& [name, preferred] :
         std::vector<std::pair<std::string, std::vector<ExecutionTarget>>>{
             {"local", {ExecutionTarget::Local}},
             {"elsewhere", {ExecutionTarget::Local}},
             {"unserved", {ExecutionTarget::Local}},
             {"cloudy", {ExecutionTarget::Cloud, ExecutionTarget::Local}}}) {
      ASSERT_TRUE(runtime_
                      ->register_capability(Scope::Public, contract_named(name, preferred),
                                            ArtifactReference::native("demo.remote." + name))
                      .has_value());
    }
  }

  std::shared_ptr<FakeCluster> cluster_ = std::make_shared<FakeCluster>(
      std::set<std::string>{"demo.remote.local", "demo.remote.elsewhere", "demo.remote.cloudy"});
  std::unique_ptr<TraverseRuntime> runtime_;
};

TEST_F(RemotePlacementTest, LocalImplementationRunsLocallyEvenWhenANodeServesIt) {
  build(false);
  const RuntimeExecution done = runtime_->execute(request_for("local"));
  ASSERT_TRUE(done.result.completed());
  EXPECT_EQ(*done.result.output, (Value{{"local", true}}));
  EXPECT_EQ(cluster_->calls(), 0);
}

TEST_F(RemotePlacementTest, NoLocalImplementationRunsOnANodeThatServesIt) {
  build(false);
  const RuntimeExecution done = runtime_->execute(request_for("elsewhere"));
  ASSERT_TRUE(done.result.completed()) << done.result.error->to_string();
  EXPECT_EQ(*done.result.output, (Value{{"remote", "demo.remote.elsewhere"}}));
  ASSERT_TRUE(done.trace->placement.has_value());
  EXPECT_EQ(done.trace->placement->target, ExecutionTarget::Worker);
  EXPECT_EQ(cluster_->calls(), 1);
}

TEST_F(RemotePlacementTest, ContractPreferringARemoteTargetRunsOnANode) {
  build(false);
  const RuntimeExecution done = runtime_->execute(request_for("cloudy"));
  ASSERT_TRUE(done.result.completed()) << done.result.error->to_string();
  EXPECT_EQ(done.trace->placement->target, ExecutionTarget::Cloud);
  EXPECT_EQ(cluster_->calls(), 1);
}

TEST_F(RemotePlacementTest, NoLocalImplementationAndNoNodeIsATypedPlacementErrorThatIsTraced) {
  build(false);
  const RuntimeExecution done = runtime_->execute(request_for("unserved"));
  ASSERT_FALSE(done.result.completed());
  EXPECT_EQ(done.result.error->kind(), RuntimeErrorKind::PlacementUnsupported);
  EXPECT_EQ(done.result.error->details().value("reason", ""), "no_node_serves");
  EXPECT_NE(done.result.error->message().find("no local implementation"), std::string::npos);
  EXPECT_TRUE(done.trace->trace_store_entry);
  EXPECT_EQ(cluster_->calls(), 0);
}

TEST_F(RemotePlacementTest, RemoteOnlyRunsEvenALocallyImplementedCapabilityOnANode) {
  build(true);
  const RuntimeExecution done = runtime_->execute(request_for("local"));
  ASSERT_TRUE(done.result.completed()) << done.result.error->to_string();
  EXPECT_EQ(*done.result.output, (Value{{"remote", "demo.remote.local"}}));
  EXPECT_EQ(cluster_->calls(), 1);
  const RuntimeExecution refused = runtime_->execute(request_for("unserved"));
  EXPECT_EQ(refused.result.error->kind(), RuntimeErrorKind::PlacementUnsupported);
}

TEST_F(RemotePlacementTest, SubmitTakesTheSameRemotePath) {
  build(true);
  const RuntimeExecution done = runtime_->submit(request_for("elsewhere")).wait();
  ASSERT_TRUE(done.result.completed()) << done.result.error->to_string();
  EXPECT_EQ(*done.result.output, (Value{{"remote", "demo.remote.elsewhere"}}));
  EXPECT_EQ(cluster_->calls(), 1);
}

}  // namespace
}  // namespace traverse
