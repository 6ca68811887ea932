#include "traverse/executor/native_executor.hpp"

#include <utility>

namespace traverse {

NativeExecutor::NativeExecutor(NativeHandler handler) : single_(std::move(handler)) {}

NativeExecutor::NativeExecutor(HandlerTable handlers) : table_(std::move(handlers)) {}

std::expected<ExecutorOutput, ExecutorError> NativeExecutor::execute(
    const ExecutorCapability& capability, const Value& input, ExecutionContext& context) const {
  if (capability.artifact_type != ArtifactType::Native) {
    return std::unexpected(ExecutorError::unsupported_artifact_type());
  }
  const NativeHandler* handler = nullptr;
  if (single_) {
    handler = &*single_;
  } else if (auto found = table_.find(capability.capability_id); found != table_.end()) {
    handler = &found->second;
  } else {
    return std::unexpected(ExecutorError::binary_load_failed(
        "no native handler registered for capability '" + capability.capability_id + "'"));
  }
  auto result = (*handler)(input, context);
  if (!result) {
    return std::unexpected(ExecutorError::execution_failed(std::move(result.error())));
  }
  return ExecutorOutput{std::move(*result), context.emitted_events()};
}

ExecutorCompletion NativeExecutor::submit(const ExecutorCapability& capability, const Value& input,
                                          ExecutionContext& context) const {
  return ExecutorCompletion::fulfilled(execute(capability, input, context));
}

}  // namespace traverse
