// Governing spec: 010-runtime-stack
#include "traverse/router/capability_executor_registry.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace traverse {
namespace {

class NullExecutor final : public CapabilityExecutor {
 public:
  // A synchronous double: the completion is fulfilled on the caller.
  ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                            ExecutionContext& context) const override {
    return ExecutorCompletion::fulfilled(execute(capability, input, context));
  }

 public:
  std::expected<ExecutorOutput, ExecutorError> execute(const ExecutorCapability&, const Value&,
                                                       ExecutionContext&) const override {
    return ExecutorOutput{};
  }
};

TEST(CapabilityExecutorRegistry, EmptyRegistryFindsNothing) {
  const CapabilityExecutorRegistry registry;
  EXPECT_EQ(registry.find(ArtifactType::Native), nullptr);
  EXPECT_EQ(registry.find(ArtifactType::Wasm), nullptr);
  EXPECT_FALSE(registry.contains(ArtifactType::Native));
}

TEST(CapabilityExecutorRegistry, SetInstallsPerArtifactTypeAndNullRemoves) {
  auto native = std::make_shared<NullExecutor>();
  auto wasm = std::make_shared<NullExecutor>();
  CapabilityExecutorRegistry registry;
  registry.set(ArtifactType::Native, native).set(ArtifactType::Wasm, wasm);
  EXPECT_EQ(registry.find(ArtifactType::Native).get(), native.get());
  EXPECT_EQ(registry.find(ArtifactType::Wasm).get(), wasm.get());

  registry.set(ArtifactType::Wasm, nullptr);
  EXPECT_FALSE(registry.contains(ArtifactType::Wasm));
  EXPECT_TRUE(registry.contains(ArtifactType::Native));
}

TEST(CapabilityExecutorRegistry, CopiesShareTheExecutors) {
  auto native = std::make_shared<NullExecutor>();
  CapabilityExecutorRegistry registry;
  registry.set(ArtifactType::Native, native);
  const CapabilityExecutorRegistry copy = registry;
  registry.set(ArtifactType::Native, nullptr);
  EXPECT_EQ(copy.find(ArtifactType::Native).get(), native.get());
  EXPECT_EQ(native.use_count(), 2);
}

}  // namespace
}  // namespace traverse
