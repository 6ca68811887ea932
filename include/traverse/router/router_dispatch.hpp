// traverse/router/router_dispatch.hpp — what PlacementRouter::dispatch returns: the executor's
// raw result, before the output contract, the trace entry and event publication.
//
// Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <vector>

#include "traverse/executor/execution_attempt.hpp"
#include "traverse/executor/executor_output.hpp"
#include "traverse/placement/placement_decision.hpp"

namespace traverse {

struct RouterDispatch {
  PlacementDecision placement_decision;
  ExecutorOutput output;          // value and emitted events, not yet checked nor published
  std::uint64_t duration_ms = 0;  // executor wall time, milliseconds
  std::vector<ExecutionAttempt> attempts;  // the executor's tries on other machines, if any
};

}  // namespace traverse
