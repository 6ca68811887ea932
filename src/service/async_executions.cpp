#include "traverse/service/async_executions.hpp"

#include <utility>

#include "traverse/support/ids.hpp"

namespace traverse {

AsyncExecutions::AsyncExecutions(std::size_t capacity) : capacity_(capacity) {}

std::optional<std::string> AsyncExecutions::start() {
  std::lock_guard lock(mutex_);
  if (records_.size() >= capacity_) {
    // Forget the oldest finished record; none finished: full.
    bool evicted = false;
    for (auto it = order_.begin(); it != order_.end(); ++it) {
      const auto record = records_.find(*it);
      if (record != records_.end() && record->second.finished) {
        records_.erase(record);
        order_.erase(it);
        evicted = true;
        break;
      }
    }
    if (!evicted) {
      return std::nullopt;
    }
  }
  std::string id = "async_" + new_uuid_v4();
  records_.emplace(id, AsyncExecution{id, false, 202, Value::object()});
  order_.push_back(id);
  return id;
}

void AsyncExecutions::finish(const std::string& id, unsigned http_status, Value document) {
  std::lock_guard lock(mutex_);
  const auto it = records_.find(id);
  if (it == records_.end()) {
    return;
  }
  it->second.finished = true;
  it->second.http_status = http_status;
  it->second.document = std::move(document);
}

std::optional<AsyncExecution> AsyncExecutions::get(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = records_.find(id);
  if (it == records_.end()) {
    return std::nullopt;
  }
  return it->second;
}

}  // namespace traverse
