// traverse/router/router_response.hpp — what a successful PlacementRouter::execute returns
// (docs/architecture.md plus the D2 publish report). Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "traverse/events/traverse_event.hpp"
#include "traverse/json/value.hpp"
#include "traverse/placement/placement_decision.hpp"
#include "traverse/trace/trace_entry.hpp"

namespace traverse {

struct RouterResponse {
  Value output;
  // Events the capability emitted, all of them offered to the broker (Subscribable capabilities
  // only; empty otherwise, as in the reference). Failed publishes are also in publish_errors.
  std::vector<TraverseEvent> emitted_events;
  std::string trace_id;  // the public trace entry written for this execution
  PlacementDecision placement_decision;
  // Events that could not be published (D2); the same list is in the trace entry.
  std::vector<TracePublishError> publish_errors;
  std::uint64_t duration_ms = 0;  // executor wall time, milliseconds
};

}  // namespace traverse
