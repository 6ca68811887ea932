// Governing spec: 060-cluster
//
// The RemoteExecutor's delivery semantics against a real nats-server, with scripted responders
// standing in for nodes (each answers, refuses or stays silent as the test says): at most once
// by default; the opt-in retry policy resends only listed capabilities, only after a try that
// cannot have run or timed out, up to max_attempts; every try is recorded with its node.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

#include "cluster_test_support.hpp"
#include "traverse/cluster/execution_wire.hpp"
#include "traverse/cluster/remote_executor.hpp"

namespace traverse {
namespace {

using cluster_test::connect_to;
using cluster_test::NatsServer;

// What a scripted responder does with the n-th request it receives (1-based).
enum class Answer { Ok, Overloaded, Silent };

class RemoteRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRAVERSE_START_NATS_OR_SKIP(server_);
    connection_ = connect_to(server_.url());
    ASSERT_NE(connection_, nullptr);
    capability_.capability_id = "demo.flaky";
    capability_.capability_version = "1.0.0";
  }

  // Subscribes a responder on demo.flaky@1.0.0 that answers request n as script(n), replying as
  // node "n<n>", and records every request it saw.
  void respond(std::function<Answer(int)> script) {
    auto subscription = connection_->subscribe(
        "traverse.exec.demo.flaky.1.0.0", {},
        [this, script = std::move(script)](const NatsMessage& message) {
          auto request = decode_execution_request(message.data);
          ASSERT_TRUE(request.has_value());
          const int n = ++received_;
          {
            std::lock_guard lock(mutex_);
            seen_.push_back(*request);
          }
          const Answer answer = script(n);
          if (answer == Answer::Silent) {
            return;
          }
          RemoteExecutionResponse response;
          response.node = "n" + std::to_string(n);
          response.duration_us = 7;
          if (answer == Answer::Ok) {
            response.output = Value{{"echo", request->input}};
          } else {
            response.error = RemoteExecutionError(ExecutorErrorClass::Overloaded, "", "full");
          }
          (void)connection_->publish(message.reply, *encode(response));
        });
    ASSERT_TRUE(subscription.has_value());
    responder_ = std::move(*subscription);
    ASSERT_TRUE(connection_->flush(std::chrono::seconds(2)).has_value());
  }

  std::shared_ptr<RemoteExecutor> executor(
      bool listed, std::uint32_t max_attempts = 3,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000)) {
    RemoteExecutorConfig config;
    config.timeout = timeout;
    config.retry.max_attempts = max_attempts;
    config.retry.backoff = std::chrono::milliseconds(5);
    if (listed) {
      config.retry.capability_ids = {"demo.flaky"};
    }
    auto created = RemoteExecutor::create(connection_, config);
    EXPECT_TRUE(created.has_value());
    return created ? *created : nullptr;
  }

  ExecutorResult run(const RemoteExecutor& remote, ExecutionContext& context) {
    const Value input{{"x", 1}};
    ExecutorCompletion completion = remote.submit(capability_, input, context);
    EXPECT_TRUE(completion.wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(30)));
    return completion.wait();
  }

  std::vector<RemoteExecutionRequest> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

  NatsServer server_;
  std::shared_ptr<NatsConnection> connection_;
  ExecutorCapability capability_;
  std::atomic<int> received_{0};
  std::mutex mutex_;
  std::vector<RemoteExecutionRequest> seen_;
  NatsSubscription responder_;
};

TEST_F(RemoteRetryTest, ListedCapabilityIsResentAfterOverloadedAndEveryTryIsRecorded) {
  respond([](int n) { return n == 1 ? Answer::Overloaded : Answer::Ok; });
  auto remote = executor(true);
  ExecutionContext context(capability_, "exec-1", "trace-1");
  const ExecutorResult result = run(*remote, context);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->value["echo"]["x"], 1);
  ASSERT_EQ(context.attempts().size(), 2u);
  EXPECT_EQ(context.attempts()[0].number, 1u);
  EXPECT_EQ(context.attempts()[0].node, "n1");
  EXPECT_EQ(context.attempts()[0].outcome, "Overloaded");
  EXPECT_EQ(context.attempts()[0].remote_duration_us, 7u);
  EXPECT_EQ(context.attempts()[1].number, 2u);
  EXPECT_EQ(context.attempts()[1].node, "n2");
  EXPECT_EQ(context.attempts()[1].outcome, "ok");
  const auto requests = seen();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].attempt, 1u);
  EXPECT_EQ(requests[1].attempt, 2u);
  EXPECT_EQ(requests[1].trace_id, "trace-1") << "a retry is the same call";
  EXPECT_EQ(remote->stats().retried, 1u);
}

TEST_F(RemoteRetryTest, UnlistedCapabilityIsSentOnceByDefault) {
  respond([](int n) { return n == 1 ? Answer::Overloaded : Answer::Ok; });
  auto remote = executor(false);
  ExecutionContext context(capability_, "exec-2", "trace-2");
  const ExecutorResult result = run(*remote, context);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), ExecutorErrorClass::Overloaded);
  ASSERT_EQ(context.attempts().size(), 1u);
  EXPECT_EQ(context.attempts()[0].node, "n1");
  ASSERT_TRUE(connection_->flush(std::chrono::seconds(2)).has_value());
  EXPECT_EQ(received_.load(), 1);
  EXPECT_EQ(remote->stats().retried, 0u);
}

TEST_F(RemoteRetryTest, TimedOutTryOfAListedCapabilityIsResentWithNoNodeRecorded) {
  respond([](int n) { return n == 1 ? Answer::Silent : Answer::Ok; });
  auto remote = executor(true, 3, std::chrono::milliseconds(200));
  ExecutionContext context(capability_, "exec-3", "trace-3");
  const ExecutorResult result = run(*remote, context);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  ASSERT_EQ(context.attempts().size(), 2u);
  EXPECT_EQ(context.attempts()[0].outcome, "Timeout");
  EXPECT_TRUE(context.attempts()[0].node.empty());
  EXPECT_GE(context.attempts()[0].round_trip_us, 200'000u);
  EXPECT_EQ(context.attempts()[1].node, "n2");
}

TEST_F(RemoteRetryTest, RetriesStopAtMaxAttemptsWithTheLastTrysError) {
  respond([](int) { return Answer::Overloaded; });
  auto remote = executor(true, 3);
  ExecutionContext context(capability_, "exec-4", "trace-4");
  const ExecutorResult result = run(*remote, context);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), ExecutorErrorClass::Overloaded);
  ASSERT_EQ(context.attempts().size(), 3u);
  EXPECT_EQ(context.attempts()[2].number, 3u);
  EXPECT_EQ(context.attempts()[2].node, "n3");
  ASSERT_TRUE(connection_->flush(std::chrono::seconds(2)).has_value());
  EXPECT_EQ(received_.load(), 3);
}

TEST_F(RemoteRetryTest, NoRespondersIsRetriedUntilANodeAppears) {
  auto remote = executor(true, 100);
  ExecutionContext context(capability_, "exec-5", "trace-5");
  const Value input{{"x", 5}};
  ExecutorCompletion completion = remote->submit(capability_, input, context);
  // The first tries find nobody; the responder subscribes while the call is being retried.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (remote->stats().retried == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();  // bounded: until the first retry is scheduled
  }
  ASSERT_GE(remote->stats().retried, 1u);
  respond([](int) { return Answer::Ok; });
  ASSERT_TRUE(completion.wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  const ExecutorResult result = completion.wait();
  ASSERT_TRUE(result.has_value()) << result.error().message();
  ASSERT_GE(context.attempts().size(), 2u);
  EXPECT_EQ(context.attempts().front().outcome, "RemoteUnavailable");
  EXPECT_EQ(context.attempts().back().outcome, "ok");
  EXPECT_EQ(received_.load(), 1) << "only the try that found a node reached one";
}

TEST_F(RemoteRetryTest, OutOfRangePolicyIsRefused) {
  RemoteExecutorConfig config;
  config.retry.max_attempts = 0;
  auto refused = RemoteExecutor::create(connection_, config);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind(), ClusterErrorKind::InvalidOptions);
}

}  // namespace
}  // namespace traverse
