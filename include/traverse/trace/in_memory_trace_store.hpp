// traverse/trace/in_memory_trace_store.hpp — the default TraceStore, held in process memory.
//
// Entries live as long as the store. By default the store is unbounded (traces are evidence and
// are never evicted); `max_entries` is an explicit opt-in bound after which insert fails with
// CapacityExceeded instead of dropping anything. Thread safety: safe for concurrent access from
// many threads without external synchronization (one reader/writer lock, held only for the
// in-memory copy, never across user code).
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "traverse/trace/trace_store.hpp"

namespace traverse {

struct InMemoryTraceStoreOptions {
  // Keep input/output payloads in private entries. Default false: only hashes are kept.
  bool keep_payloads = false;
  // Opt-in bound on the number of entries; nullopt = unbounded. When reached, insert returns
  // CapacityExceeded (nothing is evicted).
  std::optional<std::size_t> max_entries{};
};

class InMemoryTraceStore final : public TraceStore {
 public:
  explicit InMemoryTraceStore(InMemoryTraceStoreOptions options = {});

  [[nodiscard]] std::expected<void, TraceError> insert(
      PublicTraceEntry public_entry, std::optional<PrivateTraceEntry> private_entry) override;
  [[nodiscard]] std::expected<TraceRecord, TraceError> get(std::string_view id) const override;
  [[nodiscard]] std::expected<std::vector<PublicTraceEntry>, TraceError> list_public(
      const TraceQuery& query) const override;
  [[nodiscard]] std::expected<std::vector<PublicTraceEntry>, TraceError> list_run(
      std::string_view workflow_run_id) const override;
  [[nodiscard]] std::expected<std::size_t, TraceError> count(
      const TraceQuery& query) const override;
  [[nodiscard]] bool keeps_payloads() const override { return options_.keep_payloads; }

  // Number of entries stored. Thread-safe.
  [[nodiscard]] std::size_t size() const;

 private:
  struct Stored {
    TraceRecord record;
    std::int64_t time_ms;  // parsed PublicTraceEntry::time, ms since the Unix epoch
  };

  const InMemoryTraceStoreOptions options_;
  mutable std::shared_mutex mutex_;
  // State below is protected by mutex_.
  // Insertion order. A deque: entries never move once stored (no relocation of every entry when
  // the store grows), so the index below can key on the stored ids themselves.
  std::deque<Stored> entries_;
  // id -> index in entries_: an open-addressed table (linear probing, power-of-two size, at most
  // half full) of each id's hash and its entry's index + 1 (0: empty). A node-based map cost
  // two or three cache misses per insert once the store is large; here a new id usually costs
  // one, and the id itself is compared only when the hashes match. Nothing is ever removed.
  struct IdSlot {
    std::size_t hash = 0;
    std::size_t index_plus_one = 0;
  };
  std::vector<IdSlot> by_id_;
  // The slot holding `id` (index_plus_one != 0), or the empty slot where it would go.
  [[nodiscard]] std::size_t find_slot(std::string_view id, std::size_t hash) const;
  // Makes room for one more id (may throw; the table is unchanged if it does).
  void reserve_id_slot();
  std::unordered_map<std::string, std::vector<std::size_t>> by_run_;  // run id -> indices
};

}  // namespace traverse
