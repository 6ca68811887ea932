// traverse/runtime/remote_execution.hpp — how a runtime runs capabilities on other machines
// (TraverseRuntime::Builder::with_remote_execution; the cluster module implements it over NATS,
// docs/cluster.md).
//
// The runtime asks `serves` during eligibility and, for a capability placed remotely, runs the
// call through `executor()` instead of its local executors — the rest of the pipeline (input
// and output contracts, the trace entry, event publication) is unchanged. A capability runs
// remotely when the runtime is `remote_only`, when its contract's first preferred target is not
// `local`, or when it has no local implementation (no native handler, no WebAssembly binary)
// and a node serves it. When it should run remotely and no node serves it, the attempt is
// rejected with placement_unsupported (details.reason "no_node_serves").
//
// Thread safety: both functions are called from many threads at once.
#pragma once

#include <memory>
#include <string_view>

#include "traverse/executor/capability_executor.hpp"

namespace traverse {

class RemoteExecution {
 public:
  virtual ~RemoteExecution() = default;

  // True when some node currently serves capability_id@version. Thread-safe, non-blocking.
  [[nodiscard]] virtual bool serves(std::string_view capability_id,
                                    std::string_view capability_version) const = 0;
  // The executor that sends a call to a node. Never null. Thread-safe.
  [[nodiscard]] virtual std::shared_ptr<const CapabilityExecutor> executor() const = 0;

 protected:
  RemoteExecution() = default;
  RemoteExecution(const RemoteExecution&) = default;
  RemoteExecution& operator=(const RemoteExecution&) = default;
};

}  // namespace traverse
