// traverse/router/capability_executor_registry.hpp — which executor runs which artifact type.
//
// Maps ArtifactType (Native, Wasm) to a shared CapabilityExecutor. The registry is a small value
// type: build it, then hand it to a PlacementRouter (which keeps its own copy). The executors are
// shared, not copied. Thread safety: const methods are safe from many threads at once; `set`
// needs external synchronisation (configure before sharing).
#pragma once

#include <array>
#include <cstddef>
#include <memory>

#include "traverse/executor/artifact_type.hpp"
#include "traverse/executor/capability_executor.hpp"

namespace traverse {

class CapabilityExecutorRegistry {
 public:
  CapabilityExecutorRegistry() = default;

  // Installs (or replaces, or with nullptr removes) the executor for `type`. Returns *this.
  CapabilityExecutorRegistry& set(ArtifactType type,
                                  std::shared_ptr<const CapabilityExecutor> executor) {
    executors_[index(type)] = std::move(executor);
    return *this;
  }

  // The executor for `type`, or nullptr when none is registered. Thread-safe.
  [[nodiscard]] const std::shared_ptr<const CapabilityExecutor>& find(ArtifactType type) const {
    return executors_[index(type)];
  }
  [[nodiscard]] bool contains(ArtifactType type) const { return find(type) != nullptr; }

 private:
  static constexpr std::size_t index(ArtifactType type) { return static_cast<std::size_t>(type); }
  std::array<std::shared_ptr<const CapabilityExecutor>, 2> executors_;
};

}  // namespace traverse
