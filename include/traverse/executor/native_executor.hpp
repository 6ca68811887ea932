// traverse/executor/native_executor.hpp — runs capabilities implemented as C++ functions.
//
// A NativeExecutor owns either one handler (used for every Native capability it is given) or a
// table of handlers keyed by capability id. Handlers are called on the thread that calls
// `execute` or `submit` (whose completion is then already fulfilled); wrap the executor in a
// ThreadPoolExecutor to run them on a bounded pool.
//
// Thread safety: `submit` and `execute` are safe to call from many threads at once; handlers are
// called concurrently, so they must be thread-safe themselves.
#pragma once

#include <concepts>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "traverse/executor/capability_executor.hpp"

namespace traverse {

// A capability implemented in C++: `(const Value& input, ExecutionContext&) ->
// std::expected<Value, std::string>`, or the same without the context. Returning a Value means
// success; returning `std::unexpected(text)` means the capability failed with `text`.
class NativeHandler {
 public:
  using Result = std::expected<Value, std::string>;
  using Function = std::function<Result(const Value&, ExecutionContext&)>;

  // Accepts any callable with the full signature.
  template <typename F>
  requires(!std::same_as<std::remove_cvref_t<F>, NativeHandler> &&
           std::is_invocable_r_v<Result, F&, const Value&, ExecutionContext&>)
      NativeHandler(F function)  // NOLINT(google-explicit-constructor): handlers convert implicitly
      : function_(std::move(function)) {}

  // Accepts any callable taking only the input (it cannot emit events).
  template <typename F>
  requires(!std::same_as<std::remove_cvref_t<F>, NativeHandler> &&
           !std::is_invocable_v<F&, const Value&, ExecutionContext&> &&
           std::is_invocable_r_v<Result, F&, const Value&>)
      NativeHandler(F function)  // NOLINT(google-explicit-constructor)
      : function_(
            [f = std::move(function)](const Value& input, ExecutionContext&) mutable -> Result {
              return f(input);
            }) {}

  Result operator()(const Value& input, ExecutionContext& context) const {
    return function_(input, context);
  }

 private:
  Function function_;
};

class NativeExecutor final : public CapabilityExecutor {
 public:
  // Capability id → handler. Ids are compared exactly.
  using HandlerTable = std::map<std::string, NativeHandler, std::less<>>;

  // One handler serves every Native capability.
  explicit NativeExecutor(NativeHandler handler);
  // Each capability is served by the handler registered under its id.
  explicit NativeExecutor(HandlerTable handlers);

  // Runs the handler for `capability` on `input` with `context`.
  // Success: ExecutorOutput{handler value, a copy of the events recorded in `context`}.
  // Failure:
  //   UnsupportedArtifactType — `capability.artifact_type` is not Native; no handler runs.
  //   BinaryLoadFailed("no native handler registered for capability 'X'") — table form only,
  //     no handler under that id (the registration is wrong: fix it, do not retry).
  //   ExecutionFailed(text) — the handler returned std::unexpected(text).
  // Exceptions are not caught here: whatever a handler throws propagates to the caller of
  // `execute`. ThreadPoolExecutor is the containment boundary (it turns a throw into
  // ExecutionFailed("capability panicked: ...")); a NativeExecutor used on its own should only
  // be given handlers that do not throw. Thread-safe.
  [[nodiscard]] std::expected<ExecutorOutput, ExecutorError> execute(
      const ExecutorCapability& capability, const Value& input,
      ExecutionContext& context) const override;

  // execute(...) on the calling thread; the completion is already fulfilled. Thread-safe.
  [[nodiscard]] ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                                          ExecutionContext& context) const override;

 private:
  std::optional<NativeHandler> single_;
  HandlerTable table_;
};

}  // namespace traverse
