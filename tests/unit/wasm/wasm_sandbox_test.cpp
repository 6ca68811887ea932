// Governing spec: 020-wasm-sandbox
// Hostile guests: each costs at most one sandbox worker, yields a typed error, and the next
// normal call succeeds.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>

#include "traverse/wasm/wasm_executor.hpp"
#include "wasm_test_support.hpp"

namespace traverse {
namespace {

using std::chrono::milliseconds;
using wasm_test::expect_echo_works;
using wasm_test::make_executor;
using wasm_test::message_of;
using wasm_test::run;
using wasm_test::test_config;
using wasm_test::wasm_capability;

TEST(WasmSandbox, TrapIsExecutionFailedNamingTheTrap) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("trap_unreachable"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ExecutionFailed);
  EXPECT_NE(output.error().message().find("wasm trap: unreachable executed"), std::string::npos)
      << output.error().message();
  EXPECT_EQ(executor->stats().workers_replaced, 1U);
  expect_echo_works(*executor);
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmSandbox, InfiniteLoopTimesOutWithinTheDeadlineAndTheWorkerIsReplaced) {
  WasmExecutorConfig config = test_config();
  config.default_limits.deadline = milliseconds(300);
  config.prestart_workers = true;
  auto executor = make_executor(config);
  const std::vector<int> before = executor->worker_pids();
  const auto start = std::chrono::steady_clock::now();
  auto output = run(*executor, wasm_capability("infinite_loop"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::Timeout);
  EXPECT_NE(output.error().message().find("deadline of 300 ms"), std::string::npos)
      << output.error().message();
  EXPECT_LT(elapsed, milliseconds(300) + std::chrono::seconds(1));
  EXPECT_GE(elapsed, milliseconds(300));
  EXPECT_EQ(executor->stats().timeouts, 1U);
  EXPECT_TRUE(executor->worker_pids().empty());  // killed; the slot restarts on next use
  expect_echo_works(*executor);
  EXPECT_NE(executor->worker_pids(), before);
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmSandbox, MemoryGrowthPastTheLimitIsResourceExhausted) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("memory_grow"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ResourceExhausted);
  EXPECT_EQ(output.error().message(),
            "resource exhausted: memory.grow past the limit of 128 pages (8388608 bytes of "
            "linear memory)");
  expect_echo_works(*executor);
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmSandbox, MemoryGrowthWithinTheLimitWorks) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("memory_grow_small"));
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, (Value{{"old_pages", 1}}));
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmSandbox, PerCapabilityLimitOverridesTheDefault) {
  WasmExecutorConfig config = test_config();
  WasmExecutionLimits roomy = config.default_limits;
  roomy.max_memory_bytes = 16U * 1024U * 1024U;
  config.capability_limits["test.wasm.roomy"] = roomy;
  auto executor = make_executor(config);
  auto output = run(*executor, wasm_capability("memory_grow", "test.wasm.roomy"));
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, (Value{{"grown", true}}));
  // Other capabilities keep the default.
  EXPECT_FALSE(run(*executor, wasm_capability("memory_grow")).has_value());
}

TEST(WasmSandbox, InitialMemoryAboveTheLimitIsRejectedBeforeRunning) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("memory_initial_too_big"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ResourceExhausted);
  EXPECT_NE(output.error().message().find("256 pages of initial linear memory"), std::string::npos)
      << output.error().message();
  expect_echo_works(*executor);
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmSandbox, DeepDirectRecursionIsATypedError) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("recursion_direct"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ExecutionFailed) << output.error().message();
  EXPECT_NE(output.error().message().find("call stack exhausted"), std::string::npos)
      << output.error().message();
  expect_echo_works(*executor);
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmSandbox, DeepRecursionThroughCallIndirectIsATypedError) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("recursion_indirect"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ExecutionFailed) << output.error().message();
  expect_echo_works(*executor);
  wasm_test::expect_tier_ran(*executor);
}

// 300,000 nested blocks: wabt's interpreter decodes this iteratively, but other wasm tools
// recurse per nesting level. Whatever the engine does, it may cost at most the worker.
std::string deeply_nested_module(std::size_t depth) {
  const auto leb = [](std::size_t n) {
    std::string out;
    do {
      auto byte = static_cast<unsigned char>(n & 0x7FU);
      n >>= 7;
      out.push_back(static_cast<char>(n != 0 ? (byte | 0x80U) : byte));
    } while (n != 0);
    return out;
  };
  const auto section = [&](char id, const std::string& payload) {
    return std::string(1, id) + leb(payload.size()) + payload;
  };
  std::string body(1, '\0');  // no locals
  for (std::size_t i = 0; i < depth; ++i)
    body += "\x02\x40";                    // block (empty type)
  body += std::string(depth + 1, '\x0b');  // end x depth, function end
  std::string module("\0asm\x01\0\0\0", 8);
  module += section('\x01', std::string("\x01\x60\x00\x00", 4));  // type () -> ()
  module += section('\x03', std::string("\x01\x00", 2));          // one function
  module += section('\x05', std::string("\x01\x00\x01", 3));      // memory 1
  module += section('\x07', std::string("\x01\x06_start\x00\x00", 10));
  module += section('\x0a', "\x01" + leb(body.size()) + body);
  return module;
}

TEST(WasmSandbox, DeeplyNestedBlocksCostAtMostTheWorker) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("traverse-nested-" + std::to_string(::getpid()) + ".wasm");
  std::ofstream(path, std::ios::binary) << deeply_nested_module(300'000);
  WasmExecutorConfig config = test_config();
  config.default_limits.deadline = std::chrono::seconds(60);
  auto executor = make_executor(config);
  ExecutorCapability capability = wasm_capability("echo");
  capability.wasm_binary_path = path.string();
  auto output = run(*executor, capability);
  std::filesystem::remove(path);
  ASSERT_FALSE(output.has_value());  // it prints nothing, at best
  EXPECT_TRUE(output.error().kind() == ExecutorErrorClass::OutputDeserializationFailed ||
              output.error().kind() == ExecutorErrorClass::ExecutionFailed)
      << output.error().message();
  std::printf("deeply nested module: %s\n", output.error().message().c_str());
  expect_echo_works(*executor);
}

TEST(WasmSandbox, StdoutFloodIsResourceExhausted) {
  auto executor = make_executor();
  auto output = run(*executor, wasm_capability("stdout_flood"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ResourceExhausted);
  EXPECT_EQ(output.error().message(),
            "resource exhausted: guest wrote more than 65536 bytes to stdout");
  expect_echo_works(*executor);
  wasm_test::expect_tier_ran(*executor);
}

TEST(WasmSandbox, WorkerKilledMidCallIsATypedErrorAndTheNextCallSucceeds) {
  std::promise<int> dispatched;
  WasmExecutorConfig config = test_config();
  config.default_limits.deadline = std::chrono::seconds(30);
  bool first = true;
  config.on_dispatch = [&](int pid) {
    if (std::exchange(first, false))
      dispatched.set_value(pid);
  };
  auto executor = make_executor(config);
  std::future<std::expected<ExecutorOutput, ExecutorError>> call = std::async(
      std::launch::async, [&] { return run(*executor, wasm_capability("infinite_loop")); });
  auto pid_future = dispatched.get_future();
  ASSERT_EQ(pid_future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  const int pid = pid_future.get();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_EQ(call.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto output = call.get();
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::ExecutionFailed);
  EXPECT_EQ(output.error().message(), "execution failed: sandbox worker died: signal 9 (SIGKILL)");
  EXPECT_EQ(executor->stats().worker_deaths, 1U);
  expect_echo_works(*executor);
}

TEST(WasmSandbox, WorkerKilledWhileIdleIsReplacedWithoutFailingTheNextCall) {
  WasmExecutorConfig config = test_config();
  config.prestart_workers = true;
  auto executor = make_executor(config);
  const std::vector<int> pids = executor->worker_pids();
  ASSERT_EQ(pids.size(), 1U);
  // Wait (without reaping: the executor owns that) until the killed process has exited.
  const int pid_fd = static_cast<int>(::syscall(SYS_pidfd_open, pids[0], 0));
  ASSERT_GE(pid_fd, 0);
  ASSERT_EQ(::kill(pids[0], SIGKILL), 0);
  pollfd exited{pid_fd, POLLIN, 0};
  ASSERT_EQ(::poll(&exited, 1, 30'000), 1);
  ::close(pid_fd);
  expect_echo_works(*executor);
  EXPECT_EQ(executor->stats().workers_spawned, 2U);
}

TEST(WasmSandbox, FullQueueIsOverloadedAndNothingRuns) {
  std::promise<void> dispatched;
  WasmExecutorConfig config = test_config();
  config.max_queued_calls = 0;
  config.default_limits.deadline = milliseconds(2000);
  bool first = true;
  config.on_dispatch = [&](int) {
    if (std::exchange(first, false))
      dispatched.set_value();
  };
  auto executor = make_executor(config);
  auto busy = std::async(std::launch::async,
                         [&] { return run(*executor, wasm_capability("infinite_loop")); });
  ASSERT_EQ(dispatched.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto output = run(*executor, wasm_capability("echo"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::Overloaded);
  EXPECT_EQ(executor->stats().overloaded, 1U);
  auto busy_result = busy.get();
  ASSERT_FALSE(busy_result.has_value());
  EXPECT_EQ(busy_result.error().kind(), ExecutorErrorClass::Timeout);
  expect_echo_works(*executor);
}

TEST(WasmSandbox, QueuedCallGivesUpAfterTheQueueTimeout) {
  std::promise<void> dispatched;
  WasmExecutorConfig config = test_config();
  config.queue_timeout = milliseconds(100);
  config.default_limits.deadline = milliseconds(2000);
  bool first = true;
  config.on_dispatch = [&](int) {
    if (std::exchange(first, false))
      dispatched.set_value();
  };
  auto executor = make_executor(config);
  auto busy = std::async(std::launch::async,
                         [&] { return run(*executor, wasm_capability("infinite_loop")); });
  ASSERT_EQ(dispatched.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto output = run(*executor, wasm_capability("echo"));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::Timeout);
  EXPECT_NE(output.error().message().find("no sandbox worker became free within 100 ms"),
            std::string::npos);
  (void)busy.get();
  expect_echo_works(*executor);
}

TEST(WasmSandbox, EightThreadsShareOneExecutor) {
  WasmExecutorConfig config = test_config();
  config.worker_count = 4;
  auto executor = make_executor(config);
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 6;
  std::vector<int> successes(kThreads, 0);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int call = 0; call < kCallsPerThread; ++call) {
          if (t % 4 == 3 && call % 3 == 0) {
            // Hostile calls mixed in: they must not disturb the others.
            auto trapped = run(*executor, wasm_capability("trap_unreachable"));
            if (!trapped && trapped.error().kind() == ExecutorErrorClass::ExecutionFailed)
              ++successes[static_cast<std::size_t>(t)];
            continue;
          }
          const Value input = {{"thread", t}, {"call", call}};
          auto output = run(*executor, wasm_capability("echo"), input);
          if (output && output->value == input)
            ++successes[static_cast<std::size_t>(t)];
        }
      });
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(successes[static_cast<std::size_t>(t)], kCallsPerThread) << "thread " << t;
  }
  EXPECT_LE(executor->worker_pids().size(), 4U);
}

}  // namespace
}  // namespace traverse
