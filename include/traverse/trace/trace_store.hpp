// traverse/trace/trace_store.hpp — where execution traces are recorded and queried (D6).
//
// TraceStore is the interface the router writes to and the runtime/CLI read from;
// implementations are InMemoryTraceStore (default) and SqliteTraceStore (durable). Share one
// store through std::shared_ptr. Entries are immutable once inserted; there is no delete.
// Thread safety: every implementation is safe for concurrent access from many threads without
// external synchronization; concurrent inserts never lose or mix entries.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/trace/trace_entry.hpp"
#include "traverse/trace/trace_error.hpp"

namespace traverse {

// One stored trace: the public entry and, when one was inserted, the private entry.
struct TraceRecord {
  PublicTraceEntry public_entry;
  std::optional<PrivateTraceEntry> private_entry;
  friend bool operator==(const TraceRecord&, const TraceRecord&) = default;
};

// Filters for list_public/count. Every set filter must match (AND). Results are in insertion
// order; `offset` skips that many matches, then at most `limit` are returned.
struct TraceQuery {
  std::optional<std::string> capability_id{};  // exact match
  std::optional<TraceOutcome> outcome{};
  std::optional<std::string> workflow_run_id{};                 // exact match
  std::optional<std::chrono::system_clock::time_point> from{};  // entry time >= from (inclusive)
  std::optional<std::chrono::system_clock::time_point> to{};    // entry time <  to (exclusive)
  std::size_t offset = 0;
  std::optional<std::size_t> limit{};  // nullopt = no limit
};

class TraceStore {
 public:
  virtual ~TraceStore() = default;

  // Records one execution attempt. `private_entry`, when given, must carry trace_id == public
  // id. Payloads in it are dropped unless the store keeps payloads.
  // Success: the entry is visible to every later get/list. Failure (nothing written):
  //   InvalidArgument — empty id, time not RFC 3339, private trace_id mismatch;
  //   Conflict — an entry with this id exists (deliberately not the reference's overwrite:
  //              a trace is evidence and is never silently replaced);
  //   CapacityExceeded — opt-in limit reached; Io — the backing store failed.
  // Thread-safe.
  [[nodiscard]] virtual std::expected<void, TraceError> insert(
      PublicTraceEntry public_entry, std::optional<PrivateTraceEntry> private_entry) = 0;

  // The entry with this id; NotFound if none. Io/Corrupt for a failing backing store.
  // Thread-safe.
  [[nodiscard]] virtual std::expected<TraceRecord, TraceError> get(std::string_view id) const = 0;

  // Public entries matching `query`, in insertion order, paginated. Thread-safe.
  [[nodiscard]] virtual std::expected<std::vector<PublicTraceEntry>, TraceError> list_public(
      const TraceQuery& query) const = 0;

  // The steps of one workflow run ordered by step_index (ties: insertion order); entries of
  // the run without a step_index come last in insertion order. Empty if the run is unknown.
  // Thread-safe.
  [[nodiscard]] virtual std::expected<std::vector<PublicTraceEntry>, TraceError> list_run(
      std::string_view workflow_run_id) const = 0;

  // Number of entries matching the filters of `query` (offset/limit ignored). Thread-safe.
  [[nodiscard]] virtual std::expected<std::size_t, TraceError> count(
      const TraceQuery& query) const = 0;

  // Whether private entries keep their input/output payloads (configuration; never changes).
  [[nodiscard]] virtual bool keeps_payloads() const = 0;
};

// Parses an RFC 3339 timestamp ("2026-11-26T12:00:00.123Z", fractional seconds optional, "Z" or
// "+hh:mm"/"-hh:mm" offset) to a UTC time point; nullopt if malformed. Used for time filters.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_rfc3339(
    std::string_view text);

}  // namespace traverse
