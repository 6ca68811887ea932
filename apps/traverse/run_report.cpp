#include "run_report.hpp"

#include <algorithm>

namespace traverse::cli {

void print_output(CliContext& context, const Value& output) {
  context.line("output:");
  context.line(pretty_dump(output));
}

void print_steps(CliContext& context, const WorkflowRun& run) {
  if (run.steps.empty()) {
    return;
  }
  std::vector<std::string> headers{"STEP", "NODE", "CAPABILITY", "STATUS", "DURATION"};
  if (context.verbose()) {
    headers.emplace_back("TRACE");
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& step : run.steps) {
    const auto status = std::string(to_string(step.status));
    std::vector<std::string> row{std::to_string(step.step_index), step.node_id,
                                 step.capability_key(), status,
                                 format_duration_ms(step.duration_ms)};
    if (context.verbose()) {
      row.push_back(step.trace_id.value_or("-"));
    }
    rows.push_back(std::move(row));
  }
  context.line("");
  context.out() << format_table(context, headers, rows);
}

void print_events(CliContext& context, const std::vector<ObservedEvent>& events) {
  context.line("");
  context.line("events published: " + std::to_string(events.size()));
  std::vector<std::vector<std::string>> rows;
  for (const auto& observed : events) {
    rows.push_back(
        {escape_terminal_text(observed.event.event_type + "@" + observed.event.version),
         observed.node_id.empty() ? std::string() : "step " + std::to_string(observed.step_index),
         escape_terminal_text(observed.node_id), escape_terminal_text(observed.event.id)});
  }
  std::vector<std::size_t> widths(4, 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line = " ";
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (widths[i] == 0) {
        continue;
      }
      line += " " + row[i];
      if (i + 1 < row.size()) {
        line.append(widths[i] - row[i].size() + 1, ' ');
      }
    }
    context.line(line);
  }
}

void print_trace_location(CliContext& context, const std::string& trace_id,
                          const std::filesystem::path& trace_db, const std::string& run_id) {
  context.line("");
  context.line("trace: " + escape_terminal_text(trace_id + " in " + trace_db.string()));
  std::string hint = "  " + context.program() + " trace show " + trace_id;
  if (trace_db != std::filesystem::path(kDefaultTraceDb)) {
    hint += " --trace-db " + trace_db.string();
  }
  context.line(escape_terminal_text(hint));
  if (!run_id.empty()) {
    std::string list = "  " + context.program() + " trace list --run " + run_id;
    if (trace_db != std::filesystem::path(kDefaultTraceDb)) {
      list += " --trace-db " + trace_db.string();
    }
    context.line(escape_terminal_text(list));
  }
}

void report_run_error(CliContext& context, const WorkflowRunError& error) {
  std::string text = "error: " + error.code() + " (" + error.error_class() + ")";
  if (error.node_id()) {
    text += " at node " + *error.node_id();
  }
  text += ": " + error.message();
  context.error_line(text);
  if (error.details().is_object() && error.details().contains("violations")) {
    for (const auto& violation : error.details()["violations"]) {
      context.error_line("  " + violation.value("path", std::string("$")) + ": " +
                         violation.value("code", std::string()) + ": " +
                         violation.value("message", std::string()));
    }
  }
}

void report_runtime_error(CliContext& context, const RuntimeError& error) {
  // The message already names the failure ("execution failed: ..."): printed once, never
  // behind another "execution failed" prefix.
  context.error_line("error: " + error.message() + " (" + error.code() + ")");
  if (error.details().is_object() && error.details().contains("violations") &&
      error.details()["violations"].is_array()) {
    for (const auto& violation : error.details()["violations"]) {
      if (violation.is_object()) {
        context.error_line("  " + violation.value("path", std::string("$")) + ": " +
                           violation.value("code", std::string()) + ": " +
                           violation.value("message", std::string()));
      }
    }
  }
}

void tally_failure(std::map<std::string, FailureTally>& tallies, const RuntimeError& error) {
  FailureTally& tally = tallies[error.code()];
  if (tally.count++ == 0) {
    if (error.details().is_object() && error.details().contains("error_class") &&
        error.details()["error_class"].is_string()) {
      tally.error_class = error.details()["error_class"].get<std::string>();
    }
    tally.first_message = error.message();
  }
}

std::string format_failure_line(const std::string& code, const FailureTally& tally) {
  // The message may carry untrusted text (a guest's stderr, a request id): escaped.
  std::string line = "  " + escape_terminal_text(code) + ": " + std::to_string(tally.count);
  if (!tally.first_message.empty()) {
    line += " (" +
            (tally.error_class.empty() ? std::string()
                                       : escape_terminal_text(tally.error_class) + ": ") +
            (tally.count > 1 ? "first: " : "") + escape_terminal_text(tally.first_message) + ")";
  }
  return line;
}

Value events_to_json(const std::vector<ObservedEvent>& events) {
  Value out = Value::array();
  for (const auto& observed : events) {
    Value entry{{"id", observed.event.id},
                {"event_type", observed.event.event_type},
                {"version", observed.event.version},
                {"source", observed.event.source},
                {"time", observed.event.time}};
    if (!observed.node_id.empty()) {
      entry["node_id"] = observed.node_id;
      entry["step_index"] = observed.step_index;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<ObservedEvent> published_events_of(const RuntimeTrace& trace) {
  std::vector<ObservedEvent> events;
  for (const auto& event : trace.emitted_events) {
    const bool failed =
        std::any_of(trace.publish_errors.begin(), trace.publish_errors.end(),
                    [&](const TracePublishError& error) { return error.event_id == event.id; });
    if (!failed) {
      events.push_back(ObservedEvent{0, std::string(), event});
    }
  }
  return events;
}

}  // namespace traverse::cli
