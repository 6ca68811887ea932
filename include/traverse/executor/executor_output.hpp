// traverse/executor/executor_output.hpp — what a successful execution produced.
#pragma once

#include <vector>

#include "traverse/events/traverse_event.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

struct ExecutorOutput {
  Value value;
  // Events the capability emitted through ExecutionContext::emit (or traverse_host.emit_event),
  // in emission order. The router publishes them only because the execution succeeded.
  std::vector<TraverseEvent> emitted_events;
};

}  // namespace traverse
