#include "traverse/service/trace_documents.hpp"

#include <algorithm>
#include <utility>

namespace traverse {

std::expected<TraceListing, TraceError> list_traces(const TraceStore& traces,
                                                    const TraceListParams& params) {
  TraceQuery query;
  query.capability_id = params.capability_id;
  query.outcome = params.outcome;
  query.workflow_run_id = params.workflow_run_id;
  auto total = traces.count(query);
  if (!total) {
    return std::unexpected(std::move(total.error()));
  }
  TraceListing listing;
  listing.total = *total;
  const std::size_t end = std::min(params.cursor.value_or(*total), *total);
  const std::size_t begin = end > params.limit ? end - params.limit : 0;
  if (end > begin) {
    query.offset = begin;
    query.limit = end - begin;
    auto entries = traces.list_public(query);
    if (!entries) {
      return std::unexpected(std::move(entries.error()));
    }
    listing.entries = std::move(*entries);
  }
  if (begin > 0) {
    listing.next_cursor = begin;
  }
  return listing;
}

std::expected<TraceDetail, TraceError> show_trace(const TraceStore& traces,
                                                  const SqliteWorkflowRunStore* runs,
                                                  std::string_view id) {
  // The id is a trace id, or the id of a recorded workflow run.
  TraceDetail detail;
  auto record = traces.get(id);
  if (!record && record.error().kind() == TraceErrorKind::NotFound && runs != nullptr) {
    if (auto found = runs->get(id)) {
      detail.run = std::move(*found);
      record = traces.get(detail.run->trace_id);
    }
  }
  if (!record) {
    if (record.error().kind() == TraceErrorKind::NotFound) {
      return std::unexpected(
          TraceError{TraceErrorKind::NotFound,
                     "no trace entry or workflow run with id '" + std::string(id) + "'"});
    }
    return std::unexpected(std::move(record.error()));
  }
  detail.record = std::move(*record);
  const PublicTraceEntry& entry = detail.record.public_entry;
  // The run entry itself (no step index) carries the evidence.
  if (!detail.run && runs != nullptr && entry.workflow_run_id && !entry.step_index) {
    if (auto found = runs->get(entry.id)) {
      detail.run = std::move(*found);
    }
  }
  if (detail.run) {
    auto listed = traces.list_run(detail.run->run_id);
    if (!listed) {
      return std::unexpected(std::move(listed.error()));
    }
    for (auto& step : *listed) {
      if (step.step_index) {
        detail.steps.push_back(std::move(step));
      }
    }
  }
  return detail;
}

Value to_json(const TraceListing& listing) {
  Value items = Value::array();
  for (const auto& entry : listing.entries) {
    items.push_back(to_json(entry));
  }
  Value document{{"total", listing.total},
                 {"returned", listing.entries.size()},
                 {"entries", std::move(items)}};
  if (listing.next_cursor) {
    document["next_cursor"] = std::to_string(*listing.next_cursor);
  }
  return document;
}

Value to_json(const TraceDetail& detail) {
  Value document{
      {"public", to_json(detail.record.public_entry)},
      {"private", detail.record.private_entry ? to_json(*detail.record.private_entry) : Value()}};
  if (detail.run) {
    document["workflow_run"] = to_json(*detail.run);
    Value items = Value::array();
    for (const auto& step : detail.steps) {
      items.push_back(to_json(step));
    }
    document["steps"] = std::move(items);
  }
  return document;
}

}  // namespace traverse
