// traverse/service/trace_documents.hpp — the trace listings and details that `traverse trace
// list|show --json` prints and `GET /v1/traces` answers, built in one place.
//
// Listing: the matching entries in a window ending at `cursor` (an offset into the matches,
// oldest first; default: all of them), at most `limit`, oldest first — so without a cursor it
// is the most recent `limit` matches. `next_cursor` pages toward older entries.
// Detail: the entry whose id is a trace id or a recorded workflow run id, with its private
// entry and, for a workflow run, the run record and its steps' entries.
// Thread safety: as the stores (both are thread-safe).
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/json/value.hpp"
#include "traverse/trace/trace_error.hpp"
#include "traverse/trace/trace_store.hpp"
#include "traverse/trace/workflow_run_store.hpp"

namespace traverse {

struct TraceListParams {
  std::optional<std::string> capability_id;
  std::optional<TraceOutcome> outcome;
  std::optional<std::string> workflow_run_id;
  std::size_t limit = 50;
  std::optional<std::size_t> cursor;  // end offset of the window; nullopt: the newest
};

struct TraceListing {
  std::size_t total = 0;  // matching entries
  std::vector<PublicTraceEntry> entries;
  std::optional<std::size_t> next_cursor;  // set when older matches remain
};

struct TraceDetail {
  TraceRecord record;
  std::optional<WorkflowRunRecord> run;
  std::vector<PublicTraceEntry> steps;  // the run's step entries, in step order
};

// Failure: the store's error (Io, Corrupt).
[[nodiscard]] std::expected<TraceListing, TraceError> list_traces(const TraceStore& traces,
                                                                  const TraceListParams& params);

// `runs` may be null (no workflow run records). Failure: NotFound when neither a trace entry
// nor a run has `id`; else the store's error.
[[nodiscard]] std::expected<TraceDetail, TraceError> show_trace(const TraceStore& traces,
                                                                const SqliteWorkflowRunStore* runs,
                                                                std::string_view id);

// {total, returned, entries[], next_cursor?}
[[nodiscard]] Value to_json(const TraceListing& listing);
// {public, private (null when not kept), workflow_run?, steps?}
[[nodiscard]] Value to_json(const TraceDetail& detail);

}  // namespace traverse
