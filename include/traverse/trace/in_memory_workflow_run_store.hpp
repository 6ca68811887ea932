// traverse/trace/in_memory_workflow_run_store.hpp — the default WorkflowRunStore, in memory.
//
// Keeps the most recent `capacity` run records: when full, inserting a new record forgets the
// oldest one (FIFO), so a long-lived runtime's memory stays bounded. The step and run entries in
// the TraceStore are not affected. For evidence that must survive, use SqliteWorkflowRunStore.
// Thread safety: safe for concurrent access from many threads (one mutex, never held across
// user code).
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "traverse/trace/workflow_run_store.hpp"

namespace traverse {

class InMemoryWorkflowRunStore final : public WorkflowRunStore {
 public:
  static constexpr std::size_t kDefaultCapacity = 1024;

  // `capacity` 0 is treated as 1.
  explicit InMemoryWorkflowRunStore(std::size_t capacity = kDefaultCapacity);

  [[nodiscard]] std::expected<void, TraceError> insert(const WorkflowRunRecord& record) override;
  [[nodiscard]] std::expected<WorkflowRunRecord, TraceError> get(
      std::string_view id) const override;

  // Records currently kept (<= capacity()). Thread-safe.
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  // State below is protected by mutex_.
  std::deque<WorkflowRunRecord> records_;  // insertion order, oldest first
};

}  // namespace traverse
