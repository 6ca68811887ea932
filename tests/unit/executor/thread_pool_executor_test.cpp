// Governing spec: 047-thread-pool-executor
#include "traverse/executor/thread_pool_executor.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "traverse/executor/native_executor.hpp"

namespace traverse {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Result = std::expected<ExecutorOutput, ExecutorError>;

// ---- helpers
// -------------------------------------------------------------------------------------

ExecutorCapability native_capability(std::string id = "test.echo") {
  ExecutorCapability capability;
  capability.capability_id = std::move(id);
  capability.capability_version = "1.0.0";
  return capability;
}

// The reference's test helper: echoes its input, except that the magic key makes it fail.
constexpr const char* kCloneErrorKey = "__clone_input_error__";
std::expected<Value, std::string> clone_input(const Value& input) {
  if (input.is_object() && input.contains(kCloneErrorKey)) {
    return std::unexpected(std::string("inner failed"));
  }
  return input;
}

std::unique_ptr<ThreadPoolExecutor> make_pool(std::size_t capacity, NativeHandler handler,
                                              ThreadPoolExecutorConfig config = {}) {
  config.capacity = capacity;
  auto pool = ThreadPoolExecutor::create(std::move(config),
                                         std::make_unique<NativeExecutor>(std::move(handler)));
  EXPECT_TRUE(pool.has_value()) << pool.error().message();
  return pool ? std::move(*pool) : nullptr;
}

std::unique_ptr<ThreadPoolExecutor> make_echo_pool(std::size_t capacity,
                                                   ThreadPoolExecutorConfig config = {}) {
  return make_pool(capacity, NativeHandler(&clone_input), std::move(config));
}

Result call(const CapabilityExecutor& executor, const Value& input,
            const ExecutorCapability& capability) {
  ExecutionContext context(capability, "exec", "trace");
  return executor.execute(capability, input, context);
}

Result call(const CapabilityExecutor& executor, const Value& input) {
  static const ExecutorCapability capability = native_capability();
  return call(executor, input, capability);
}

// Bounded wait for a condition another thread makes true (polls; never sleeps for a guess).
template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::seconds limit = 20s) {
  const auto until = Clock::now() + limit;
  while (!predicate()) {
    if (Clock::now() > until) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

// Bounded wait on a latch from inside a handler: a broken pool fails the test instead of hanging.
bool wait_bounded(std::latch& latch, std::chrono::seconds limit = 20s) {
  return eventually([&] { return latch.try_wait(); }, limit);
}

std::string current_thread_name() {
  char name[32] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

// Threads of this process (/proc/self/task). ThreadSanitizer starts a background thread of its
// own on the first thread creation; one throwaway thread first makes sure it already exists, so
// counts taken before and after a pool's life compare only the pool's threads.
std::size_t thread_count() {
  static const bool runtime_threads_started = [] {
    std::thread([] {}).join();
    return true;
  }();
  (void)runtime_threads_started;
  std::size_t count = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* entry = readdir(dir)) {
      count += entry->d_name[0] != '.' ? 1 : 0;
    }
    closedir(dir);
  }
  return count;
}

// A handler that blocks while `hold` is set in its input, until `release` opens.
struct Gate {
  std::latch release{1};
  std::atomic<int> held{0};
  std::atomic<int> runs{0};

  NativeHandler handler() {
    return [this](const Value& input) -> std::expected<Value, std::string> {
      ++runs;
      if (input.value("hold", false)) {
        ++held;
        if (!wait_bounded(release)) {
          return std::unexpected(std::string("gate never opened"));
        }
      }
      return input;
    };
  }
};

// ---- the reference's twenty (docs/native-capabilities.md)
// ---------------------------------------------------

TEST(ThreadPoolExecutor, clone_input_helper_can_return_error) {
  EXPECT_EQ(clone_input(Value{{"a", 1}}), (Value{{"a", 1}}));
  EXPECT_EQ(clone_input(Value{{kCloneErrorKey, true}}),
            std::unexpected(std::string("inner failed")));
}

TEST(ThreadPoolExecutor, config_capacity_zero_returns_error) {
  ThreadPoolExecutorConfig config;
  config.capacity = 0;
  auto pool = ThreadPoolExecutor::create(config, std::make_unique<NativeExecutor>(&clone_input));
  ASSERT_FALSE(pool.has_value());
  EXPECT_EQ(pool.error(), ConfigError::invalid_capacity(0));
  EXPECT_EQ(pool.error().kind(), ConfigErrorClass::InvalidCapacity);
  EXPECT_EQ(pool.error().given(), 0U);
  EXPECT_EQ(pool.error().min(), 1U);
  EXPECT_EQ(pool.error().max(), 256U);
}

TEST(ThreadPoolExecutor, config_capacity_max_valid) {
  auto pool = make_echo_pool(256);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->capacity(), 256U);
  EXPECT_EQ(pool->stats().workers, 256U);
  EXPECT_EQ(call(*pool, Value("x"))->value, Value("x"));
}

TEST(ThreadPoolExecutor, config_capacity_over_max_returns_error) {
  ThreadPoolExecutorConfig config;
  config.capacity = 257;
  auto pool = ThreadPoolExecutor::create(config, std::make_unique<NativeExecutor>(&clone_input));
  ASSERT_FALSE(pool.has_value());
  EXPECT_EQ(pool.error().kind(), ConfigErrorClass::InvalidCapacity);
  EXPECT_EQ(pool.error().given(), 257U);
  EXPECT_EQ(pool.error().min(), 1U);
  EXPECT_EQ(pool.error().max(), 256U);
}

TEST(ThreadPoolExecutor, config_capacity_one_valid) {
  auto pool = make_echo_pool(1);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->stats().workers, 1U);
  EXPECT_EQ(call(*pool, Value(1))->value, Value(1));
}

TEST(ThreadPoolExecutor, config_error_display_and_from_cover_failure_shapes) {
  EXPECT_EQ(ConfigError::invalid_capacity(0).message(),
            "invalid thread pool capacity 0; expected 1..=256");
  EXPECT_EQ(ConfigError::invalid_capacity(257).message(),
            "invalid thread pool capacity 257; expected 1..=256");
  EXPECT_EQ(ConfigError::pool_build_failed("spawn denied").message(),
            "thread pool build failed: spawn denied");
  EXPECT_EQ(ConfigError::invalid_capacity(3).class_name(), "InvalidCapacity");
  EXPECT_EQ(ConfigError::pool_build_failed("x").class_name(), "PoolBuildFailed");

  // A spawn failure reported by a worker becomes PoolBuildFailed with its text.
  ThreadPoolExecutorConfig config;
  config.capacity = 2;
  config.on_worker_start = [](std::size_t) -> std::expected<void, std::string> {
    return std::unexpected(std::string("spawn denied"));
  };
  auto pool = ThreadPoolExecutor::create(config, std::make_unique<NativeExecutor>(&clone_input));
  ASSERT_FALSE(pool.has_value());
  EXPECT_EQ(pool.error(), ConfigError::pool_build_failed("spawn denied"));
  EXPECT_EQ(pool.error().message(), "thread pool build failed: spawn denied");
}

TEST(ThreadPoolExecutor, execute_native_returns_correct_output) {
  auto pool = make_echo_pool(2);
  ASSERT_NE(pool, nullptr);
  const Value input = {{"name", "traverse"}, {"values", {1, 2.5, "three"}}};
  auto output = call(*pool, input);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, input);
  EXPECT_TRUE(output->emitted_events.empty());
}

TEST(ThreadPoolExecutor, execute_native_error_propagates) {
  auto pool = make_echo_pool(2);
  ASSERT_NE(pool, nullptr);
  auto output = call(*pool, Value{{kCloneErrorKey, true}});
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error(), ExecutorError::execution_failed("inner failed"));
}

TEST(ThreadPoolExecutor, execute_wasm_artifact_type_returns_unsupported) {
  std::atomic<int> inner_calls{0};
  auto pool = make_pool(2, [&](const Value& input) {
    ++inner_calls;
    return input;
  });
  ASSERT_NE(pool, nullptr);
  auto capability = native_capability();
  capability.artifact_type = ArtifactType::Wasm;
  auto output = call(*pool, Value::object(), capability);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error(), ExecutorError::unsupported_artifact_type());
  EXPECT_EQ(inner_calls.load(), 0);
  EXPECT_EQ(pool->stats().rejected, 1U);
  EXPECT_EQ(pool->stats().queued, 0U);
}

TEST(ThreadPoolExecutor, concurrent_calls_run_in_parallel) {
  // Each call waits inside its handler until both calls are inside theirs: this can only
  // complete if the two calls run at the same time on the capacity-2 pool.
  std::latch both_inside(2);
  std::atomic<int> active{0};
  std::atomic<int> max_active{0};
  auto pool = make_pool(2, [&](const Value& input) -> std::expected<Value, std::string> {
    const int now_active = ++active;
    int seen = max_active.load();
    while (seen < now_active && !max_active.compare_exchange_weak(seen, now_active)) {
    }
    both_inside.count_down();
    const bool overlapped = wait_bounded(both_inside);
    --active;
    if (!overlapped) {
      return std::unexpected(std::string("calls did not overlap"));
    }
    return input;
  });
  ASSERT_NE(pool, nullptr);
  Result first, second;
  {
    std::jthread a([&] { first = call(*pool, Value(1)); });
    std::jthread b([&] { second = call(*pool, Value(2)); });
  }
  ASSERT_TRUE(first.has_value()) << first.error().message();
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_EQ(first->value, Value(1));
  EXPECT_EQ(second->value, Value(2));
  EXPECT_GE(max_active.load(), 2);
}

TEST(ThreadPoolExecutor, pool_size_one_serialises_calls) {
  std::atomic<int> active{0};
  std::atomic<int> max_active{0};
  std::latch start(2);
  auto pool = make_pool(1, [&](const Value& input) {
    const int now_active = ++active;
    int seen = max_active.load();
    while (seen < now_active && !max_active.compare_exchange_weak(seen, now_active)) {
    }
    // Give a second worker (if there wrongly were one) time to enter.
    const auto until = Clock::now() + 2ms;
    while (Clock::now() < until) {
    }
    --active;
    return input;
  });
  ASSERT_NE(pool, nullptr);
  Result first, second;
  {
    std::jthread a([&] {
      start.arrive_and_wait();
      first = call(*pool, Value("a"));
    });
    std::jthread b([&] {
      start.arrive_and_wait();
      second = call(*pool, Value("b"));
    });
  }
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->value, Value("a"));
  EXPECT_EQ(second->value, Value("b"));
  EXPECT_EQ(max_active.load(), 1);
}

TEST(ThreadPoolExecutor, independent_calls_do_not_share_state) {
  auto pool = make_echo_pool(4);
  ASSERT_NE(pool, nullptr);
  constexpr int kThreads = 10;
  std::vector<Result> results(kThreads);
  std::latch start(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[static_cast<std::size_t>(i)] = call(*pool, Value{{"caller", i}});
      });
    }
  }
  for (int i = 0; i < kThreads; ++i) {
    const auto& result = results[static_cast<std::size_t>(i)];
    ASSERT_TRUE(result.has_value()) << result.error().message();
    EXPECT_EQ(result->value, (Value{{"caller", i}}));
  }
}

TEST(ThreadPoolExecutor, panicking_handler_returns_execution_failed) {
  auto pool = make_pool(2, [](const Value&) -> std::expected<Value, std::string> {
    throw std::runtime_error("boom");
  });
  ASSERT_NE(pool, nullptr);
  auto output = call(*pool, Value::object());
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ExecutionFailed);
  EXPECT_EQ(output.error().detail(), "capability panicked: boom");
  EXPECT_EQ(output.error().message(), "execution failed: capability panicked: boom");
  EXPECT_EQ(pool->stats().panicked, 1U);
}

TEST(ThreadPoolExecutor, pool_usable_after_panic) {
  auto pool = make_pool(1, [](const Value& input) -> std::expected<Value, std::string> {
    if (input.value("panic", false)) {
      throw std::logic_error("deliberate");
    }
    return input;
  });
  ASSERT_NE(pool, nullptr);
  EXPECT_FALSE(call(*pool, Value{{"panic", true}}).has_value());
  auto output = call(*pool, Value{{"panic", false}});
  ASSERT_TRUE(output.has_value());
  EXPECT_EQ(output->value, (Value{{"panic", false}}));
}

TEST(ThreadPoolExecutor, multiple_sequential_panics_do_not_exhaust_pool) {
  auto pool = make_pool(2, [](const Value& input) -> std::expected<Value, std::string> {
    if (input.value("panic", false)) {
      throw std::runtime_error("again");
    }
    return input;
  });
  ASSERT_NE(pool, nullptr);
  for (int i = 0; i < 5; ++i) {
    auto output = call(*pool, Value{{"panic", true}});
    ASSERT_FALSE(output.has_value());
    EXPECT_EQ(output.error().detail(), "capability panicked: again");
  }
  EXPECT_TRUE(call(*pool, Value{{"panic", false}}).has_value());
  EXPECT_EQ(pool->stats().panicked, 5U);
  EXPECT_EQ(pool->stats().completed, 1U);
}

TEST(ThreadPoolExecutor, executor_is_send_sync) {
  // Rust's Send + Sync, spelled as the C++ properties callers rely on.
  static_assert(std::is_base_of_v<CapabilityExecutor, ThreadPoolExecutor>,
                "usable wherever a CapabilityExecutor is");
  static_assert(std::has_virtual_destructor_v<CapabilityExecutor>,
                "owned through a base pointer safely");
  static_assert(std::is_nothrow_destructible_v<ThreadPoolExecutor>);
  static_assert(!std::is_copy_constructible_v<ThreadPoolExecutor> &&
                    !std::is_move_constructible_v<ThreadPoolExecutor> &&
                    !std::is_copy_assignable_v<ThreadPoolExecutor>,
                "workers hold its address: pinned, shared by pointer");
  static_assert(
      requires(const ThreadPoolExecutor& pool, const ExecutorCapability& capability,
               const Value& input, ExecutionContext& context) {
        { pool.execute(capability, input, context) } -> std::same_as<Result>;
        { pool.stats() } -> std::same_as<ThreadPoolStats>;
      },
      "calls go through a const reference, so one pool is shared across threads");
  static_assert(std::is_convertible_v<std::unique_ptr<ThreadPoolExecutor>,
                                      std::shared_ptr<const CapabilityExecutor>>);
  SUCCEED();
}

TEST(ThreadPoolExecutor, arc_wrapped_executor_callable_from_multiple_threads) {
  std::shared_ptr<const CapabilityExecutor> shared = make_echo_pool(2);
  ASSERT_NE(shared, nullptr);
  constexpr int kThreads = 4;
  constexpr int kCalls = 50;
  std::atomic<int> correct{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([shared, t, &correct] {
        for (int i = 0; i < kCalls; ++i) {
          const Value input = {{"thread", t}, {"call", i}};
          auto output = call(*shared, input);
          if (output && output->value == input) {
            ++correct;
          }
        }
      });
    }
  }
  EXPECT_EQ(correct.load(), kThreads * kCalls);
}

TEST(ThreadPoolExecutor, executor_drops_cleanly_after_use) {
  const std::size_t threads_before = thread_count();
  auto pool = make_echo_pool(4);
  ASSERT_NE(pool, nullptr);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(call(*pool, Value(i)).has_value());
  }
  EXPECT_EQ(thread_count(), threads_before + 4);
  pool.reset();  // must not hang (ctest's timeout is the backstop)
  EXPECT_EQ(thread_count(), threads_before);
}

TEST(ThreadPoolExecutor, executor_drops_cleanly_with_no_calls) {
  const std::size_t threads_before = thread_count();
  auto pool = make_echo_pool(8);
  ASSERT_NE(pool, nullptr);
  const auto start = Clock::now();
  pool.reset();
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_EQ(thread_count(), threads_before);
}

// ---- beyond the reference
// ------------------------------------------------------------------------

TEST(ThreadPoolExecutor, CallRunsOnANamedPoolWorkerWhileTheCallerBlocks) {
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  std::string ran_on_name;
  auto pool = make_pool(1, [&](const Value& input) {
    ran_on = std::this_thread::get_id();  // read by the caller after execute returns
    ran_on_name = current_thread_name();
    return input;
  });
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(call(*pool, Value(1)).has_value());
  EXPECT_NE(ran_on, caller);
  EXPECT_EQ(ran_on_name, "traverse-pool-0");
}

TEST(ThreadPoolExecutor, WorkerThreadsAreNamedTraversePoolN) {
  std::mutex mutex;
  std::set<std::string> names;
  ThreadPoolExecutorConfig config;
  config.on_worker_start = [&](std::size_t) -> std::expected<void, std::string> {
    std::lock_guard lock(mutex);
    names.insert(current_thread_name());
    return {};
  };
  auto pool = make_echo_pool(12, config);
  ASSERT_NE(pool, nullptr);
  std::set<std::string> expected;
  for (int i = 0; i < 10; ++i) {
    expected.insert("traverse-pool-" + std::to_string(i));
  }
  // Linux thread names hold 15 characters: from 10 on, the digits displace the hyphen.
  expected.insert("traverse-pool10");
  expected.insert("traverse-pool11");
  std::lock_guard lock(mutex);
  EXPECT_EQ(names, expected);
}

TEST(ThreadPoolExecutor, ThreeDigitWorkerNamesStayWithinTheKernelLimit) {
  std::mutex mutex;
  std::set<std::string> names;
  ThreadPoolExecutorConfig config;
  config.on_worker_start = [&](std::size_t index) -> std::expected<void, std::string> {
    if (index >= 100) {
      std::lock_guard lock(mutex);
      names.insert(current_thread_name());
    }
    return {};
  };
  auto pool = make_echo_pool(102, config);
  ASSERT_NE(pool, nullptr);
  std::lock_guard lock(mutex);
  EXPECT_EQ(names, (std::set<std::string>{"traverse-poo100", "traverse-poo101"}));
}

TEST(ThreadPoolExecutor, InnerResultComesBackUnchanged) {
  // An inner executor that returns events and a non-ExecutionFailed error class.
  class Scripted final : public CapabilityExecutor {
   public:
    // A synchronous double: the completion is fulfilled on the caller.
    ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                              ExecutionContext& context) const override {
      return ExecutorCompletion::fulfilled(execute(capability, input, context));
    }

   public:
    Result execute(const ExecutorCapability&, const Value& input,
                   ExecutionContext&) const override {
      if (input == Value("fail")) {
        return std::unexpected(ExecutorError::resource_exhausted("memory limit 64 KiB"));
      }
      TraverseEvent event;
      event.id = "event-1";
      event.event_type = "test.event";
      event.version = "1.0.0";
      return ExecutorOutput{Value{{"ok", true}}, {event}};
    }
  };
  auto pool = ThreadPoolExecutor::create({}, std::make_unique<Scripted>());
  ASSERT_TRUE(pool.has_value());
  auto success = call(**pool, Value("go"));
  ASSERT_TRUE(success.has_value());
  EXPECT_EQ(success->value, (Value{{"ok", true}}));
  ASSERT_EQ(success->emitted_events.size(), 1U);
  EXPECT_EQ(success->emitted_events[0].id, "event-1");
  auto failure = call(**pool, Value("fail"));
  ASSERT_FALSE(failure.has_value());
  EXPECT_EQ(failure.error(), ExecutorError::resource_exhausted("memory limit 64 KiB"));
  EXPECT_EQ((*pool)->stats().failed, 1U);
  EXPECT_EQ((*pool)->stats().completed, 1U);
}

TEST(ThreadPoolExecutor, EventsEmittedOnTheWorkerReachTheCallersContext) {
  auto capability = native_capability("test.emitter");
  capability.service_type = ServiceType::Subscribable;
  capability.emits = {{"test.happened", "1.0.0"}};
  auto pool = make_pool(
      2, [](const Value& input, ExecutionContext& context) -> std::expected<Value, std::string> {
        if (!context.emit("test.happened", "1.0.0", input)) {
          return std::unexpected(std::string("refused"));
        }
        return input;
      });
  ASSERT_NE(pool, nullptr);
  ExecutionContext context(capability, "exec", "trace");
  auto output = pool->execute(capability, Value{{"n", 1}}, context);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  ASSERT_EQ(output->emitted_events.size(), 1U);
  EXPECT_EQ(output->emitted_events, context.emitted_events());
  EXPECT_EQ(context.emitted_events()[0].data, (Value{{"n", 1}}));
}

TEST(ThreadPoolExecutor, NonStandardExceptionBecomesUnknownExceptionPanic) {
  auto pool = make_pool(1, [](const Value& input) -> std::expected<Value, std::string> {
    if (input == Value("throw")) {
      throw 42;
    }
    return input;
  });
  ASSERT_NE(pool, nullptr);
  auto output = call(*pool, Value("throw"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error(),
            ExecutorError::execution_failed("capability panicked: unknown exception"));
  EXPECT_TRUE(call(*pool, Value("fine")).has_value());
}

TEST(ThreadPoolExecutor, NestedCallOnACapacityOnePoolIsRunByTheWaitingWorker) {
  // Capacity 1: a nested call waits in the queue for the only worker, which is the one waiting
  // for it. The waiting worker runs queued work meanwhile (corun), so it runs the nested call.
  std::atomic<const ThreadPoolExecutor*> self{nullptr};
  std::vector<std::thread::id> threads;  // written only on the single worker
  auto pool = make_pool(
      1, [&](const Value& input, ExecutionContext& context) -> std::expected<Value, std::string> {
        threads.push_back(std::this_thread::get_id());
        const int depth = input.get<int>();
        if (depth == 0) {
          return Value(0);
        }
        auto nested = self.load()->execute(context.capability(), Value(depth - 1), context);
        if (!nested) {
          return std::unexpected(nested.error().message());
        }
        return Value(nested->value.get<int>() + 1);
      });
  ASSERT_NE(pool, nullptr);
  self = pool.get();
  auto output = call(*pool, Value(3));
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, Value(3));
  ASSERT_EQ(threads.size(), 4U);
  EXPECT_EQ(std::set<std::thread::id>(threads.begin(), threads.end()).size(), 1U);
  EXPECT_EQ(pool->stats().completed, 4U);
}

TEST(ThreadPoolExecutor, TellsWhetherTheCallingThreadIsAWorker) {
  std::atomic<const ThreadPoolExecutor*> self{nullptr};
  auto other = make_echo_pool(1);
  ASSERT_NE(other, nullptr);
  auto pool = make_pool(1, [&](const Value&) {
    return Value{{"own", self.load()->on_worker_thread()},
                 {"other", other->on_worker_thread()},
                 {"any", ThreadPoolExecutor::on_any_worker_thread()}};
  });
  ASSERT_NE(pool, nullptr);
  self = pool.get();
  EXPECT_FALSE(pool->on_worker_thread());
  EXPECT_FALSE(ThreadPoolExecutor::on_any_worker_thread());
  auto output = call(*pool, Value::object());
  ASSERT_TRUE(output.has_value());
  EXPECT_EQ(output->value, (Value{{"own", true}, {"other", false}, {"any", true}}));
}

TEST(ThreadPoolExecutor, CallFromAnotherPoolsWorkerIsQueuedNormally) {
  auto inner_pool = make_pool(1, [](const Value&) { return Value(current_thread_name()); });
  ASSERT_NE(inner_pool, nullptr);
  auto outer_pool = make_pool(
      1, [&](const Value& input, ExecutionContext& context) -> std::expected<Value, std::string> {
        auto nested = inner_pool->execute(context.capability(), input, context);
        if (!nested) {
          return std::unexpected(nested.error().message());
        }
        return Value{{"outer", current_thread_name()}, {"inner", nested->value}};
      });
  ASSERT_NE(outer_pool, nullptr);
  auto output = call(*outer_pool, Value::object());
  ASSERT_TRUE(output.has_value());
  EXPECT_EQ(inner_pool->stats().completed, 1U);  // it ran on the inner pool's worker
  EXPECT_EQ(outer_pool->stats().completed, 1U);
}

TEST(ThreadPoolExecutor, MaxQueuedRejectsWithOverloadedAndNothingRuns) {
  Gate gate;
  ThreadPoolExecutorConfig config;
  config.max_queued = 1;
  auto pool = make_pool(1, gate.handler(), config);
  ASSERT_NE(pool, nullptr);
  Result running, queued;
  std::jthread a([&] { running = call(*pool, Value{{"hold", true}}); });
  ASSERT_TRUE(eventually([&] { return gate.held.load() == 1; }));
  std::jthread b([&] { queued = call(*pool, Value{{"second", true}}); });
  ASSERT_TRUE(eventually([&] { return pool->stats().queued == 1; }));

  auto refused = call(*pool, Value{{"third", true}});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind(), ExecutorErrorClass::Overloaded);
  EXPECT_EQ(refused.error().message(),
            "executor overloaded: thread pool queue is full: 2 calls in flight (capacity 1 + "
            "max_queued 1)");
  EXPECT_EQ(gate.runs.load(), 1);  // only the held call has run
  EXPECT_EQ(pool->stats().rejected, 1U);

  gate.release.count_down();
  a.join();
  b.join();
  ASSERT_TRUE(running.has_value());
  ASSERT_TRUE(queued.has_value());
  EXPECT_EQ(gate.runs.load(), 2);
  // Room again once the backlog is gone.
  EXPECT_TRUE(call(*pool, Value{{"fourth", true}}).has_value());
}

TEST(ThreadPoolExecutor, MaxQueuedZeroRejectsWhileEveryWorkerIsBusy) {
  Gate gate;
  ThreadPoolExecutorConfig config;
  config.max_queued = 0;
  auto pool = make_pool(1, gate.handler(), config);
  ASSERT_NE(pool, nullptr);
  EXPECT_TRUE(call(*pool, Value{{"idle", true}}).has_value());  // a free worker: accepted
  Result running;
  std::jthread a([&] { running = call(*pool, Value{{"hold", true}}); });
  ASSERT_TRUE(eventually([&] { return gate.held.load() == 1; }));
  auto refused = call(*pool, Value{{"busy", true}});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind(), ExecutorErrorClass::Overloaded);
  gate.release.count_down();
  a.join();
  EXPECT_TRUE(running.has_value());
  EXPECT_EQ(gate.runs.load(), 2);
}

TEST(ThreadPoolExecutor, ExpiredQueueDeadlineTimesOutAndTheCallNeverRuns) {
  Gate gate;
  ThreadPoolExecutorConfig config;
  config.queue_deadline = 30ms;
  auto pool = make_pool(1, gate.handler(), config);
  ASSERT_NE(pool, nullptr);
  Result running;
  // The call holding the worker gets a generous per-call deadline, so that a slow machine
  // (sanitizers, load) cannot make it time out before it starts.
  std::jthread a([&] {
    const auto capability = native_capability();
    ExecutionContext context(capability, "e", "t");
    running = pool->execute_until(capability, Value{{"hold", true}}, context, Clock::now() + 60s);
  });
  ASSERT_TRUE(eventually([&] { return gate.held.load() == 1; }));

  const auto start = Clock::now();
  auto late = call(*pool, Value{{"late", true}});
  const auto waited = Clock::now() - start;
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().kind(), ExecutorErrorClass::Timeout);
  EXPECT_NE(late.error().message().find("execution timed out: capability 'test.echo' waited"),
            std::string::npos)
      << late.error().message();
  EXPECT_NE(late.error().message().find("it did not run"), std::string::npos);
  EXPECT_GE(waited, 30ms);
  EXPECT_EQ(pool->stats().timed_out, 1U);
  EXPECT_EQ(pool->stats().queued, 0U);  // taken back out of the queue

  gate.release.count_down();
  a.join();
  ASSERT_TRUE(running.has_value());  // the running call was never interrupted
  EXPECT_EQ(gate.runs.load(), 1);    // the late call never ran
  EXPECT_TRUE(call(*pool, Value{{"after", true}}).has_value());
  EXPECT_EQ(gate.runs.load(), 2);
}

TEST(ThreadPoolExecutor, QueueDeadlineNeverInterruptsAStartedCall) {
  Gate gate;
  auto pool = make_pool(1, gate.handler());
  ASSERT_NE(pool, nullptr);
  Result running;
  // Long enough to start even on a slow machine, short enough to pass while the call runs.
  const auto deadline = Clock::now() + 1s;
  std::jthread a([&] {
    const auto capability = native_capability();
    ExecutionContext context(capability, "e", "t");
    running = pool->execute_until(capability, Value{{"hold", true}}, context, deadline);
  });
  ASSERT_TRUE(eventually([&] { return gate.held.load() == 1; }));
  while (Clock::now() < deadline + 20ms) {  // let the deadline pass while the call runs
    std::this_thread::yield();
  }
  gate.release.count_down();
  a.join();
  ASSERT_TRUE(running.has_value()) << running.error().message();
  EXPECT_EQ(pool->stats().timed_out, 0U);
}

TEST(ThreadPoolExecutor, ExecuteUntilAppliesAPerCallDeadline) {
  std::atomic<int> runs{0};
  auto pool = make_pool(1, [&](const Value& input) {
    ++runs;
    return input;
  });
  ASSERT_NE(pool, nullptr);
  const auto capability = native_capability();
  ExecutionContext context(capability, "e", "t");
  // Already expired: whichever side notices first, the call never runs.
  auto expired = pool->execute_until(capability, Value(1), context, Clock::now() - 1ms);
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().kind(), ExecutorErrorClass::Timeout);
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(pool->stats().timed_out, 1U);
  // Far away: runs normally.
  auto on_time = pool->execute_until(capability, Value(2), context, Clock::now() + 60s);
  ASSERT_TRUE(on_time.has_value());
  EXPECT_EQ(on_time->value, Value(2));
  EXPECT_EQ(runs.load(), 1);
}

TEST(ThreadPoolExecutor, ExecuteUntilDeadlineOnABusyPoolTimesOut) {
  Gate gate;
  auto pool = make_pool(1, gate.handler());
  ASSERT_NE(pool, nullptr);
  Result running;
  std::jthread a([&] { running = call(*pool, Value{{"hold", true}}); });
  ASSERT_TRUE(eventually([&] { return gate.held.load() == 1; }));
  const auto capability = native_capability();
  ExecutionContext context(capability, "e", "t");
  auto late = pool->execute_until(capability, Value{{"late", true}}, context, Clock::now() + 20ms);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().kind(), ExecutorErrorClass::Timeout);
  gate.release.count_down();
  a.join();
  EXPECT_TRUE(running.has_value());
  EXPECT_EQ(gate.runs.load(), 1);
}

TEST(ThreadPoolExecutor, HugeBoundsSaturateInsteadOfOverflowing) {
  ThreadPoolExecutorConfig config;
  config.queue_deadline = std::chrono::nanoseconds::max();
  config.max_queued = std::numeric_limits<std::size_t>::max();
  auto pool = make_echo_pool(2, config);
  ASSERT_NE(pool, nullptr);
  auto output = call(*pool, Value("fine"));
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, Value("fine"));
}

TEST(ThreadPoolExecutor, StatsCountEveryOutcome) {
  auto pool = make_pool(2, [](const Value& input) -> std::expected<Value, std::string> {
    if (input == Value("panic")) {
      throw std::runtime_error("p");
    }
    return clone_input(input);
  });
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->stats(), (ThreadPoolStats{.workers = 2}));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(call(*pool, Value(i)).has_value());
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_FALSE(call(*pool, Value{{kCloneErrorKey, i}}).has_value());
  }
  ASSERT_FALSE(call(*pool, Value("panic")).has_value());
  auto wasm = native_capability();
  wasm.artifact_type = ArtifactType::Wasm;
  ASSERT_FALSE(call(*pool, Value(0), wasm).has_value());
  EXPECT_EQ(pool->stats(), (ThreadPoolStats{.workers = 2,
                                            .busy = 0,
                                            .queued = 0,
                                            .completed = 3,
                                            .failed = 2,
                                            .panicked = 1,
                                            .rejected = 1,
                                            .timed_out = 0}));
}

TEST(ThreadPoolExecutor, WaitingCallsRunInArrivalOrder) {
  Gate gate;
  std::mutex mutex;
  std::vector<int> order;
  auto pool = make_pool(1, [&](const Value& input) -> std::expected<Value, std::string> {
    if (input.contains("hold")) {
      ++gate.held;
      return wait_bounded(gate.release) ? std::expected<Value, std::string>(input)
                                        : std::unexpected(std::string("gate never opened"));
    }
    std::lock_guard lock(mutex);
    order.push_back(input.get<int>());
    return input;
  });
  ASSERT_NE(pool, nullptr);
  std::vector<std::jthread> callers;
  callers.emplace_back([&] { (void)call(*pool, Value{{"hold", true}}); });
  ASSERT_TRUE(eventually([&] { return gate.held.load() == 1; }));
  for (int i = 0; i < 5; ++i) {  // each one queued before the next is made
    callers.emplace_back([&, i] { (void)call(*pool, Value(i)); });
    ASSERT_TRUE(
        eventually([&] { return pool->stats().queued == static_cast<std::uint64_t>(i + 1); }));
  }
  gate.release.count_down();
  callers.clear();
  std::lock_guard lock(mutex);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(ThreadPoolExecutor, StatsShowBusyWorkersAndQueuedCalls) {
  Gate gate;
  auto pool = make_pool(1, gate.handler());
  ASSERT_NE(pool, nullptr);
  Result first, second;
  std::jthread a([&] { first = call(*pool, Value{{"hold", true}}); });
  ASSERT_TRUE(eventually([&] { return gate.held.load() == 1; }));
  EXPECT_EQ(pool->stats().busy, 1U);
  std::jthread b([&] { second = call(*pool, Value{{"next", true}}); });
  ASSERT_TRUE(eventually([&] { return pool->stats().queued == 1; }));
  EXPECT_EQ(pool->stats().busy, 1U);
  gate.release.count_down();
  a.join();
  b.join();
  EXPECT_TRUE(first.has_value());
  EXPECT_TRUE(second.has_value());
  const auto stats = pool->stats();
  EXPECT_EQ(stats.busy, 0U);
  EXPECT_EQ(stats.queued, 0U);
  EXPECT_EQ(stats.completed, 2U);
}

TEST(ThreadPoolExecutor, DestructionCompletesQueuedAndRunningCalls) {
  Gate gate;
  auto pool = make_pool(1, gate.handler());
  ASSERT_NE(pool, nullptr);
  ThreadPoolExecutor* raw = pool.get();
  Result running, queued1, queued2;
  std::jthread a([&] { running = call(*raw, Value{{"hold", true}}); });
  ASSERT_TRUE(eventually([&] { return gate.held.load() == 1; }));
  std::jthread b([&] { queued1 = call(*raw, Value{{"q", 1}}); });
  std::jthread c([&] { queued2 = call(*raw, Value{{"q", 2}}); });
  ASSERT_TRUE(eventually([&] { return raw->stats().queued == 2; }));

  std::jthread destroyer([&] { pool.reset(); });  // blocks until the calls above completed
  gate.release.count_down();
  destroyer.join();
  a.join();
  b.join();
  c.join();
  ASSERT_TRUE(running.has_value());
  ASSERT_TRUE(queued1.has_value());
  ASSERT_TRUE(queued2.has_value());
  EXPECT_EQ(queued1->value, (Value{{"q", 1}}));
  EXPECT_EQ(queued2->value, (Value{{"q", 2}}));
  EXPECT_EQ(gate.runs.load(), 3);
}

TEST(ThreadPoolExecutor, WorkerStartHookRunsOncePerWorkerBeforeAnyCall) {
  std::atomic<int> started{0};
  std::mutex mutex;
  std::set<std::size_t> indexes;
  ThreadPoolExecutorConfig config;
  config.on_worker_start = [&](std::size_t index) -> std::expected<void, std::string> {
    ++started;
    std::lock_guard lock(mutex);
    indexes.insert(index);
    return {};
  };
  auto pool = make_echo_pool(3, config);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(started.load(), 3);  // create() waited for all of them
  std::lock_guard lock(mutex);
  EXPECT_EQ(indexes, (std::set<std::size_t>{0, 1, 2}));
}

TEST(ThreadPoolExecutor, FailingStartHookJoinsEveryStartedWorker) {
  const std::size_t threads_before = thread_count();
  std::atomic<int> hook_calls{0};
  ThreadPoolExecutorConfig config;
  config.capacity = 4;
  config.on_worker_start = [&](std::size_t index) -> std::expected<void, std::string> {
    ++hook_calls;
    if (index == 2) {
      return std::unexpected(std::string("worker 2 cannot pin its CPU"));
    }
    return {};
  };
  auto pool = ThreadPoolExecutor::create(config, std::make_unique<NativeExecutor>(&clone_input));
  ASSERT_FALSE(pool.has_value());
  EXPECT_EQ(pool.error(), ConfigError::pool_build_failed("worker 2 cannot pin its CPU"));
  EXPECT_EQ(hook_calls.load(), 4);
  EXPECT_EQ(thread_count(), threads_before);
}

TEST(ThreadPoolExecutor, ThrowingStartHookIsPoolBuildFailed) {
  ThreadPoolExecutorConfig config;
  config.capacity = 2;
  config.on_worker_start = [](std::size_t) -> std::expected<void, std::string> {
    throw std::runtime_error("no affinity");
  };
  auto pool = ThreadPoolExecutor::create(config, std::make_unique<NativeExecutor>(&clone_input));
  ASSERT_FALSE(pool.has_value());
  EXPECT_EQ(pool.error(), ConfigError::pool_build_failed("worker start hook threw: no affinity"));
}

TEST(ThreadPoolExecutor, ThreadTheOsRefusesIsPoolBuildFailed) {
  const std::size_t threads_before = thread_count();
  ThreadPoolExecutorConfig config;
  config.capacity = 2;
  config.worker_stack_size = std::size_t{1} << 50;  // 1 PiB: no address space can hold it
  auto pool = ThreadPoolExecutor::create(config, std::make_unique<NativeExecutor>(&clone_input));
  ASSERT_FALSE(pool.has_value());
  EXPECT_EQ(pool.error().kind(), ConfigErrorClass::PoolBuildFailed);
  EXPECT_EQ(pool.error().detail().rfind("cannot start worker thread 0 of 2: ", 0), 0U)
      << pool.error().detail();
  EXPECT_EQ(thread_count(), threads_before);
}

TEST(ThreadPoolExecutor, CustomWorkerStackSizeIsUsed) {
  ThreadPoolExecutorConfig config;
  config.worker_stack_size = std::size_t{4} << 20;
  auto pool = make_pool(
      1,
      [](const Value&) -> std::expected<Value, std::string> {
        pthread_attr_t attributes;
        if (pthread_getattr_np(pthread_self(), &attributes) != 0) {
          return std::unexpected(std::string("no attributes"));
        }
        std::size_t size = 0;
        pthread_attr_getstacksize(&attributes, &size);
        pthread_attr_destroy(&attributes);
        return Value(size);
      },
      config);
  ASSERT_NE(pool, nullptr);
  auto output = call(*pool, Value::object());
  ASSERT_TRUE(output.has_value());
  EXPECT_GE(output->value.get<std::size_t>(), std::size_t{4} << 20);
}

TEST(ThreadPoolExecutor, InvalidOptionsAreRejectedBeforeAnyThreadStarts) {
  auto expect_invalid = [](ThreadPoolExecutorConfig config,
                           std::unique_ptr<CapabilityExecutor> inner, const std::string& fragment) {
    auto pool = ThreadPoolExecutor::create(std::move(config), std::move(inner));
    ASSERT_FALSE(pool.has_value());
    EXPECT_EQ(pool.error().kind(), ConfigErrorClass::InvalidOption);
    EXPECT_NE(pool.error().message().find(fragment), std::string::npos) << pool.error().message();
    EXPECT_EQ(pool.error().message().rfind("invalid thread pool option: ", 0), 0U);
  };
  auto echo = [] { return std::make_unique<NativeExecutor>(&clone_input); };
  expect_invalid({}, nullptr, "inner executor is null");
  ThreadPoolExecutorConfig zero_deadline;
  zero_deadline.queue_deadline = 0ms;
  expect_invalid(zero_deadline, echo(), "queue_deadline 0 ns");
  ThreadPoolExecutorConfig negative_spin;
  negative_spin.caller_spin = -1us;
  expect_invalid(negative_spin, echo(), "negative");
  ThreadPoolExecutorConfig tiny_stack;
  tiny_stack.worker_stack_size = 1024;
  expect_invalid(tiny_stack, echo(), "worker_stack_size 1024 bytes; expected at least");
}

TEST(ThreadPoolExecutor, NoSpinConfigurationStillRoundTrips) {
  ThreadPoolExecutorConfig config;
  config.worker_spin = 0ns;
  config.caller_spin = 0ns;
  auto pool = make_echo_pool(2, config);
  ASSERT_NE(pool, nullptr);
  for (int i = 0; i < 200; ++i) {
    auto output = call(*pool, Value(i));
    ASSERT_TRUE(output.has_value());
    ASSERT_EQ(output->value, Value(i));
  }
}

TEST(ThreadPoolExecutor, IdlePoolUsesNoCpuAfterItsBoundedSpin) {
  std::mutex mutex;
  std::vector<clockid_t> clocks;
  ThreadPoolExecutorConfig config;
  config.on_worker_start = [&](std::size_t) -> std::expected<void, std::string> {
    clockid_t clock{};
    pthread_getcpuclockid(pthread_self(), &clock);
    std::lock_guard lock(mutex);
    clocks.push_back(clock);
    return {};
  };
  auto pool = make_echo_pool(4, config);
  ASSERT_NE(pool, nullptr);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(call(*pool, Value(i)).has_value());
  }
  auto worker_cpu = [&] {
    std::chrono::nanoseconds total{0};
    std::lock_guard lock(mutex);
    for (clockid_t clock : clocks) {
      timespec used{};
      clock_gettime(clock, &used);
      total += std::chrono::seconds{used.tv_sec} + std::chrono::nanoseconds{used.tv_nsec};
    }
    return total;
  };
  // Past the spin window (50 µs by default), every worker must be asleep: over the next 200 ms
  // of wall time the workers together may use only a sliver of CPU.
  std::this_thread::sleep_for(20ms);  // not synchronisation: lets the bounded spin run out
  const auto before = worker_cpu();
  std::this_thread::sleep_for(200ms);  // the idle window being measured
  const auto used = worker_cpu() - before;
  EXPECT_LT(used, 5ms) << "idle workers used " << used.count() << " ns of CPU";
}

// ---- asynchronous calls, tasks and corun

TEST(ThreadPoolExecutor, SubmitReturnsBeforeTheCallRunsAndTheCompletionDeliversItsResult) {
  std::latch release(1);
  auto pool = make_pool(1, [&](const Value& input) -> std::expected<Value, std::string> {
    if (!wait_bounded(release)) {
      return std::unexpected(std::string("never released"));
    }
    return input;
  });
  ASSERT_NE(pool, nullptr);
  const ExecutorCapability capability = native_capability();
  ExecutionContext context(capability, "exec", "trace");
  const Value input{{"n", 7}};
  ExecutorCompletion completion = pool->submit(capability, input, context);
  EXPECT_FALSE(completion.ready());  // the handler is held: submit did not wait for it
  release.count_down();
  Result result = completion.wait();
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->value, input);
  EXPECT_EQ(pool->stats().completed, 1U);
}

TEST(ThreadPoolExecutor, ThenContinuationReceivesTheResultExactlyOnce) {
  auto pool = make_echo_pool(2);
  ASSERT_NE(pool, nullptr);
  const ExecutorCapability capability = native_capability();
  constexpr int kCalls = 64;
  std::vector<std::unique_ptr<ExecutionContext>> contexts;
  std::vector<Value> inputs;
  for (int i = 0; i < kCalls; ++i) {
    contexts.push_back(std::make_unique<ExecutionContext>(capability, "exec", "trace"));
    inputs.emplace_back(i);
  }
  std::latch all_done(kCalls);
  std::atomic<int> sum{0};
  std::atomic<int> calls{0};
  for (int i = 0; i < kCalls; ++i) {
    pool->submit(capability, inputs[static_cast<std::size_t>(i)],
                 *contexts[static_cast<std::size_t>(i)])
        .then([&](Result result) {
          calls.fetch_add(1);
          if (result) {
            sum.fetch_add(result->value.get<int>());
          }
          all_done.count_down();
        });
  }
  ASSERT_TRUE(wait_bounded(all_done));
  EXPECT_EQ(calls.load(), kCalls);
  EXPECT_EQ(sum.load(), kCalls * (kCalls - 1) / 2);
}

TEST(ThreadPoolExecutor, SubmitOfAWasmCapabilityIsRefusedWithoutQueueing) {
  auto pool = make_echo_pool(1);
  ASSERT_NE(pool, nullptr);
  ExecutorCapability capability = native_capability();
  capability.artifact_type = ArtifactType::Wasm;
  ExecutionContext context(capability, "exec", "trace");
  const Value input = Value::object();
  ExecutorCompletion completion = pool->submit(capability, input, context);
  ASSERT_TRUE(completion.ready());
  EXPECT_EQ(completion.wait().error(), ExecutorError::unsupported_artifact_type());
  EXPECT_EQ(pool->stats().rejected, 1U);
}

TEST(ThreadPoolExecutor, PostedTasksRunOnPoolWorkers) {
  auto pool = make_echo_pool(2);
  ASSERT_NE(pool, nullptr);
  constexpr int kTasks = 100;
  std::latch done(kTasks);
  std::atomic<int> on_workers{0};
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_TRUE(pool->post([&] {
      if (pool->on_worker_thread()) {
        on_workers.fetch_add(1);
      }
      done.count_down();
    }));
  }
  ASSERT_TRUE(wait_bounded(done));
  EXPECT_EQ(on_workers.load(), kTasks);
}

TEST(ThreadPoolExecutor, WorkerWaitingOnACompletionRunsQueuedTasksMeanwhile) {
  // Capacity 1: the only worker runs a task that waits for a completion which only a second
  // task (queued behind it) fulfils. Without corun this deadlocks.
  auto pool = make_echo_pool(1);
  ASSERT_NE(pool, nullptr);
  CompletionPromise<int> promise;
  Completion<int> completion = promise.completion();
  std::promise<int> outcome;
  ASSERT_TRUE(pool->post([&] { outcome.set_value(completion.wait()); }));
  ASSERT_TRUE(pool->post([&] { promise.fulfil(42); }));
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(future.get(), 42);
}

TEST(ThreadPoolExecutor, WorkerWaitingOnACompletionWakesWhenAnOutsideThreadFulfilsIt) {
  auto pool = make_echo_pool(1);
  ASSERT_NE(pool, nullptr);
  CompletionPromise<int> promise;
  Completion<int> completion = promise.completion();
  std::latch waiting(1);
  std::promise<int> outcome;
  ASSERT_TRUE(pool->post([&] {
    waiting.count_down();
    outcome.set_value(completion.wait());  // nothing queued: the worker parks until fulfilled
  }));
  waiting.wait();
  promise.fulfil(5);
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(future.get(), 5);
}

TEST(ThreadPoolExecutor, NestedFanOutFromEveryWorkerCompletesOnAFullPool) {
  // Every worker of a capacity-2 pool runs a handler that submits 8 nested calls and waits for
  // all of them: no free worker exists, so only corun lets the nested calls run.
  std::atomic<const ThreadPoolExecutor*> self{nullptr};
  auto pool = make_pool(
      2, [&](const Value& input, ExecutionContext& context) -> std::expected<Value, std::string> {
        if (input.get<int>() == 0) {
          return Value(1);
        }
        std::vector<std::unique_ptr<ExecutionContext>> contexts;
        std::vector<ExecutorCompletion> nested;
        const Value leaf(0);
        for (int i = 0; i < 8; ++i) {
          contexts.push_back(
              std::make_unique<ExecutionContext>(context.capability(), "exec", "trace"));
          nested.push_back(self.load()->submit(context.capability(), leaf, *contexts.back()));
        }
        int total = 0;
        for (ExecutorCompletion& completion : nested) {
          Result result = completion.wait();
          if (!result) {
            return std::unexpected(result.error().message());
          }
          total += result->value.get<int>();
        }
        return Value(total);
      });
  ASSERT_NE(pool, nullptr);
  self = pool.get();
  std::vector<std::jthread> callers;
  std::vector<Result> results(4);
  for (std::size_t i = 0; i < results.size(); ++i) {
    callers.emplace_back([&, i] { results[i] = call(*pool, Value(1)); });
  }
  callers.clear();
  for (const Result& result : results) {
    ASSERT_TRUE(result.has_value()) << result.error().message();
    EXPECT_EQ(result->value, Value(8));
  }
  EXPECT_EQ(pool->stats().completed, 4U + 4U * 8U);
}

TEST(ThreadPoolExecutor, ExecuteUntilTheEarliestTimePointTimesOutWithoutOverflow) {
  auto pool = make_echo_pool(1);
  ASSERT_NE(pool, nullptr);
  const ExecutorCapability capability = native_capability();
  ExecutionContext context(capability, "exec", "trace");
  auto result = pool->execute_until(capability, Value(1), context, Clock::time_point::min());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), ExecutorErrorClass::Timeout);
  EXPECT_EQ(pool->stats().completed, 0U);
}

TEST(ThreadPoolExecutor, DestructionFinishesPostedTasksAndTheTasksTheyPost) {
  std::atomic<int> ran{0};
  {
    auto pool = make_echo_pool(1);
    ASSERT_NE(pool, nullptr);
    ThreadPoolExecutor* raw = pool.get();
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(pool->post([&ran, raw] {
        ran.fetch_add(1);
        // Posted by a running task: accepted even while the pool is being destroyed.
        EXPECT_TRUE(raw->post([&ran] { ran.fetch_add(1); }).has_value());
      }));
    }
  }
  EXPECT_EQ(ran.load(), 20);
}

}  // namespace
}  // namespace traverse
