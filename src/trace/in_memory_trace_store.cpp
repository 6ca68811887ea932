#include "traverse/trace/in_memory_trace_store.hpp"

#include <algorithm>
#include <functional>
#include <mutex>
#include <utility>

#include "insert_checks.hpp"

namespace traverse {

namespace {

bool matches(const TraceQuery& query, const PublicTraceEntry& entry, std::int64_t time_ms) {
  if (query.capability_id && entry.capability_id != *query.capability_id)
    return false;
  if (query.outcome && entry.outcome != *query.outcome)
    return false;
  if (query.workflow_run_id && entry.workflow_run_id != query.workflow_run_id)
    return false;
  if (query.from && time_ms < trace_internal::to_millis(*query.from))
    return false;
  if (query.to && time_ms >= trace_internal::to_millis(*query.to))
    return false;
  return true;
}

}  // namespace

InMemoryTraceStore::InMemoryTraceStore(InMemoryTraceStoreOptions options)
    : options_(std::move(options)) {}

std::expected<void, TraceError> InMemoryTraceStore::insert(
    PublicTraceEntry public_entry, std::optional<PrivateTraceEntry> private_entry) {
  auto time_ms = trace_internal::check_insert(public_entry, private_entry, options_.keep_payloads);
  if (!time_ms)
    return std::unexpected(time_ms.error());
  std::unique_lock lock(mutex_);
  if (options_.max_entries && entries_.size() >= *options_.max_entries) {
    return std::unexpected(TraceError{
        TraceErrorKind::CapacityExceeded,
        "in-memory trace store holds its maximum of " + std::to_string(*options_.max_entries) +
            " entries; trace entry '" + public_entry.id + "' was not recorded"});
  }
  reserve_id_slot();
  const std::size_t hash = std::hash<std::string_view>{}(public_entry.id);
  const std::size_t slot = find_slot(public_entry.id, hash);
  if (by_id_[slot].index_plus_one != 0) {
    return std::unexpected(TraceError{TraceErrorKind::Conflict,
                                      "trace entry '" + public_entry.id + "' already exists"});
  }
  const std::size_t index = entries_.size();
  // Built in place: the entry's strings move once (the lock is held for a few pointer moves more).
  entries_.emplace_back(TraceRecord{std::move(public_entry), std::move(private_entry)}, *time_ms);
  const PublicTraceEntry& placed = entries_.back().record.public_entry;
  if (placed.workflow_run_id) {
    try {
      by_run_[*placed.workflow_run_id].push_back(index);
    } catch (...) {
      entries_.pop_back();
      throw;
    }
  }
  by_id_[slot] = IdSlot{hash, index + 1};  // last: nothing after it can fail
  return {};
}

std::expected<TraceRecord, TraceError> InMemoryTraceStore::get(std::string_view id) const {
  std::shared_lock lock(mutex_);
  const std::size_t found =
      by_id_.empty() ? 0 : by_id_[find_slot(id, std::hash<std::string_view>{}(id))].index_plus_one;
  if (found == 0) {
    return std::unexpected(
        TraceError{TraceErrorKind::NotFound, "no trace entry with id '" + std::string(id) + "'"});
  }
  return entries_[found - 1].record;
}

std::expected<std::vector<PublicTraceEntry>, TraceError> InMemoryTraceStore::list_public(
    const TraceQuery& query) const {
  std::vector<PublicTraceEntry> result;
  std::shared_lock lock(mutex_);
  std::size_t skipped = 0;
  auto visit = [&](const Stored& stored) {
    if (query.limit && result.size() >= *query.limit)
      return false;
    if (!matches(query, stored.record.public_entry, stored.time_ms))
      return true;
    if (skipped < query.offset) {
      ++skipped;
      return true;
    }
    result.push_back(stored.record.public_entry);
    return true;
  };
  if (query.workflow_run_id) {
    auto it = by_run_.find(*query.workflow_run_id);
    if (it == by_run_.end())
      return result;
    for (std::size_t index : it->second) {
      if (!visit(entries_[index]))
        break;
    }
  } else {
    for (const Stored& stored : entries_) {
      if (!visit(stored))
        break;
    }
  }
  return result;
}

std::expected<std::vector<PublicTraceEntry>, TraceError> InMemoryTraceStore::list_run(
    std::string_view workflow_run_id) const {
  std::vector<PublicTraceEntry> result;
  {
    std::shared_lock lock(mutex_);
    auto it = by_run_.find(std::string(workflow_run_id));
    if (it == by_run_.end())
      return result;
    result.reserve(it->second.size());
    for (std::size_t index : it->second)
      result.push_back(entries_[index].record.public_entry);
  }
  // Stable: equal step indices keep insertion order; entries without a step index come last.
  std::stable_sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
    if (a.step_index.has_value() != b.step_index.has_value())
      return a.step_index.has_value();
    return a.step_index.value_or(0) < b.step_index.value_or(0);
  });
  return result;
}

std::expected<std::size_t, TraceError> InMemoryTraceStore::count(const TraceQuery& query) const {
  std::shared_lock lock(mutex_);
  std::size_t n = 0;
  for (const Stored& stored : entries_) {
    if (matches(query, stored.record.public_entry, stored.time_ms))
      ++n;
  }
  return n;
}

std::size_t InMemoryTraceStore::find_slot(std::string_view id, std::size_t hash) const {
  const std::size_t mask = by_id_.size() - 1;
  for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    const IdSlot& candidate = by_id_[slot];
    if (candidate.index_plus_one == 0 ||
        (candidate.hash == hash &&
         entries_[candidate.index_plus_one - 1].record.public_entry.id == id)) {
      return slot;  // the table is never full: an empty slot ends every probe
    }
  }
}

void InMemoryTraceStore::reserve_id_slot() {
  if ((entries_.size() + 1) * 2 <= by_id_.size()) {
    return;
  }
  std::vector<IdSlot> grown(std::max<std::size_t>(64, by_id_.size() * 2));
  const std::size_t mask = grown.size() - 1;
  for (const IdSlot& moved : by_id_) {
    if (moved.index_plus_one != 0) {
      std::size_t slot = moved.hash & mask;
      while (grown[slot].index_plus_one != 0) {
        slot = (slot + 1) & mask;
      }
      grown[slot] = moved;
    }
  }
  by_id_ = std::move(grown);
}

std::size_t InMemoryTraceStore::size() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

}  // namespace traverse
