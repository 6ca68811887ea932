// Governing spec: 010-runtime-stack
// The runtime's one pipeline: every attempt is recorded (Success, Failure, Rejected), the record
// comes before the events, workflow runs get their own entry and evidence, load_bundle is all or
// nothing, and the runtime is never destroyed while it still executes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "runtime_test_support.hpp"
#include "traverse/events/in_process_broker.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"
#include "traverse/trace/in_memory_workflow_run_store.hpp"

namespace traverse {
namespace {

namespace code = runtime_error_code;

using runtime_test::kBundle;
using runtime_test::kItemRecorded;
using runtime_test::request_for;

void add_handlers(TraverseRuntime::Builder& builder) {
  builder.with_native_handler("demo.runtime.add-numbers", [](const Value& input) {
    return NativeHandler::Result(
        Value{{"sum", input["a"].get<std::int64_t>() + input["b"].get<std::int64_t>()}});
  });
  builder.with_native_handler("demo.runtime.record-item", runtime_test::record_item);
  builder.with_executor(ArtifactType::Wasm, nullptr);
}

// A trace store whose inserts fail on demand.
class FailingTraceStore final : public runtime_test::WatchedTraceStore {
 public:
  std::atomic<bool> fail{false};
  std::atomic<int> attempts{0};

 private:
  std::expected<void, TraceError> before_insert() override {
    ++attempts;
    if (fail.load()) {
      return std::unexpected(TraceError{TraceErrorKind::Io, "disk full"});
    }
    return {};
  }
};

std::unique_ptr<TraverseRuntime> build(TraverseRuntime::Builder& builder) {
  auto built = builder.build();
  EXPECT_TRUE(built.has_value()) << (built ? std::string() : built.error().to_string());
  return built ? std::move(*built) : nullptr;
}

TraceRecord entry_of(const TraverseRuntime& runtime, const std::string& trace_ref) {
  auto record = runtime.trace_store()->get(trace_ref);
  EXPECT_TRUE(record.has_value()) << "trace_ref " << trace_ref << " does not resolve";
  return record.value_or(TraceRecord{});
}

// ---- Record before publish ----

TEST(RuntimePipeline, NothingIsPublishedWhenTheTraceWriteFails) {
  auto store = std::make_shared<FailingTraceStore>();
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  builder.with_trace_store(store);
  auto runtime = build(builder);
  ASSERT_TRUE(runtime->load_bundle(kBundle).has_value());
  auto subscription = runtime->broker()->subscribe(kItemRecorded, "0");
  ASSERT_TRUE(subscription.has_value());

  store->fail = true;
  const RuntimeResult failed = runtime->execute_capability(
      request_for("r-fail", "demo.runtime.record-item", Value{{"item_id", "a"}}));
  ASSERT_FALSE(failed.completed());
  EXPECT_EQ(failed.error->code(), code::kTraceWriteFailed);
  EXPECT_EQ(failed.error->kind(), RuntimeErrorKind::TraceWriteFailed);
  EXPECT_FALSE(failed.output.has_value());
  EXPECT_TRUE(failed.trace_ref.empty());  // no reference that would not resolve
  auto poll = runtime->broker()->poll(subscription->subscription_id, 10);
  ASSERT_TRUE(poll.has_value());
  EXPECT_TRUE(poll->events.empty());

  store->fail = false;
  const RuntimeResult ok = runtime->execute_capability(
      request_for("r-ok", "demo.runtime.record-item", Value{{"item_id", "b"}}));
  ASSERT_TRUE(ok.completed()) << ok.error->message();
  poll = runtime->broker()->poll(subscription->subscription_id, 10);
  ASSERT_TRUE(poll.has_value());
  ASSERT_EQ(poll->events.size(), 1u);
  const TraceRecord record = entry_of(*runtime, ok.trace_ref);
  ASSERT_EQ(record.public_entry.published_events.size(), 1u);
  EXPECT_EQ(record.public_entry.published_events[0], poll->events[0].event.id);
}

// ---- Every attempt has an entry ----

TEST(RuntimePipeline, RejectedAttemptsLeaveARejectedEntryTheirTraceRefResolvesTo) {
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  auto runtime = build(builder);
  ASSERT_TRUE(runtime->load_bundle(kBundle).has_value());

  struct Case {
    RuntimeRequest request;
    std::string code;
    std::string error_class;
  };
  RuntimeRequest empty_id = request_for("", "demo.runtime.add-numbers", Value{{"a", 1}, {"b", 2}});
  const std::vector<Case> cases = {
      {request_for("nf", "demo.runtime.missing", Value::object()),
       std::string(code::kCapabilityNotFound), "CapabilityNotFound"},
      {request_for("bad-input", "demo.runtime.add-numbers", Value{{"a", 1}}),
       std::string(code::kRequestInvalid), "RequestInvalid"},
      {empty_id, std::string(code::kRequestInvalid), "RequestInvalid"},
      // greet-person has no native handler in this runtime.
      {request_for("no-impl", "demo.runtime.greet-person", Value{{"name", "Ada"}}),
       std::string(code::kArtifactMissing), "ArtifactMissing"},
  };
  for (const Case& c : cases) {
    const RuntimeResult result = runtime->execute_capability(c.request);
    ASSERT_FALSE(result.completed());
    EXPECT_EQ(result.error->code(), c.code);
    ASSERT_FALSE(result.trace_ref.empty());
    const TraceRecord record = entry_of(*runtime, result.trace_ref);
    EXPECT_EQ(record.public_entry.outcome, TraceOutcome::Rejected) << c.code;
    EXPECT_EQ(record.public_entry.error_class, c.error_class);
    EXPECT_EQ(record.public_entry.error_message, result.error->message());
    EXPECT_EQ(record.public_entry.execution_id, result.execution_id);
  }
  TraceQuery rejected;
  rejected.outcome = TraceOutcome::Rejected;
  EXPECT_EQ(runtime->trace_store()->count(rejected).value_or(0), cases.size());
}

TEST(RuntimePipeline, AFailedExecutionIsAFailureEntryNotARejection) {
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  builder.with_native_handler("demo.runtime.greet-person", [](const Value&) {
    return NativeHandler::Result(std::unexpected("boom"));
  });
  auto runtime = build(builder);
  ASSERT_TRUE(runtime->load_bundle(kBundle).has_value());
  const RuntimeResult result = runtime->execute_capability(
      request_for("boom", "demo.runtime.greet-person", Value{{"name", "Ada"}}));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->kind(), RuntimeErrorKind::ExecutionFailed);
  // Never prefixed twice.
  EXPECT_EQ(result.error->message().find("execution failed: execution failed"), std::string::npos)
      << result.error->message();
  const TraceRecord record = entry_of(*runtime, result.trace_ref);
  EXPECT_EQ(record.public_entry.outcome, TraceOutcome::Failure);
  EXPECT_EQ(record.public_entry.placement_target, "Local");
}

// Trace ids are version-7 UUIDs: an attempt made in a later millisecond gets a larger id, so the
// trace database's id index grows at its end (docs/compatibility.md D11).
TEST(RuntimePipeline, TraceRefsAreTimeOrderedVersion7Uuids) {
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  auto runtime = build(builder);
  ASSERT_TRUE(runtime->load_bundle(kBundle).has_value());
  const auto run = [&](const std::string& request_id) {
    const RuntimeResult result = runtime->execute_capability(
        request_for(request_id, "demo.runtime.add-numbers", Value{{"a", 1}, {"b", 2}}));
    EXPECT_TRUE(result.completed());
    return result.trace_ref;
  };
  const std::regex version7(
      "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const std::string first = run("first");
  ASSERT_TRUE(std::regex_match(first, version7)) << first;
  // The first 13 characters hold the creation millisecond (with the dash at 8).
  std::string later = run("later-0");
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (int i = 1;
       later.substr(0, 13) == first.substr(0, 13) && std::chrono::steady_clock::now() < give_up;
       ++i) {
    later = run("later-" + std::to_string(i));
  }
  ASSERT_NE(later.substr(0, 13), first.substr(0, 13)) << "the clock did not advance in 5 s";
  EXPECT_TRUE(std::regex_match(later, version7)) << later;
  EXPECT_LT(first, later);
  EXPECT_TRUE(runtime->trace_store()->get(later).has_value());
}

TEST(RuntimePipeline, MalformedDocumentsAreRecordedAsRejectedEvenWithNothingParseable) {
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  auto runtime = build(builder);
  const Value with_id{{"kind", "runtime_request"}, {"request_id", "doc-1"}};
  const RuntimeExecution first = runtime->execute_document(with_id);
  ASSERT_FALSE(first.result.completed());
  EXPECT_EQ(first.result.request_id, "doc-1");
  EXPECT_EQ(first.result.execution_id, "exec_doc-1");
  EXPECT_EQ(entry_of(*runtime, first.result.trace_ref).public_entry.outcome,
            TraceOutcome::Rejected);

  const RuntimeExecution nothing = runtime->execute_document(Value(42));
  ASSERT_FALSE(nothing.result.completed());
  EXPECT_EQ(nothing.result.error->code(), code::kRequestInvalid);
  EXPECT_EQ(nothing.result.execution_id, "exec_" + nothing.result.trace_ref);
  const TraceRecord record = entry_of(*runtime, nothing.result.trace_ref);
  EXPECT_EQ(record.public_entry.outcome, TraceOutcome::Rejected);
  EXPECT_EQ(record.public_entry.error_class, "RequestInvalid");
}

// ---- Workflow runs: their own entry and evidence, written by the library ----

class CountingObserver final : public StepObserver {
 public:
  void started(const StepRequest&) override { ++started_; }
  void finished(const StepRequest& request,
                const std::expected<StepOutcome, StepFailure>& result) override {
    ++finished_;
    std::lock_guard lock(mutex_);
    nodes_.push_back(request.node_id + (result ? ":ok" : ":failed"));
  }
  std::atomic<int> started_{0};
  std::atomic<int> finished_{0};
  std::mutex mutex_;
  std::vector<std::string> nodes_;
};

TEST(RuntimePipeline, AWorkflowBackedCapabilityGetsARunEntryAndItsEvidence) {
  auto runs = std::make_shared<InMemoryWorkflowRunStore>(8);
  auto observer = std::make_shared<CountingObserver>();
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  builder.with_workflow_run_store(runs).with_step_observer(observer);
  auto runtime = build(builder);
  ASSERT_TRUE(runtime->load_bundle(kBundle).has_value());

  const RuntimeExecution execution = runtime->execute(
      request_for("wf-1", "demo.runtime.sum-pair-composite", Value{{"a", 4}, {"b", 5}}));
  ASSERT_TRUE(execution.result.completed()) << execution.result.error->message();
  ASSERT_TRUE(execution.workflow_run.has_value());
  const std::string run_id = execution.workflow_run->run_id;

  const TraceRecord entry = entry_of(*runtime, execution.result.trace_ref);
  EXPECT_EQ(entry.public_entry.placement_target, "workflow");
  EXPECT_EQ(entry.public_entry.workflow_run_id, run_id);
  EXPECT_FALSE(entry.public_entry.step_index.has_value());
  EXPECT_EQ(entry.public_entry.capability_id, "demo.runtime.sum-pair-composite");
  EXPECT_EQ(entry.public_entry.outcome, TraceOutcome::Success);

  auto steps = runtime->trace_store()->list_run(run_id);
  ASSERT_TRUE(steps.has_value());
  EXPECT_EQ(steps->size(), 2u);  // the step and the run

  auto record = runs->get(run_id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->trace_id, execution.result.trace_ref);
  EXPECT_EQ(record->capability_id, "demo.runtime.sum-pair-composite");
  EXPECT_EQ(record->evidence, execution.workflow_run->evidence);
  EXPECT_EQ(runtime->workflow_run_store(), runs);

  EXPECT_EQ(observer->started_.load(), 1);
  EXPECT_EQ(observer->finished_.load(), 1);
}

TEST(RuntimePipeline, RunWorkflowRecordsTheRunAndRejectsAnUnknownWorkflow) {
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  auto runtime = build(builder);
  ASSERT_TRUE(runtime->load_bundle(kBundle).has_value());

  const RuntimeExecution run =
      runtime->run_workflow("demo.runtime.sum-pair@1.0.0", Value{{"a", 1}, {"b", 2}}, "wf-direct");
  ASSERT_TRUE(run.result.completed()) << run.result.error->message();
  EXPECT_EQ(run.result.output, (Value{{"sum", 3}}));
  ASSERT_TRUE(run.workflow_run.has_value());
  const TraceRecord entry = entry_of(*runtime, run.result.trace_ref);
  EXPECT_EQ(entry.public_entry.placement_target, "workflow");
  EXPECT_EQ(entry.public_entry.capability_id, "demo.runtime.sum-pair");
  EXPECT_EQ(entry.public_entry.workflow_run_id, run.workflow_run->run_id);
  EXPECT_TRUE(runtime->workflow_run_store()->get(run.workflow_run->run_id).has_value());

  const RuntimeExecution unknown = runtime->run_workflow("demo.runtime.nope", Value::object());
  ASSERT_FALSE(unknown.result.completed());
  EXPECT_EQ(unknown.result.error->kind(), RuntimeErrorKind::CapabilityNotFound);
  EXPECT_FALSE(unknown.workflow_run.has_value());
  EXPECT_EQ(entry_of(*runtime, unknown.result.trace_ref).public_entry.outcome,
            TraceOutcome::Rejected);
}

// A runner that throws something that is not a std::exception.
class ThrowingRunner final : public WorkflowRunner {
 public:
  WorkflowRun run(const WorkflowInvocation&) const override { throw 42; }
};

TEST(RuntimePipeline, AWorkflowRunnerThrowingANonStandardExceptionIsContainedAndRecorded) {
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  builder.with_workflow_runner([](const WorkflowRunnerDependencies&) -> WorkflowRunnerResult {
    return std::make_shared<ThrowingRunner>();
  });
  auto runtime = build(builder);
  ASSERT_TRUE(runtime->load_bundle(kBundle).has_value());
  RuntimeResult result;
  EXPECT_NO_THROW(result = runtime->execute_capability(request_for(
                      "wf-throw", "demo.runtime.sum-pair-composite", Value{{"a", 1}, {"b", 2}})));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), code::kExecutionFailed);
  EXPECT_EQ(entry_of(*runtime, result.trace_ref).public_entry.outcome, TraceOutcome::Failure);
}

// ---- load_bundle: all or nothing ----

TEST(RuntimePipeline, LoadBundleChangesNothingWhenItsLastStepFails) {
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  auto runtime = build(builder);
  // The bundle's event type is already registered with another version: the capabilities and
  // workflows pass every check, then the catalog refuses the events (the last step).
  EventContract other;
  other.id = kItemRecorded;
  other.version = "9.0.0";
  other.owner.team = "someone-else";
  other.lifecycle = Lifecycle::Active;
  ASSERT_TRUE(runtime->register_event(other).has_value());
  const std::size_t events_before = runtime->event_catalog()->size();

  auto loaded = runtime->load_bundle(kBundle);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().front().code(), "EventTypeConflict");
  EXPECT_EQ(runtime->capability_registry()->size(), 0u);
  EXPECT_EQ(runtime->workflow_registry()->size(), 0u);
  EXPECT_EQ(runtime->event_catalog()->size(), events_before);
  EXPECT_EQ(runtime->event_catalog()->get(kItemRecorded)->version, "9.0.0");
}

TEST(RuntimePipeline, LoadBundleChangesNothingWhenACapabilityConflicts) {
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  auto runtime = build(builder);
  CapabilityContract contract;
  contract.namespace_name = "demo.runtime";
  contract.name = "add-numbers";
  contract.id = "demo.runtime.add-numbers";
  contract.version = "1.0.0";
  contract.lifecycle = Lifecycle::Active;
  contract.preferred_targets = {ExecutionTarget::Local};
  contract.permitted_targets = {ExecutionTarget::Local};
  contract.input_schema = Value{{"type", "object"}};
  contract.output_schema = Value{{"type", "object"}};
  ASSERT_TRUE(
      runtime->register_capability(Scope::Public, contract, ArtifactReference::native(contract.id))
          .has_value());
  auto loaded = runtime->load_bundle(kBundle);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(runtime->capability_registry()->size(), 1u);
  EXPECT_EQ(runtime->workflow_registry()->size(), 0u);
  EXPECT_EQ(runtime->event_catalog()->size(), 0u);
}

// ---- Lifetime ----

TEST(RuntimePipeline, DestructionWaitsForExecutionsInFlight) {
  std::latch entered(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  TraverseRuntime::Builder builder;
  add_handlers(builder);
  builder.with_native_handler("demo.runtime.greet-person", [&](const Value&) {
    entered.count_down();
    released.wait();
    return NativeHandler::Result(Value{{"greeting", "late"}});
  });
  auto runtime = build(builder);
  ASSERT_TRUE(runtime->load_bundle(kBundle).has_value());
  TraverseRuntime* raw = runtime.get();

  std::future<RuntimeResult> in_flight = std::async(std::launch::async, [raw] {
    return raw->execute_capability(
        request_for("slow", "demo.runtime.greet-person", Value{{"name", "Ada"}}));
  });
  entered.wait();
  std::future<void> destroyed = std::async(std::launch::async, [&runtime] { runtime.reset(); });
  // The destructor must not finish while the execution is still running (bounded wait).
  EXPECT_EQ(destroyed.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  release.set_value();
  const RuntimeResult result = in_flight.get();
  destroyed.get();
  EXPECT_TRUE(result.completed()) << (result.error ? result.error->message() : "");
}

}  // namespace
}  // namespace traverse
