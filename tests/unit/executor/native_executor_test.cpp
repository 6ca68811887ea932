// Governing spec: 047-thread-pool-executor
#include "traverse/executor/native_executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace traverse {
namespace {

ExecutorCapability native_capability(std::string id = "test.echo") {
  ExecutorCapability capability;
  capability.capability_id = std::move(id);
  capability.capability_version = "1.0.0";
  return capability;
}

TEST(NativeExecutor, ContextHandlerResultBecomesTheOutputValue) {
  NativeExecutor executor(
      [](const Value& input, ExecutionContext& context) -> std::expected<Value, std::string> {
        return Value{{"echo", input}, {"capability", context.capability_id()}};
      });
  const auto capability = native_capability();
  ExecutionContext context(capability, "e", "t");
  auto output = executor.execute(capability, Value{{"x", 1}}, context);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, (Value{{"echo", {{"x", 1}}}, {"capability", "test.echo"}}));
  EXPECT_TRUE(output->emitted_events.empty());
}

TEST(NativeExecutor, InputOnlyHandlerIsAccepted) {
  NativeExecutor executor([](const Value& input) { return Value{{"seen", input}}; });
  const auto capability = native_capability();
  ExecutionContext context(capability, "e", "t");
  auto output = executor.execute(capability, Value(42), context);
  ASSERT_TRUE(output.has_value());
  EXPECT_EQ(output->value, (Value{{"seen", 42}}));
}

TEST(NativeExecutor, HandlerErrorTextBecomesExecutionFailed) {
  NativeExecutor executor([](const Value&) -> std::expected<Value, std::string> {
    return std::unexpected(std::string("inner failed"));
  });
  const auto capability = native_capability();
  ExecutionContext context(capability, "e", "t");
  auto output = executor.execute(capability, Value::object(), context);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error(), ExecutorError::execution_failed("inner failed"));
  EXPECT_EQ(output.error().message(), "execution failed: inner failed");
}

TEST(NativeExecutor, WasmCapabilityIsRejectedWithoutRunningTheHandler) {
  std::atomic<int> calls{0};
  NativeExecutor executor([&](const Value& input) {
    ++calls;
    return input;
  });
  auto capability = native_capability();
  capability.artifact_type = ArtifactType::Wasm;
  ExecutionContext context(capability, "e", "t");
  auto output = executor.execute(capability, Value::object(), context);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::UnsupportedArtifactType);
  EXPECT_EQ(calls.load(), 0);
}

TEST(NativeExecutor, EmittedEventsTravelBackInTheOutputAndStayInTheContext) {
  NativeExecutor executor(
      [](const Value&, ExecutionContext& context) -> std::expected<Value, std::string> {
        if (!context.emit("test.happened", "1.0.0", Value{{"n", 1}})) {
          return std::unexpected(std::string("emit refused"));
        }
        return Value("ok");
      });
  auto capability = native_capability();
  capability.service_type = ServiceType::Subscribable;
  capability.emits = {{"test.happened", "1.0.0"}};
  ExecutionContext context(capability, "e", "t");
  auto output = executor.execute(capability, Value::object(), context);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  ASSERT_EQ(output->emitted_events.size(), 1U);
  EXPECT_EQ(output->emitted_events[0].event_type, "test.happened");
  EXPECT_EQ(output->emitted_events, context.emitted_events());
}

TEST(NativeExecutor, HandlerTableDispatchesByCapabilityId) {
  NativeExecutor executor(NativeExecutor::HandlerTable{
      {"math.double", [](const Value& input) { return Value(input.get<int>() * 2); }},
      {"math.negate",
       [](const Value& input, ExecutionContext&) -> std::expected<Value, std::string> {
         return Value(-input.get<int>());
       }},
  });
  const auto doubler = native_capability("math.double");
  const auto negate = native_capability("math.negate");
  ExecutionContext context1(doubler, "e", "t");
  ExecutionContext context2(negate, "e", "t");
  EXPECT_EQ(executor.execute(doubler, Value(21), context1)->value, Value(42));
  EXPECT_EQ(executor.execute(negate, Value(5), context2)->value, Value(-5));
}

TEST(NativeExecutor, HandlerTableUnknownIdIsBinaryLoadFailedNamingTheId) {
  NativeExecutor executor(
      NativeExecutor::HandlerTable{{"known", [](const Value& input) { return input; }}});
  const auto capability = native_capability("unknown.capability");
  ExecutionContext context(capability, "e", "t");
  auto output = executor.execute(capability, Value::object(), context);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().kind(), ExecutorErrorClass::BinaryLoadFailed);
  EXPECT_EQ(output.error().message(),
            "binary load failed: no native handler registered for capability "
            "'unknown.capability'");
}

TEST(NativeExecutor, ExceptionsPropagateToTheCallerUncaught) {
  // Documented: the ThreadPoolExecutor is the containment boundary, not NativeExecutor.
  NativeExecutor executor(
      [](const Value&) -> std::expected<Value, std::string> { throw std::runtime_error("boom"); });
  const auto capability = native_capability();
  ExecutionContext context(capability, "e", "t");
  EXPECT_THROW((void)executor.execute(capability, Value::object(), context), std::runtime_error);
}

TEST(NativeExecutor, IsACapabilityExecutor) {
  static_assert(std::is_base_of_v<CapabilityExecutor, NativeExecutor>);
  std::unique_ptr<CapabilityExecutor> executor =
      std::make_unique<NativeExecutor>([](const Value& input) { return input; });
  const auto capability = native_capability();
  ExecutionContext context(capability, "e", "t");
  EXPECT_EQ(executor->execute(capability, Value("x"), context)->value, Value("x"));
}

}  // namespace
}  // namespace traverse
