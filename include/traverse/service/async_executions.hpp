// traverse/service/async_executions.hpp — executions accepted with `Prefer: respond-async`,
// kept so that `GET /v1/executions/{id}` can poll them.
//
// Bounded: at most `capacity` records; adding one when full forgets the oldest finished
// record, and fails when every record is still running (the caller answers 503).
// Thread safety: every member is safe to call from any thread.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "traverse/json/value.hpp"

namespace traverse {

struct AsyncExecution {
  std::string id;
  bool finished = false;
  unsigned http_status = 202;        // the status the synchronous call would have answered
  Value document = Value::object();  // the result document once finished
};

class AsyncExecutions {
 public:
  explicit AsyncExecutions(std::size_t capacity);

  // Records a running execution with a fresh id. nullopt when full of running executions.
  [[nodiscard]] std::optional<std::string> start();
  // Stores the result of a running execution (unknown ids are ignored).
  void finish(const std::string& id, unsigned http_status, Value document);
  [[nodiscard]] std::optional<AsyncExecution> get(const std::string& id) const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  std::map<std::string, AsyncExecution> records_;
  std::deque<std::string> order_;  // insertion order, for eviction
};

}  // namespace traverse
