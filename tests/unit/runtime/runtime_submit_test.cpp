// Governing spec: 010-runtime-stack
// TraverseRuntime::submit: the pipeline without blocking the caller. The capability runs on its
// executor; the output check, the record and the publication follow on the thread that finishes
// it; the records are those of execute; the runtime outlives every submitted execution.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime_test_support.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"

namespace traverse {
namespace {

namespace code = runtime_error_code;

using runtime_test::kBundle;
using runtime_test::kItemRecorded;
using runtime_test::request_for;
constexpr auto kBound = std::chrono::seconds(30);  // every wait below is bounded

// A native handler that waits until the test releases it.
struct Gate {
  std::latch entered{1};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
};

std::unique_ptr<TraverseRuntime> build_runtime(Gate* gate,
                                               std::shared_ptr<TraceStore> store = nullptr) {
  TraverseRuntime::Builder builder;
  builder.with_native_pool_capacity(2);
  if (store) {
    builder.with_trace_store(std::move(store));
  }
  builder.with_native_handler("demo.runtime.add-numbers", [](const Value& input) {
    return NativeHandler::Result(
        Value{{"sum", input["a"].get<std::int64_t>() + input["b"].get<std::int64_t>()}});
  });
  builder.with_native_handler("demo.runtime.record-item", runtime_test::record_item);
  builder.with_native_handler("demo.runtime.greet-person", [gate](const Value& input) {
    if (gate != nullptr) {
      gate->entered.count_down();
      gate->released.wait();
    }
    return NativeHandler::Result(Value{{"greeting", "Hello, " + input["name"].get<std::string>()}});
  });
  builder.with_native_handler("demo.runtime.reverse-text", [](const Value&) {
    return NativeHandler::Result(std::unexpected("reverse-text is out of order"));
  });
  builder.with_executor(ArtifactType::Wasm, nullptr);
  auto built = builder.build();
  EXPECT_TRUE(built.has_value()) << (built ? std::string() : built.error().to_string());
  if (!built) {
    return nullptr;
  }
  auto runtime = std::move(*built);
  auto loaded = runtime->load_bundle(kBundle);
  EXPECT_TRUE(loaded.has_value());
  return runtime;
}

// A trace store that notes which thread writes each entry.
class ThreadNotingStore final : public runtime_test::WatchedTraceStore {
 public:
  std::vector<std::thread::id> writers() const {
    std::lock_guard lock(mutex_);
    return writers_;
  }

 private:
  std::expected<void, TraceError> before_insert() override {
    std::lock_guard lock(mutex_);
    writers_.push_back(std::this_thread::get_id());
    return {};
  }

  mutable std::mutex mutex_;
  std::vector<std::thread::id> writers_;
};

RuntimeExecution wait_bounded(Completion<RuntimeExecution> completion) {
  EXPECT_TRUE(completion.wait_until(std::chrono::steady_clock::now() + kBound));
  return completion.wait();
}

TEST(RuntimeSubmit, TheCallerIsFreeWhileTheCapabilityRuns) {
  Gate gate;
  auto runtime = build_runtime(&gate);
  ASSERT_NE(runtime, nullptr);
  Completion<RuntimeExecution> pending =
      runtime->submit(request_for("async-1", "demo.runtime.greet-person", Value{{"name", "Ada"}}));
  gate.entered.wait();            // the capability is running on a pool worker ...
  EXPECT_FALSE(pending.ready());  // ... and submit has already returned to this thread
  gate.release.set_value();
  const RuntimeExecution execution = wait_bounded(std::move(pending));
  ASSERT_TRUE(execution.result.completed()) << execution.result.error->message();
  EXPECT_EQ(execution.result.output, (Value{{"greeting", "Hello, Ada"}}));
  EXPECT_EQ(execution.result.execution_id, "exec_async-1");
}

TEST(RuntimeSubmit, RecordsTheSameEntryAsExecuteAndTheContinuationSeesIt) {
  auto runtime = build_runtime(nullptr);
  ASSERT_NE(runtime, nullptr);
  auto subscription = runtime->broker()->subscribe(kItemRecorded, "0");
  ASSERT_TRUE(subscription.has_value());

  std::promise<bool> recorded_when_continued;
  runtime->submit(request_for("async-item", "demo.runtime.record-item", Value{{"item_id", "a"}}))
      .then([&](RuntimeExecution execution) {
        // The continuation runs after the record: the trace_ref resolves already.
        recorded_when_continued.set_value(
            execution.result.completed() &&
            runtime->trace_store()->get(execution.result.trace_ref).has_value());
      });
  auto continued = recorded_when_continued.get_future();
  ASSERT_EQ(continued.wait_for(kBound), std::future_status::ready);
  EXPECT_TRUE(continued.get());

  const RuntimeExecution sync = runtime->execute(
      request_for("sync-item", "demo.runtime.record-item", Value{{"item_id", "b"}}));
  ASSERT_TRUE(sync.result.completed());
  TraceQuery all;
  auto entries = runtime->trace_store()->list_public(all);
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 2u);
  // The submitted attempt's entry has the shape of the executed one.
  const PublicTraceEntry& first =
      entries->at(0).execution_id == "exec_async-item" ? entries->at(0) : entries->at(1);
  const PublicTraceEntry& second = &first == &entries->at(0) ? entries->at(1) : entries->at(0);
  EXPECT_EQ(first.outcome, TraceOutcome::Success);
  EXPECT_EQ(first.capability_id, second.capability_id);
  EXPECT_EQ(first.placement_target, second.placement_target);
  EXPECT_EQ(first.published_events.size(), 1u);
  EXPECT_EQ(second.published_events.size(), 1u);
}

TEST(RuntimeSubmit, ARejectedRequestIsRecordedOnThePoolNotOnTheCaller) {
  auto store = std::make_shared<ThreadNotingStore>();
  auto runtime = build_runtime(nullptr, store);
  ASSERT_NE(runtime, nullptr);
  const RuntimeExecution execution =
      wait_bounded(runtime->submit(request_for("nf", "demo.runtime.missing", Value::object())));
  ASSERT_FALSE(execution.result.completed());
  EXPECT_EQ(execution.result.error->code(), code::kCapabilityNotFound);
  auto record = runtime->trace_store()->get(execution.result.trace_ref);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Rejected);

  const RuntimeExecution malformed = wait_bounded(runtime->submit_document(Value(42)));
  ASSERT_FALSE(malformed.result.completed());
  EXPECT_EQ(malformed.result.error->code(), code::kRequestInvalid);
  EXPECT_TRUE(runtime->trace_store()->get(malformed.result.trace_ref).has_value());

  const std::vector<std::thread::id> writers = store->writers();
  ASSERT_EQ(writers.size(), 2u);
  for (const std::thread::id writer : writers) {
    EXPECT_NE(writer, std::this_thread::get_id());  // the submitting thread wrote nothing
  }
}

TEST(RuntimeSubmit, AFailingCapabilityIsAFailureEntry) {
  auto runtime = build_runtime(nullptr);
  ASSERT_NE(runtime, nullptr);
  const RuntimeExecution execution = wait_bounded(
      runtime->submit(request_for("fails", "demo.runtime.reverse-text", Value{{"text", "abc"}})));
  ASSERT_FALSE(execution.result.completed());
  EXPECT_EQ(execution.result.error->kind(), RuntimeErrorKind::ExecutionFailed);
  auto record = runtime->trace_store()->get(execution.result.trace_ref);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Failure);
  EXPECT_EQ(record->public_entry.error_message, execution.result.error->message());
}

TEST(RuntimeSubmit, AWorkflowBackedCapabilityRunsOnThePoolAndRecordsItsRun) {
  auto runtime = build_runtime(nullptr);
  ASSERT_NE(runtime, nullptr);
  const RuntimeExecution execution = wait_bounded(runtime->submit(
      request_for("wf-async", "demo.runtime.sum-pair-composite", Value{{"a", 4}, {"b", 5}})));
  ASSERT_TRUE(execution.result.completed()) << execution.result.error->message();
  ASSERT_TRUE(execution.workflow_run.has_value());
  auto entry = runtime->trace_store()->get(execution.result.trace_ref);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->public_entry.placement_target, "workflow");
  EXPECT_EQ(entry->public_entry.workflow_run_id, execution.workflow_run->run_id);
  auto steps = runtime->trace_store()->list_run(execution.workflow_run->run_id);
  ASSERT_TRUE(steps.has_value());
  EXPECT_EQ(steps->size(), 2u);  // the step and the run
}

TEST(RuntimeSubmit, ManySubmissionsFromOneThreadAllConcludeWithTheirOwnRecord) {
  auto runtime = build_runtime(nullptr);
  ASSERT_NE(runtime, nullptr);
  constexpr int kSubmissions = 500;
  std::vector<Completion<RuntimeExecution>> pending;
  pending.reserve(kSubmissions);
  for (int i = 0; i < kSubmissions; ++i) {
    pending.push_back(runtime->submit(request_for(
        "many-" + std::to_string(i), "demo.runtime.add-numbers", Value{{"a", i}, {"b", 1}})));
  }
  for (int i = 0; i < kSubmissions; ++i) {
    const RuntimeExecution execution =
        wait_bounded(std::move(pending[static_cast<std::size_t>(i)]));
    ASSERT_TRUE(execution.result.completed());
    EXPECT_EQ(execution.result.output, (Value{{"sum", i + 1}}));
  }
  TraceQuery all;
  all.limit = kSubmissions + 1;
  EXPECT_EQ(runtime->trace_store()->count(all).value_or(0), std::size_t{kSubmissions});
}

TEST(RuntimeSubmit, DestructionWaitsForSubmittedExecutions) {
  Gate gate;
  auto runtime = build_runtime(&gate);
  ASSERT_NE(runtime, nullptr);
  Completion<RuntimeExecution> pending =
      runtime->submit(request_for("slow", "demo.runtime.greet-person", Value{{"name", "Ada"}}));
  gate.entered.wait();
  std::future<void> destroyed = std::async(std::launch::async, [&runtime] { runtime.reset(); });
  // The destructor must not finish while the submitted execution still runs (bounded wait).
  EXPECT_EQ(destroyed.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  gate.release.set_value();
  const RuntimeExecution execution = wait_bounded(std::move(pending));
  ASSERT_EQ(destroyed.wait_for(kBound), std::future_status::ready);
  EXPECT_TRUE(execution.result.completed());
}

TEST(RuntimeSubmit, AContinuationMayDestroyTheRuntime) {
  auto runtime = build_runtime(nullptr);
  ASSERT_NE(runtime, nullptr);
  std::shared_ptr<TraverseRuntime> shared(std::move(runtime));
  std::promise<bool> concluded;
  std::weak_ptr<TraverseRuntime> observed = shared;
  shared->submit(request_for("last", "demo.runtime.add-numbers", Value{{"a", 1}, {"b", 1}}))
      .then([&concluded, keep = shared](RuntimeExecution execution) mutable {
        keep.reset();  // may be the last reference: the runtime is destroyed here
        concluded.set_value(execution.result.completed());
      });
  shared.reset();
  auto done = concluded.get_future();
  ASSERT_EQ(done.wait_for(kBound), std::future_status::ready);
  EXPECT_TRUE(done.get());
}

}  // namespace
}  // namespace traverse
