#include "traverse/trace/in_memory_workflow_run_store.hpp"

#include <algorithm>
#include <utility>

#include "insert_checks.hpp"
#include "traverse/trace/trace_store.hpp"

namespace traverse {

InMemoryWorkflowRunStore::InMemoryWorkflowRunStore(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)) {}

std::expected<void, TraceError> InMemoryWorkflowRunStore::insert(const WorkflowRunRecord& record) {
  if (auto checked = trace_internal::check_run_record(record); !checked) {
    return checked;
  }
  WorkflowRunRecord copy = record;  // copied outside the lock
  std::deque<WorkflowRunRecord> evicted;
  std::lock_guard lock(mutex_);
  for (const WorkflowRunRecord& existing : records_) {
    if (existing.run_id == copy.run_id || existing.trace_id == copy.trace_id ||
        existing.run_id == copy.trace_id || existing.trace_id == copy.run_id) {
      return std::unexpected(TraceError{TraceErrorKind::Conflict,
                                        "workflow run '" + copy.run_id + "' is already recorded"});
    }
  }
  while (records_.size() >= capacity_) {
    evicted.push_back(std::move(records_.front()));
    records_.pop_front();
  }
  records_.push_back(std::move(copy));
  return {};
}

std::expected<WorkflowRunRecord, TraceError> InMemoryWorkflowRunStore::get(
    std::string_view id) const {
  std::lock_guard lock(mutex_);
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (it->run_id == id || it->trace_id == id) {
      return *it;
    }
  }
  return std::unexpected(
      TraceError{TraceErrorKind::NotFound, "no workflow run '" + std::string(id) + "'"});
}

std::size_t InMemoryWorkflowRunStore::size() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

}  // namespace traverse
