// apps/traverse/run_report.hpp — how executing commands print what happened: the result lines,
// the per-step table of a workflow run, the events that were published, and where the trace is.
// Thread safety: confine to the main thread.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "session.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/workflow/workflow_run.hpp"

namespace traverse::cli {

// "output:" and the value as pretty, key-sorted JSON.
void print_output(CliContext& context, const Value& output);

// The step table of a run: step, node, capability, status, duration (and trace id with
// --verbose).
void print_steps(CliContext& context, const WorkflowRun& run);

// "events published: N" and one line per event: type@version, step and node, event id.
void print_events(CliContext& context, const std::vector<ObservedEvent>& events);

// Where the trace is and how to look at it.
void print_trace_location(CliContext& context, const std::string& trace_id,
                          const std::filesystem::path& trace_db,
                          const std::string& run_id = std::string());

// The failure of a run on stderr: "error: <code> (<class>)[ at node N]: message".
void report_run_error(CliContext& context, const WorkflowRunError& error);
// A runtime error on stderr: "error: <message> (<code>)", then one line per violation.
void report_runtime_error(CliContext& context, const RuntimeError& error);

// Why --repeat runs failed, per error code: how many, and the first failure's class and message
// (so a summary says "execution_failed: 2976 (TraceDatabaseIo: trace database ... read-only)").
struct FailureTally {
  std::size_t count = 0;
  std::string error_class;  // details.error_class of the first failure ("" if none)
  std::string first_message;
};
// Counts `error` into `tallies` (keyed by its code).
void tally_failure(std::map<std::string, FailureTally>& tallies, const RuntimeError& error);
// "  <code>: <count> (<class>: <first message>)" for the summary.
[[nodiscard]] std::string format_failure_line(const std::string& code, const FailureTally& tally);

// JSON forms for --json documents.
[[nodiscard]] Value events_to_json(const std::vector<ObservedEvent>& events);

// Events of a single (non-workflow) execution as ObservedEvents: those its trace lists as
// emitted, minus those that could not be published.
[[nodiscard]] std::vector<ObservedEvent> published_events_of(const RuntimeTrace& trace);

}  // namespace traverse::cli
