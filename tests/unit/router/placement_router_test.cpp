// Governing spec: 010-runtime-stack
#include "traverse/router/placement_router.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "traverse/events/in_process_broker.hpp"
#include "traverse/support/digest.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"

namespace traverse {
namespace {

using ExecuteFn = std::function<std::expected<ExecutorOutput, ExecutorError>(
    const ExecutorCapability&, const Value&, ExecutionContext&)>;

class FnExecutor final : public CapabilityExecutor {
 public:
  // A synchronous double: the completion is fulfilled on the caller.
  ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                            ExecutionContext& context) const override {
    return ExecutorCompletion::fulfilled(execute(capability, input, context));
  }

 public:
  explicit FnExecutor(ExecuteFn fn) : fn_(std::move(fn)) {}
  std::expected<ExecutorOutput, ExecutorError> execute(const ExecutorCapability& capability,
                                                       const Value& input,
                                                       ExecutionContext& context) const override {
    calls_.fetch_add(1);
    return fn_(capability, input, context);
  }
  int calls() const { return calls_.load(); }

 private:
  ExecuteFn fn_;
  mutable std::atomic<int> calls_{0};
};

// Echo: returns {"echo": input}. Emits every event listed in input["emit"] first.
std::expected<ExecutorOutput, ExecutorError> echo(const ExecutorCapability&, const Value& input,
                                                  ExecutionContext& context) {
  if (input.contains("emit")) {
    for (const auto& event_id : input["emit"]) {
      if (!context.emit(event_id.get<std::string>(), "1.0.0", Value{{"n", 1}})) {
        return std::unexpected(ExecutorError::execution_failed("emit refused"));
      }
    }
  }
  ExecutorOutput output;
  output.value = Value{{"echo", input}};
  output.emitted_events = context.emitted_events();
  return output;
}

constexpr const char* kEvent = "demo.thing.happened";

class PlacementRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_shared<EventCatalog>();
    ASSERT_TRUE(catalog_->register_entry({kEvent, "demo-team", "1.0.0", Lifecycle::Active, 0}));
    auto broker = InProcessBroker::create({}, catalog_);
    ASSERT_TRUE(broker.has_value());
    broker_ = *broker;
    store_ = std::make_shared<InMemoryTraceStore>();
    executor_ = std::make_shared<FnExecutor>(echo);
  }

  PlacementRouter make_router(std::shared_ptr<const CapabilityExecutor> native) {
    CapabilityExecutorRegistry executors;
    executors.set(ArtifactType::Native, std::move(native));
    return PlacementRouter({}, executors, store_, broker_);
  }
  PlacementRouter make_router() { return make_router(executor_); }

  static RouterRequest request(Value input = Value{{"x", 1}},
                               ServiceType service_type = ServiceType::Stateless) {
    RouterRequest r;
    r.capability.capability_id = "demo.echo";
    r.capability.capability_version = "1.0.0";
    r.capability.artifact_type = ArtifactType::Native;
    r.capability.service_type = service_type;
    r.capability.emits = {{kEvent, "1.0.0"}, {"demo.unregistered", "1.0.0"}};
    r.placement.permitted_targets = {ExecutionTarget::Local, ExecutionTarget::Cloud};
    r.placement.service_type = service_type;
    r.target_hint = ExecutionTarget::Local;
    r.input = std::move(input);
    r.execution_id = "exec_r1";
    return r;
  }

  TraceRecord only_record() {
    auto all = store_->list_public({});
    EXPECT_TRUE(all.has_value());
    EXPECT_EQ(all->size(), 1u);
    auto record = store_->get(all->at(0).id);
    EXPECT_TRUE(record.has_value());
    return *record;
  }

  std::shared_ptr<EventCatalog> catalog_;
  std::shared_ptr<InProcessBroker> broker_;
  std::shared_ptr<InMemoryTraceStore> store_;
  std::shared_ptr<FnExecutor> executor_;
};

TEST_F(PlacementRouterTest, SuccessReturnsOutputAndWritesOneSuccessTrace) {
  const auto router = make_router();
  const auto response = router.execute(request());
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->output, (Value{{"echo", {{"x", 1}}}}));
  EXPECT_EQ(response->placement_decision.target, ExecutionTarget::Local);
  EXPECT_EQ(response->placement_decision.reason, PlacementReason::CallerHintAccepted);
  EXPECT_EQ(response->trace_id.size(), 36u);
  EXPECT_EQ(response->trace_id[14], '7');  // a time-ordered UUIDv7 (D11)

  const TraceRecord record = only_record();
  const PublicTraceEntry& entry = record.public_entry;
  EXPECT_EQ(entry.id, response->trace_id);
  EXPECT_EQ(entry.execution_id, "exec_r1");
  EXPECT_EQ(entry.source, "traverse-runtime/demo.echo");
  EXPECT_EQ(entry.capability_id, "demo.echo");
  EXPECT_EQ(entry.capability_version, "1.0.0");
  EXPECT_EQ(entry.placement_target, "Local");
  EXPECT_EQ(entry.outcome, TraceOutcome::Success);
  EXPECT_FALSE(entry.error_class.has_value());
  EXPECT_FALSE(entry.workflow_run_id.has_value());
  EXPECT_TRUE(parse_rfc3339(entry.time).has_value()) << entry.time;
}

TEST_F(PlacementRouterTest, PrivateEntryHashesCanonicalInputAndOutput) {
  const auto router = make_router();
  const Value input = Value::parse(R"({"b": 1, "a": 1.0})");
  const auto response = router.execute(request(input));
  ASSERT_TRUE(response.has_value());
  const TraceRecord record = only_record();
  ASSERT_TRUE(record.private_entry.has_value());
  EXPECT_EQ(record.private_entry->trace_id, response->trace_id);
  EXPECT_EQ(record.private_entry->inputs_hash, sha256_hex(R"({"a":1.0,"b":1})"));
  EXPECT_EQ(record.private_entry->outputs_hash, sha256_hex(R"({"echo":{"a":1.0,"b":1}})"));
  EXPECT_FALSE(record.private_entry->input.has_value());  // store does not keep payloads
}

TEST_F(PlacementRouterTest, TraceIdOverrideAndWorkflowStepAreRecorded) {
  const auto router = make_router();
  auto r = request();
  r.trace_id_override = "trace-fixed";
  r.workflow_run_id = "run-7";
  r.step_index = 3;
  const auto response = router.execute(std::move(r));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->trace_id, "trace-fixed");
  const auto record = store_->get("trace-fixed");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry.workflow_run_id, "run-7");
  EXPECT_EQ(record->public_entry.step_index, 3u);
}

TEST_F(PlacementRouterTest, ExecutionContextCarriesIdentityAndTraceId) {
  std::string seen;
  auto executor = std::make_shared<FnExecutor>(
      [&seen](const ExecutorCapability&, const Value&,
              ExecutionContext& context) -> std::expected<ExecutorOutput, ExecutorError> {
        seen = context.capability_id() + "|" + context.capability_version() + "|" +
               context.execution_id() + "|" + context.trace_id() + "|" +
               context.runtime_config().dump();
        return ExecutorOutput{Value(true), {}};
      });
  const auto router = make_router(executor);
  auto r = request();
  r.trace_id_override = "t-1";
  r.runtime_config = Value{{"region", "eu"}};
  ASSERT_TRUE(router.execute(std::move(r)).has_value());
  EXPECT_EQ(seen, R"(demo.echo|1.0.0|exec_r1|t-1|{"region":"eu"})");
}

TEST_F(PlacementRouterTest, PlacementFailureIsTracedAndNothingRuns) {
  const auto router = make_router();
  auto r = request();
  r.target_hint.reset();
  r.snapshot.with_load(ExecutionTarget::Local, 0.95).with_load(ExecutionTarget::Cloud, 0.99);
  const auto response = router.execute(std::move(r));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind(), RouterErrorKind::PlacementFailed);
  EXPECT_EQ(response.error().message().rfind("placement failed: NoEligibleTarget", 0), 0u)
      << response.error().message();
  EXPECT_EQ(executor_->calls(), 0);

  const TraceRecord record = only_record();
  EXPECT_EQ(record.public_entry.id, response.error().trace_id());
  EXPECT_EQ(record.public_entry.outcome, TraceOutcome::Failure);
  EXPECT_EQ(record.public_entry.error_class, "PlacementFailed");
  EXPECT_EQ(record.public_entry.error_message, response.error().message());
  EXPECT_EQ(record.public_entry.placement_target, "");
  ASSERT_TRUE(record.private_entry.has_value());
  EXPECT_FALSE(record.private_entry->outputs_hash.has_value());
}

TEST_F(PlacementRouterTest, MissingExecutorIsTraced) {
  const auto router = make_router();
  auto r = request();
  r.capability.artifact_type = ArtifactType::Wasm;
  const auto response = router.execute(std::move(r));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind(), RouterErrorKind::ExecutorNotFound);
  EXPECT_EQ(response.error().message(), "no executor registered for artifact type: Wasm");
  const TraceRecord record = only_record();
  EXPECT_EQ(record.public_entry.outcome, TraceOutcome::Failure);
  EXPECT_EQ(record.public_entry.error_class, "ExecutorNotFound");
  EXPECT_EQ(record.public_entry.placement_target, "Local");
}

TEST_F(PlacementRouterTest, ExecutorErrorIsTracedWithItsClassAndMessage) {
  auto failing = std::make_shared<FnExecutor>(
      [](const ExecutorCapability&, const Value&,
         ExecutionContext&) -> std::expected<ExecutorOutput, ExecutorError> {
        return std::unexpected(ExecutorError::execution_failed("inner failed"));
      });
  const auto router = make_router(failing);
  const auto response = router.execute(request());
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind(), RouterErrorKind::ExecutionFailed);
  ASSERT_TRUE(response.error().executor_error().has_value());
  EXPECT_EQ(response.error().executor_error()->detail(), "inner failed");
  EXPECT_EQ(response.error().message(), "execution failed: inner failed");
  ASSERT_TRUE(response.error().placement_decision().has_value());

  const TraceRecord record = only_record();
  EXPECT_EQ(record.public_entry.id, response.error().trace_id());
  EXPECT_EQ(record.public_entry.outcome, TraceOutcome::Failure);
  EXPECT_EQ(record.public_entry.error_class, "ExecutionFailed");
  EXPECT_EQ(record.public_entry.error_message, "execution failed: inner failed");
  EXPECT_EQ(record.public_entry.placement_target, "Local");
}

TEST_F(PlacementRouterTest, TimeoutIsTracedAsTimeoutClass) {
  auto slow = std::make_shared<FnExecutor>(
      [](const ExecutorCapability&, const Value&,
         ExecutionContext&) -> std::expected<ExecutorOutput, ExecutorError> {
        return std::unexpected(ExecutorError::timeout("deadline exceeded"));
      });
  const auto response = make_router(slow).execute(request());
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(only_record().public_entry.error_class, "Timeout");
}

TEST_F(PlacementRouterTest, ThrowingExecutorIsContainedAndTraced) {
  auto throwing = std::make_shared<FnExecutor>(
      [](const ExecutorCapability&, const Value&,
         ExecutionContext&) -> std::expected<ExecutorOutput, ExecutorError> {
        throw std::runtime_error("kaboom");
      });
  const auto response = make_router(throwing).execute(request());
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind(), RouterErrorKind::ExecutionFailed);
  EXPECT_NE(response.error().message().find("capability panicked: kaboom"), std::string::npos);
  EXPECT_EQ(only_record().public_entry.outcome, TraceOutcome::Failure);
}

TEST_F(PlacementRouterTest, SubmitContainsAnExecutorThatThrowsFromSubmit) {
  auto throwing = std::make_shared<FnExecutor>(
      [](const ExecutorCapability&, const Value&,
         ExecutionContext&) -> std::expected<ExecutorOutput, ExecutorError> {
        throw std::runtime_error("kaboom");
      });
  Completion<RouterDispatchResult> dispatched =
      make_router(throwing).submit(request(), "trace-submit-throws");
  ASSERT_TRUE(dispatched.ready());
  const RouterDispatchResult result = dispatched.wait();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), RouterErrorKind::ExecutionFailed);
  EXPECT_NE(result.error().message().find("capability panicked: kaboom"), std::string::npos);
}

// Runs each call on a thread of its own, after submit has returned: the router must keep the
// call's capability, input and context alive until then (ASan checks that it does).
class DeferredExecutor final : public CapabilityExecutor {
 public:
  ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                            ExecutionContext& context) const override {
    CompletionPromise<ExecutorResult> promise;
    ExecutorCompletion completion = promise.completion();
    std::lock_guard lock(mutex_);
    threads_.emplace_back([&capability, &input, &context, promise = std::move(promise)]() mutable {
      ExecutorOutput output;
      output.value = Value{{"echo", input},
                           {"capability", capability.capability_id},
                           {"trace_id", context.trace_id()}};
      promise.fulfil(std::move(output));
    });
    return completion;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::vector<std::jthread> threads_;
};

TEST_F(PlacementRouterTest, SubmitKeepsTheCallAliveUntilTheExecutorCompletesIt) {
  auto deferred = std::make_shared<DeferredExecutor>();
  const auto router = make_router(deferred);
  Completion<RouterDispatchResult> dispatched = router.submit(request(), "trace-deferred");
  ASSERT_TRUE(dispatched.wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  const RouterDispatchResult result = dispatched.wait();
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(
      result->output.value,
      (Value{{"echo", {{"x", 1}}}, {"capability", "demo.echo"}, {"trace_id", "trace-deferred"}}));
  EXPECT_EQ(result->placement_decision.target, ExecutionTarget::Local);
  // dispatch's contract: nothing is traced by the router itself.
  EXPECT_TRUE(store_->list_public({}).value_or(std::vector<PublicTraceEntry>{1}).empty());
}

TEST_F(PlacementRouterTest, SubscribableEventsArePublishedAndRecorded) {
  auto subscription = broker_->subscribe(kEvent, "0");
  ASSERT_TRUE(subscription.has_value());
  const auto router = make_router();
  const auto response =
      router.execute(request(Value{{"emit", {kEvent}}}, ServiceType::Subscribable));
  ASSERT_TRUE(response.has_value()) << response.error().message();
  ASSERT_EQ(response->emitted_events.size(), 1u);
  EXPECT_TRUE(response->publish_errors.empty());

  auto poll = broker_->poll(subscription->subscription_id, 10);
  ASSERT_TRUE(poll.has_value());
  ASSERT_EQ(poll->events.size(), 1u);
  EXPECT_EQ(poll->events[0].event.id, response->emitted_events[0].id);
  EXPECT_EQ(poll->events[0].event.data, (Value{{"n", 1}}));

  const TraceRecord record = only_record();
  EXPECT_EQ(record.public_entry.published_events,
            std::vector<std::string>{response->emitted_events[0].id});
  EXPECT_TRUE(record.public_entry.publish_errors.empty());
}

// The trace entry is written before anything is published: it lists the events offered to the
// broker; a broker refusal after the commit is reported in the response.
TEST_F(PlacementRouterTest, BrokerRefusalAfterTheCommitIsReportedInTheResponse) {
  const auto router = make_router();
  const auto response = router.execute(
      request(Value{{"emit", {kEvent, "demo.unregistered"}}}, ServiceType::Subscribable));
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->emitted_events.size(), 2u);
  ASSERT_EQ(response->publish_errors.size(), 1u);
  EXPECT_EQ(response->publish_errors[0].event_type, "demo.unregistered");
  EXPECT_EQ(response->publish_errors[0].event_id, response->emitted_events[1].id);
  EXPECT_NE(response->publish_errors[0].error.find("demo.unregistered"), std::string::npos);

  const TraceRecord record = only_record();
  EXPECT_EQ(record.public_entry.outcome, TraceOutcome::Success);
  EXPECT_TRUE(record.public_entry.publish_errors.empty());
  EXPECT_EQ(record.public_entry.published_events.size(), 2u);  // both were offered
}

TEST_F(PlacementRouterTest, NothingIsPublishedWhenTheTraceWriteFails) {
  auto subscription = broker_->subscribe(kEvent, "0");
  ASSERT_TRUE(subscription.has_value());
  const auto router = make_router();
  auto first = request(Value{{"n", 1}});
  first.trace_id_override = "taken";
  ASSERT_TRUE(router.execute(std::move(first)).has_value());

  auto second = request(Value{{"emit", {kEvent}}}, ServiceType::Subscribable);
  second.trace_id_override = "taken";  // the store refuses the entry (Conflict)
  const auto response = router.execute(std::move(second));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind(), RouterErrorKind::TraceWriteFailed);
  auto poll = broker_->poll(subscription->subscription_id, 10);
  ASSERT_TRUE(poll.has_value());
  EXPECT_TRUE(poll->events.empty());
  EXPECT_EQ(broker_->metrics().publications, 0u);
}

// Thread cancellation unwinds with abi::__forced_unwind; a catch (...) that swallows it aborts
// the process ("FATAL: exception not rethrown"). The router must let it through.
TEST_F(PlacementRouterTest, ThreadCancellationInsideACapabilityIsNotSwallowed) {
  std::atomic<bool> entered{false};
  auto cancellable = std::make_shared<FnExecutor>(
      [&entered](const ExecutorCapability&, const Value&,
                 ExecutionContext&) -> std::expected<ExecutorOutput, ExecutorError> {
        entered = true;
        entered.notify_all();
        for (;;) {
          pthread_testcancel();  // a cancellation point
          std::this_thread::yield();
        }
      });
  const auto router = make_router(cancellable);
  std::atomic<bool> returned{false};
  pthread_t thread{};
  struct Args {
    const PlacementRouter* router;
    std::atomic<bool>* returned;
  } args{&router, &returned};
  ASSERT_EQ(pthread_create(
                &thread, nullptr,
                [](void* raw) -> void* {
                  auto* a = static_cast<Args*>(raw);
                  (void)a->router->execute(request());
                  a->returned->store(true);  // never reached: the thread is cancelled
                  return nullptr;
                },
                &args),
            0);
  entered.wait(false);
  ASSERT_EQ(pthread_cancel(thread), 0);
  void* status = nullptr;
  ASSERT_EQ(pthread_join(thread, &status), 0);
  EXPECT_EQ(status, PTHREAD_CANCELED);
  EXPECT_FALSE(returned.load());
}

TEST_F(PlacementRouterTest, FailedExecutionPublishesNothing) {
  auto subscription = broker_->subscribe(kEvent, "0");
  ASSERT_TRUE(subscription.has_value());
  auto emit_then_fail = std::make_shared<FnExecutor>(
      [](const ExecutorCapability&, const Value&,
         ExecutionContext& context) -> std::expected<ExecutorOutput, ExecutorError> {
        EXPECT_TRUE(context.emit(kEvent, "1.0.0", Value::object()).has_value());
        return std::unexpected(ExecutorError::execution_failed("after emit"));
      });
  const auto response =
      make_router(emit_then_fail).execute(request(Value::object(), ServiceType::Subscribable));
  ASSERT_FALSE(response.has_value());
  auto poll = broker_->poll(subscription->subscription_id, 10);
  ASSERT_TRUE(poll.has_value());
  EXPECT_TRUE(poll->events.empty());
  EXPECT_EQ(broker_->metrics().publications, 0u);
  EXPECT_TRUE(only_record().public_entry.published_events.empty());
}

TEST_F(PlacementRouterTest, EventsOfNonSubscribableCapabilityAreReportedNotPublished) {
  // A custom executor that bypasses ExecutionContext checks and returns an event anyway.
  auto rogue = std::make_shared<FnExecutor>(
      [](const ExecutorCapability&, const Value&,
         ExecutionContext&) -> std::expected<ExecutorOutput, ExecutorError> {
        TraverseEvent event;
        event.id = "ev-1";
        event.event_type = kEvent;
        return ExecutorOutput{Value(1), {event}};
      });
  const auto response = make_router(rogue).execute(request());
  ASSERT_TRUE(response.has_value());
  EXPECT_TRUE(response->emitted_events.empty());
  ASSERT_EQ(response->publish_errors.size(), 1u);
  EXPECT_EQ(response->publish_errors[0].event_id, "ev-1");
  EXPECT_EQ(broker_->metrics().publications, 0u);
}

TEST_F(PlacementRouterTest, NullBrokerReportsEveryEvent) {
  CapabilityExecutorRegistry executors;
  executors.set(ArtifactType::Native, executor_);
  const PlacementRouter router({}, executors, store_, nullptr);
  const auto response =
      router.execute(request(Value{{"emit", {kEvent}}}, ServiceType::Subscribable));
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->publish_errors.size(), 1u);
  EXPECT_EQ(response->publish_errors[0].error, "no event broker configured");
}

TEST_F(PlacementRouterTest, NullTraceStoreIsReplacedByAnInMemoryStore) {
  CapabilityExecutorRegistry executors;
  executors.set(ArtifactType::Native, executor_);
  const PlacementRouter router({}, executors, nullptr, broker_);
  ASSERT_NE(router.trace_store(), nullptr);
  const auto response = router.execute(request());
  ASSERT_TRUE(response.has_value());
  EXPECT_TRUE(router.trace_store()->get(response->trace_id).has_value());
}

TEST_F(PlacementRouterTest, OutputViolatingSchemaIsAFailedExecution) {
  auto validator = SchemaValidator::compile(Value::parse(
      R"({"type":"object","required":["result"],"properties":{"result":{"type":"integer"}}})"));
  ASSERT_TRUE(validator.has_value());
  auto subscription = broker_->subscribe(kEvent, "0");
  ASSERT_TRUE(subscription.has_value());
  auto r = request(Value{{"emit", {kEvent}}}, ServiceType::Subscribable);
  r.output_validator = &*validator;
  const auto response = make_router().execute(std::move(r));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind(), RouterErrorKind::OutputValidationFailed);
  ASSERT_FALSE(response.error().violations().empty());
  EXPECT_EQ(response.error().violations()[0].path(), "$.result");
  EXPECT_EQ(only_record().public_entry.error_class, "OutputValidationFailed");
  auto poll = broker_->poll(subscription->subscription_id, 10);
  ASSERT_TRUE(poll.has_value());
  EXPECT_TRUE(poll->events.empty());
}

TEST_F(PlacementRouterTest, DuplicateTraceIdIsTraceWriteFailedAndKeepsFirstEntry) {
  const auto router = make_router();
  auto first = request(Value{{"n", 1}});
  first.trace_id_override = "same";
  ASSERT_TRUE(router.execute(std::move(first)).has_value());
  auto second = request(Value{{"n", 2}});
  second.trace_id_override = "same";
  const auto response = router.execute(std::move(second));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind(), RouterErrorKind::TraceWriteFailed);
  ASSERT_TRUE(response.error().trace_error().has_value());
  EXPECT_EQ(response.error().trace_error()->kind(), TraceErrorKind::Conflict);
  EXPECT_TRUE(response.error().trace_id().empty());
  const TraceRecord record = only_record();
  EXPECT_EQ(record.private_entry->inputs_hash, sha256_hex(R"({"n":1})"));
}

TEST_F(PlacementRouterTest, FailureWhoseTraceWriteFailsReportsBoth) {
  const auto router = make_router();
  auto first = request();
  first.trace_id_override = "dup";
  ASSERT_TRUE(router.execute(std::move(first)).has_value());
  auto second = request();
  second.trace_id_override = "dup";
  second.capability.artifact_type = ArtifactType::Wasm;  // no executor
  const auto response = router.execute(std::move(second));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind(), RouterErrorKind::ExecutorNotFound);
  EXPECT_TRUE(response.error().trace_id().empty());
  ASSERT_TRUE(response.error().trace_error().has_value());
  EXPECT_EQ(response.error().trace_error()->kind(), TraceErrorKind::Conflict);
}

TEST_F(PlacementRouterTest, ConcurrentExecutionsEachGetOwnOutputAndOneTrace) {
  const auto router = make_router();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::vector<std::string>> ids(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const Value input{{"t", t}, {"i", i}};
        auto response = router.execute(request(input));
        if (!response || response->output != Value{{"echo", input}}) {
          ++wrong[static_cast<std::size_t>(t)];
          continue;
        }
        ids[static_cast<std::size_t>(t)].push_back(response->trace_id);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  std::set<std::string> unique;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(wrong[static_cast<std::size_t>(t)], 0);
    unique.insert(ids[static_cast<std::size_t>(t)].begin(), ids[static_cast<std::size_t>(t)].end());
  }
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(store_->size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST_F(PlacementRouterTest, NoLockIsHeldWhileCapabilitiesRun) {
  // Every execution waits (bounded) until all four are inside the executor at once; a router
  // that serialised executions would make each one time out instead.
  constexpr int kConcurrent = 4;
  std::mutex mutex;
  std::condition_variable all_in;
  int inside = 0;
  auto rendezvous = std::make_shared<FnExecutor>(
      [&](const ExecutorCapability&, const Value&,
          ExecutionContext&) -> std::expected<ExecutorOutput, ExecutorError> {
        std::unique_lock lock(mutex);
        ++inside;
        all_in.notify_all();
        const bool met =
            all_in.wait_for(lock, std::chrono::seconds(10), [&] { return inside >= kConcurrent; });
        return ExecutorOutput{Value(met), {}};
      });
  const auto router = make_router(rendezvous);
  std::vector<std::thread> threads;
  std::atomic<int> met{0};
  for (int t = 0; t < kConcurrent; ++t) {
    threads.emplace_back([&] {
      auto response = router.execute(request());
      if (response && response->output == Value(true)) {
        met.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(met.load(), kConcurrent);
}

}  // namespace
}  // namespace traverse
