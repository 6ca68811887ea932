// traverse/executor/execution_attempt.hpp — one try of an execution on another machine, as the
// executor that made it reports it (the RemoteExecutor records one per request it sends; local
// executors record none).
//
// The calling runtime copies them into its RuntimeTrace and trace entry (`attempts`), so every
// try of a remote call is evidenced with the node that answered and the time it took.
// Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>

namespace traverse {

struct ExecutionAttempt {
  std::uint32_t number = 1;  // 1 for the first try, 2 for the first retry, ...
  // The node that answered; empty when none did (no responders, timeout, connection lost).
  std::string node;
  // "ok", or the ExecutorErrorClass name of this try's failure (e.g. "Timeout").
  std::string outcome;
  std::uint64_t remote_duration_us = 0;  // the time the node says it spent (0 when no answer)
  std::uint64_t round_trip_us = 0;       // from sending to the answer (or failure), here
  friend bool operator==(const ExecutionAttempt&, const ExecutionAttempt&) = default;
};

}  // namespace traverse
