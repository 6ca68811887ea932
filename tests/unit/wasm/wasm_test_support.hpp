// Helpers shared by the wasm unit tests: paths of the test modules (compiled from
// tests/data/wasm/*.wat at build time), capabilities and executors configured for tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

#include "traverse/executor/execution_context.hpp"
#include "traverse/support/digest.hpp"
#include "traverse/wasm/wasm_executor.hpp"

namespace traverse::wasm_test {

inline std::string module_path(std::string_view name) {
  return std::string(TRAVERSE_WASM_TEST_MODULES) + "/" + std::string(name) + ".wasm";
}

inline ExecutorCapability wasm_capability(std::string_view module,
                                          std::string id = "test.wasm.capability") {
  ExecutorCapability capability;
  capability.capability_id = std::move(id);
  capability.capability_version = "1.0.0";
  capability.artifact_type = ArtifactType::Wasm;
  capability.wasm_binary_path = module_path(module);
  return capability;
}

// A subscribable capability that declares test.thing-happened@1.0.0.
inline ExecutorCapability emitting_capability() {
  ExecutorCapability capability = wasm_capability("emit_event", "test.wasm.emitter");
  capability.service_type = ServiceType::Subscribable;
  capability.emits = {{"test.thing-happened", "1.0.0"}};
  return capability;
}

// The tier every test runs in: $TRAVERSE_WASM_TEST_TIER ("aot" for the ctest registration
// prefixed "aot."), else the interpreter.
inline WasmTier test_tier() {
  const char* tier = std::getenv("TRAVERSE_WASM_TEST_TIER");
  return tier != nullptr && std::string_view(tier) == "aot" ? WasmTier::Aot : WasmTier::Interpreter;
}

inline WasmExecutorConfig test_config() {
  WasmExecutorConfig config;
  config.worker_path = TRAVERSE_WASM_WORKER_PATH;
  config.worker_count = 1;
  config.tier = test_tier();
  config.aot_cache_dir = std::string(TRAVERSE_BINARY_DIR) + "/aot-cache";
  return config;
}

// In the AOT tier: whether `executor` ran compiled code for every call so far (a test that must
// exercise compiled code checks this, so a silent fallback to the interpreter fails it).
inline void expect_tier_ran(const WasmExecutor& executor) {
  if (test_tier() == WasmTier::Aot) {
    const WasmExecutorStats stats = executor.stats();
    EXPECT_EQ(stats.aot_fallbacks, 0U);
    EXPECT_EQ(stats.aot_executions, stats.executions);
  }
}

inline std::unique_ptr<WasmExecutor> make_executor(WasmExecutorConfig config = test_config()) {
  auto executor = WasmExecutor::create(std::move(config));
  EXPECT_TRUE(executor.has_value()) << (executor ? "" : executor.error().message());
  return executor ? std::move(*executor) : nullptr;
}

// Runs one call with a fresh context.
inline std::expected<ExecutorOutput, ExecutorError> run(const WasmExecutor& executor,
                                                        const ExecutorCapability& capability,
                                                        const Value& input = Value::object()) {
  ExecutionContext context(capability, "exec-1", "trace-1");
  return executor.execute(capability, input, context);
}

// The call every hostile test makes afterwards: a normal module still works.
inline void expect_echo_works(const WasmExecutor& executor) {
  const Value input = {{"still", "working"}};
  auto output = run(executor, wasm_capability("echo"), input);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, input);
}

inline std::string message_of(const std::expected<ExecutorOutput, ExecutorError>& result) {
  return result ? std::string("(success)") : result.error().message();
}

}  // namespace traverse::wasm_test
