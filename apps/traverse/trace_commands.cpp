// `traverse trace ...`: querying the durable trace database that executing commands write
// (D6): listing entries with filters, and showing one entry with its private hashes and, for a
// workflow run, its steps and traversal evidence.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "commands.hpp"
#include "session.hpp"
#include "traverse/service/trace_documents.hpp"
#include "traverse/trace/trace_store.hpp"
#include "traverse/trace/workflow_run_store.hpp"

namespace traverse::cli {
namespace {

struct ListOptions {
  std::string trace_db;
  std::string capability;
  std::string outcome;
  std::string run;
  std::size_t limit = 50;
  bool json = false;
};

struct ShowOptions {
  std::string trace_db;
  std::string id;
  bool json = false;
};

CommandFailure trace_read_failure(const TraceError& error, const std::filesystem::path& path) {
  return failure(
      error.kind() == TraceErrorKind::NotFound ? ExitCode::ValidationFailed : ExitCode::IoError,
      "Trace" + std::string(to_string(error.kind())), error.message(), path.string());
}

std::string capability_key(const PublicTraceEntry& entry) {
  return entry.capability_id + "@" + entry.capability_version;
}

// `object[key]` when it is a string, else "".
std::string string_field(const Value& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// The events an entry lists as published, each with its type and payload from the private entry
// (entries written before payloads were recorded show the id only). `indent` prefixes each line.
void print_published_events(CliContext& context, const PublicTraceEntry& entry,
                            const PrivateTraceEntry* private_entry, const std::string& indent) {
  for (const auto& id : entry.published_events) {
    const Value* envelope = nullptr;
    if (private_entry != nullptr) {
      for (const auto& candidate : private_entry->published_events) {
        if (candidate.is_object() && string_field(candidate, "id") == id) {
          envelope = &candidate;
          break;
        }
      }
    }
    std::string heading = indent + "- " + id;
    if (envelope != nullptr) {
      heading +=
          " " + string_field(*envelope, "event_type") + "@" + string_field(*envelope, "version");
    }
    context.line(escape_terminal_text(heading));
    if (envelope == nullptr) {
      continue;
    }
    const auto data = envelope->find("data");
    const std::string payload = pretty_dump(data != envelope->end() ? *data : Value());
    std::string::size_type start = 0;
    bool first = true;
    while (start <= payload.size()) {
      const auto end = payload.find('\n', start);
      const std::string line =
          payload.substr(start, end == std::string::npos ? std::string::npos : end - start);
      context.line(escape_terminal_text(indent + (first ? "  data: " : "        ") + line));
      first = false;
      if (end == std::string::npos) {
        break;
      }
      start = end + 1;
    }
  }
}

void list(const ListOptions& options, CliContext& context) {
  auto database = open_trace_database(options.trace_db);
  if (!database) {
    context.fail(database.error(), options.json);
    return;
  }
  TraceListParams params;
  if (!options.capability.empty()) {
    params.capability_id = options.capability;
  }
  if (!options.outcome.empty()) {
    params.outcome = options.outcome == "success"    ? TraceOutcome::Success
                     : options.outcome == "rejected" ? TraceOutcome::Rejected
                                                     : TraceOutcome::Failure;
  }
  if (!options.run.empty()) {
    params.workflow_run_id = options.run;
  }
  params.limit = options.limit;
  // The most recent `limit` matches, oldest first (the same listing as GET /v1/traces).
  auto listing = list_traces(*database->traces, params);
  if (!listing) {
    context.fail(trace_read_failure(listing.error(), database->path), options.json);
    return;
  }
  const auto& entries = listing->entries;
  const std::size_t total = listing->total;
  if (options.json) {
    Value document = to_json(*listing);
    document.erase("next_cursor");
    document["trace_db"] = database->path.string();
    context.json(document);
    context.finish(ExitCode::Ok);
    return;
  }
  std::vector<std::string> headers{"TIME",   "TRACE ID", "CAPABILITY",
                                   "TARGET", "OUTCOME",  "DURATION"};
  if (context.verbose()) {
    headers.emplace_back("RUN");
    headers.emplace_back("STEP");
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& entry : entries) {
    std::vector<std::string> row{entry.time,
                                 entry.id,
                                 capability_key(entry),
                                 entry.placement_target.empty() ? "-" : entry.placement_target,
                                 std::string(to_string(entry.outcome)),
                                 format_duration_ms(entry.duration_ms)};
    if (context.verbose()) {
      row.push_back(entry.workflow_run_id.value_or("-"));
      row.push_back(entry.step_index ? std::to_string(*entry.step_index) : "-");
    }
    rows.push_back(std::move(row));
  }
  if (entries.empty()) {
    const bool filtered =
        !options.capability.empty() || !options.outcome.empty() || !options.run.empty();
    context.line(
        std::string(filtered ? "no trace entries match these filters" : "no trace entries") +
        " in " + database->path.string());
    context.finish(ExitCode::Ok);
    return;
  }
  context.out() << format_table(context, headers, rows);
  if (!context.quiet() && entries.size() < total) {
    context.line("(" + std::to_string(entries.size()) + " most recent of " + std::to_string(total) +
                 " matching entries; use --limit)");
  }
  context.finish(ExitCode::Ok);
}

// The trace ids that start with `prefix` (at most two: enough to tell unique from ambiguous).
std::vector<std::string> trace_ids_starting_with(const TraceStore& traces,
                                                 const std::string& prefix) {
  std::vector<std::string> matches;
  TraceQuery all;
  constexpr std::size_t kPage = 4096;
  all.limit = kPage;
  for (;; all.offset += kPage) {
    auto page = traces.list_public(all);
    if (!page) {
      break;
    }
    for (const auto& candidate : *page) {
      if (candidate.id.starts_with(prefix)) {
        matches.push_back(candidate.id);
      }
    }
    if (page->size() < kPage || matches.size() > 1) {
      break;
    }
  }
  return matches;
}

// The header lines of one entry: ids, capability, outcome, timing, error, attempts, events.
void print_entry(CliContext& context, const TraceRecord& record) {
  const PublicTraceEntry& entry = record.public_entry;
  context.line("trace_id: " + escape_terminal_text(entry.id));
  context.line("execution_id: " + escape_terminal_text(entry.execution_id));
  context.line("time: " + escape_terminal_text(entry.time));
  context.line("capability: " + escape_terminal_text(capability_key(entry)));
  context.line("target: " +
               escape_terminal_text(entry.placement_target.empty() ? "-" : entry.placement_target));
  context.line("outcome: " +
               context.paint_out(to_string(entry.outcome), entry.outcome == TraceOutcome::Success
                                                               ? Style::Green
                                                               : Style::Red));
  context.line("duration: " + format_duration_ms(entry.duration_ms));
  if (entry.error_class) {
    context.line("error_class: " + escape_terminal_text(*entry.error_class));
  }
  if (entry.error_message) {
    context.line("error_message: " + escape_terminal_text(*entry.error_message));
  }
  if (entry.workflow_run_id) {
    context.line("workflow_run_id: " + escape_terminal_text(*entry.workflow_run_id));
  }
  if (entry.step_index) {
    context.line("step_index: " + std::to_string(*entry.step_index));
  }
  if (!entry.attempts.empty()) {  // tries on cluster nodes (docs/cluster.md)
    context.line("attempts: " + std::to_string(entry.attempts.size()));
    for (const TraceAttempt& attempt : entry.attempts) {
      context.line("  #" + std::to_string(attempt.attempt) + " " +
                   escape_terminal_text(attempt.node.empty() ? "-" : attempt.node) + " " +
                   escape_terminal_text(attempt.outcome) + " remote " +
                   std::to_string(attempt.remote_duration_us) + " us, round trip " +
                   std::to_string(attempt.round_trip_us) + " us");
    }
  }
  context.line("published_events: " + std::to_string(entry.published_events.size()));
  print_published_events(context, entry, record.private_entry ? &*record.private_entry : nullptr,
                         "  ");
  if (!entry.publish_errors.empty()) {
    context.line("publish_errors: " + std::to_string(entry.publish_errors.size()));
    for (const auto& error : entry.publish_errors) {
      context.line("  - " + escape_terminal_text(error.event_type + " " + error.event_id + ": " +
                                                 error.error));
    }
  }
  if (record.private_entry) {
    const PrivateTraceEntry& private_entry = *record.private_entry;
    context.line("private:");
    context.line("  inputs_hash: " + escape_terminal_text(private_entry.inputs_hash));
    context.line("  outputs_hash: " +
                 escape_terminal_text(private_entry.outputs_hash.value_or("-")));
    context.line("  resource_usage_ms: " + std::to_string(private_entry.resource_usage_ms));
  }
}

// A workflow run's part: its steps as a table, the events they published, its evidence.
void print_workflow_run(CliContext& context, const TraceStore& traces, const WorkflowRunRecord& run,
                        const std::vector<PublicTraceEntry>& steps) {
  context.line("workflow_run:");
  context.line("  run_id: " + escape_terminal_text(run.run_id));
  context.line("  workflow: " + escape_terminal_text(run.workflow_id + "@" + run.workflow_version));
  context.line("  request_id: " + escape_terminal_text(run.request_id));
  context.line("  steps: " + std::to_string(steps.size()));
  std::vector<std::vector<std::string>> rows;
  for (const auto& step : steps) {
    rows.push_back({std::to_string(*step.step_index), step.id, capability_key(step),
                    std::string(to_string(step.outcome)), format_duration_ms(step.duration_ms)});
  }
  if (!rows.empty()) {
    context.out() << format_table(context,
                                  {"STEP", "TRACE ID", "CAPABILITY", "OUTCOME", "DURATION"}, rows);
  }
  // The events the steps published, with their payloads (from each step's private entry).
  std::size_t step_events = 0;
  for (const auto& step : steps) {
    step_events += step.published_events.size();
  }
  context.line("  events published by the steps: " + std::to_string(step_events));
  for (const auto& step : steps) {
    if (step.published_events.empty()) {
      continue;
    }
    auto step_record = traces.get(step.id);
    const PrivateTraceEntry* step_private =
        step_record && step_record->private_entry ? &*step_record->private_entry : nullptr;
    context.line(
        escape_terminal_text("  step " + std::to_string(step.step_index.value_or(0)) + ":"));
    print_published_events(context, step, step_private, "    ");
  }
  context.line("evidence:");
  context.line(pretty_dump(run.evidence));
}

void show(const ShowOptions& options, CliContext& context) {
  auto database = open_trace_database(options.trace_db);
  if (!database) {
    context.fail(database.error(), options.json);
    return;
  }
  // The id is a trace id, the id of a recorded workflow run (as GET /v1/traces/{id}), or a
  // unique prefix of a trace id.
  auto detail = show_trace(*database->traces, database->runs.get(), options.id);
  if (!detail && detail.error().kind() == TraceErrorKind::NotFound && options.id.size() >= 4) {
    const std::vector<std::string> matches = trace_ids_starting_with(*database->traces, options.id);
    if (matches.size() == 1) {
      detail = show_trace(*database->traces, database->runs.get(), matches.front());
    } else if (matches.size() > 1) {
      context.fail(
          failure(ExitCode::ValidationFailed, "AmbiguousTraceId",
                  "'" + escape_terminal_text(options.id) + "' is the start of several trace ids (" +
                      matches[0] + ", " + matches[1] + ", ...); give more characters",
                  database->path.string()),
          options.json);
      return;
    }
  }
  if (!detail) {
    if (detail.error().kind() == TraceErrorKind::NotFound) {
      context.fail(failure(ExitCode::ValidationFailed, "TraceNotFound",
                           "no trace entry or workflow run with id '" + options.id + "' in " +
                               database->path.string() + " (list them with `traverse trace list`)",
                           database->path.string()),
                   options.json);
    } else {
      context.fail(trace_read_failure(detail.error(), database->path), options.json);
    }
    return;
  }
  if (options.json) {
    Value document = to_json(*detail);
    document["trace_db"] = database->path.string();
    context.json(document);
    context.finish(ExitCode::Ok);
    return;
  }
  print_entry(context, detail->record);
  const PublicTraceEntry& entry = detail->record.public_entry;
  if (detail->run) {
    print_workflow_run(context, *database->traces, *detail->run, detail->steps);
  } else if (entry.workflow_run_id && entry.step_index) {
    context.line(escape_terminal_text("(step " + std::to_string(*entry.step_index) +
                                      " of workflow run " + *entry.workflow_run_id +
                                      ": traverse trace show " + *entry.workflow_run_id + ")"));
  }
  context.finish(ExitCode::Ok);
}

}  // namespace

void add_trace_commands(CLI::App& app, CliContext& context) {
  CLI::App* trace = app.add_subcommand("trace", "Query the trace database");
  trace->require_subcommand(1);

  auto list_options = std::make_shared<ListOptions>();
  CLI::App* list_cmd = trace->add_subcommand(
      "list",
      "List trace entries in the order they were recorded, oldest first: one per execution "
      "attempt (successful or not) and one per workflow run (target 'workflow'; recorded when "
      "the run ends, so after its steps although its time is when it started). Columns: time "
      "(start), trace id, capability@version, target, outcome, duration. Shows the most recently "
      "recorded --limit matches; says so when nothing matches. Exit 4 when the database does not "
      "exist or cannot be read.");
  list_cmd->add_option("--capability", list_options->capability, "Only this capability id")
      ->type_name("ID");
  list_cmd->add_option("--outcome", list_options->outcome, "Only entries with this outcome")
      ->check(CLI::IsMember({"success", "failure", "rejected"}));
  list_cmd
      ->add_option("--run", list_options->run,
                   "Only the entries of this workflow run (its steps and the run itself)")
      ->type_name("RUN_ID");
  list_cmd
      ->add_option("--limit", list_options->limit,
                   "Show at most N entries, the most recent ones (default 50)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->type_name("N");
  list_cmd->add_option("--trace-db", list_options->trace_db, trace_db_help(false))
      ->type_name("FILE")
      ->check(check_trace_db);
  list_cmd->add_flag("--json", list_options->json,
                     "Print one JSON document {trace_db, total, returned, entries[]}");
  list_cmd->callback([list_options, &context] { list(*list_options, context); });

  auto show_options = std::make_shared<ShowOptions>();
  CLI::App* show_cmd = trace->add_subcommand(
      "show",
      "Show one trace entry: the public entry, the events it published (type, version and "
      "payload), the private input/output hashes, and for a workflow run its steps, the events "
      "they published and the traversal evidence (visited nodes, edges, events, result). "
      "The id is a trace id or a workflow run id. Exit 2 when no entry has that id, 4 when the "
      "database does not exist or cannot be read.");
  show_cmd
      ->add_option("id", show_options->id,
                   "Trace id or workflow run id, or a unique prefix of a trace id (4+ characters)")
      ->required();
  show_cmd->add_option("--trace-db", show_options->trace_db, trace_db_help(false))
      ->type_name("FILE")
      ->check(check_trace_db);
  show_cmd->add_flag("--json", show_options->json,
                     "Print one JSON document {public, private, workflow_run?, steps?}");
  show_cmd->callback([show_options, &context] { show(*show_options, context); });
}

}  // namespace traverse::cli
