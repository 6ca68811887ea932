// Internal: the argument checks every TraceStore::insert performs before writing anything.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>

#include "traverse/trace/trace_store.hpp"
#include "traverse/trace/workflow_run_store.hpp"

namespace traverse::trace_internal {

// Milliseconds since the Unix epoch.
[[nodiscard]] inline std::int64_t to_millis(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

// Validates an insert and normalises the private entry (payloads dropped unless kept).
// Success: the entry time in ms since the epoch. Failure: InvalidArgument.
[[nodiscard]] inline std::expected<std::int64_t, TraceError> check_insert(
    const PublicTraceEntry& entry, std::optional<PrivateTraceEntry>& private_entry,
    bool keep_payloads) {
  if (entry.id.empty()) {
    return std::unexpected(
        TraceError{TraceErrorKind::InvalidArgument, "trace entry $.id: expected a non-empty id"});
  }
  auto time = parse_rfc3339(entry.time);
  if (!time) {
    return std::unexpected(
        TraceError{TraceErrorKind::InvalidArgument, "trace entry '" + entry.id +
                                                        "' $.time: expected an RFC 3339 "
                                                        "timestamp, got \"" +
                                                        entry.time + "\""});
  }
  if (private_entry) {
    if (private_entry->trace_id != entry.id) {
      return std::unexpected(TraceError{TraceErrorKind::InvalidArgument,
                                        "private trace entry $.trace_id: expected \"" + entry.id +
                                            "\", got \"" + private_entry->trace_id + "\""});
    }
    if (!keep_payloads) {
      private_entry->input.reset();
      private_entry->output.reset();
    }
  }
  return to_millis(*time);
}

// What every WorkflowRunStore requires of a record before it is stored: non-empty ids and an
// RFC 3339 time.
[[nodiscard]] inline std::expected<void, TraceError> check_run_record(
    const WorkflowRunRecord& record) {
  if (record.run_id.empty() || record.trace_id.empty()) {
    return std::unexpected(TraceError{TraceErrorKind::InvalidArgument,
                                      "workflow run record $.run_id/$.trace_id: expected "
                                      "non-empty ids"});
  }
  if (!parse_rfc3339(record.time)) {
    return std::unexpected(TraceError{TraceErrorKind::InvalidArgument,
                                      "workflow run record '" + record.run_id +
                                          "' $.time: expected an RFC 3339 timestamp, got \"" +
                                          record.time + "\""});
  }
  return {};
}

}  // namespace traverse::trace_internal
