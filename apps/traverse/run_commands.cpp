// `traverse run` and `traverse workflow run`: executing capabilities and workflows of a bundle
// (with capability packages attached), traced to the SQLite trace database.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli_support.hpp"
#include "commands.hpp"
#include "input_source.hpp"
#include "nats_options.hpp"
#include "package_options.hpp"
#include "run_report.hpp"
#include "schema_option.hpp"
#include "session.hpp"
#include "suggestions.hpp"

namespace traverse::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t elapsed_ms(Clock::time_point since) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

struct RunOptions {
  std::string bundle;
  std::string request;
  PackageOptions packages;
  std::string trace_db;
  bool json = false;
  std::size_t repeat = 1;
  std::size_t concurrency = 1;
  SchemaProfile schema_profile = SchemaProfile::Strict;
  NatsCliOptions nats;
};

struct WorkflowRunOptions {
  std::string bundle;
  std::string workflow;
  std::string input;
  PackageOptions packages;
  std::string trace_db;
  bool json = false;
  SchemaProfile schema_profile = SchemaProfile::Strict;
  NatsCliOptions nats;
};

// What --package does to a bundle (run and workflow run).
constexpr const char* kAttachHelp =
    "Its .wasm is attached to the bundle capability with the same id@version (the contracts "
    "must be identical, else exit 3), or it is added as a new capability";

// The capability ("id@version") whose implementation is missing: the failed step's in a workflow
// run, else the executed capability's; "" when unknown.
std::string missing_capability(const RuntimeExecution& execution) {
  if (execution.workflow_run && execution.workflow_run->error &&
      execution.workflow_run->error->node_id()) {
    for (const auto& step : execution.workflow_run->steps) {
      if (step.node_id == *execution.workflow_run->error->node_id()) {
        return step.capability_key();
      }
    }
  }
  const RuntimeTrace& trace = *execution.trace;
  if (!execution.workflow_run && trace.capability_id) {
    return *trace.capability_id + (trace.capability_version ? "@" + *trace.capability_version : "");
  }
  return {};
}

// A capability without an implementation (artifact_missing): names it and says how to attach
// its package. A bundle carries contracts only, so without packages none has one.
void hint_packages(CliContext& context, const RuntimeExecution& execution,
                   const std::vector<std::string>& packages) {
  const auto& error = execution.result.error;
  if (!error || error->kind() != RuntimeErrorKind::ArtifactMissing || context.quiet()) {
    return;
  }
  const std::string capability = missing_capability(execution);
  context.error_line(
      "hint: " + (capability.empty() ? std::string("a capability") : "capability " + capability) +
      " has no implementation" +
      (packages.empty() ? "; a registry bundle carries contracts only" : std::string()) +
      ": attach its WebAssembly package with --package <package.json> (repeatable), or every "
      "package under a folder with --packages <folder>");
}

// ---- traverse workflow run ----

// The result of `workflow run` as one JSON document.
Value workflow_run_document(const RuntimeExecution& execution,
                            const std::vector<ObservedEvent>& events, const Session& session,
                            std::uint64_t duration_ms) {
  const RuntimeResult& result = execution.result;
  Value document = Value::object();
  if (execution.workflow_run) {
    document = to_json(*execution.workflow_run);
    document["evidence"] = execution.workflow_run->evidence;
  } else {
    document["status"] = "error";
    if (result.error) {
      document["error"] = to_json(*result.error);
    }
  }
  document["events"] = events_to_json(events);
  document["trace_db"] = session.trace_db.string();
  document["duration_ms"] = duration_ms;
  if (!result.trace_ref.empty()) {
    document["trace_ref"] = result.trace_ref;
  }
  return document;
}

void print_workflow_run(CliContext& context, const RuntimeExecution& execution,
                        const std::vector<ObservedEvent>& events, const Session& session) {
  const RuntimeResult& result = execution.result;
  const WorkflowRun* run = execution.workflow_run ? &*execution.workflow_run : nullptr;
  if (!context.quiet() && run != nullptr) {
    context.line(
        "workflow: " +
        escape_terminal_text(run->workflow_id +
                             (run->workflow_version.empty() ? "" : "@" + run->workflow_version)));
    context.line("run_id: " + escape_terminal_text(run->run_id));
    context.line("status: " + context.paint_out(to_string(run->status),
                                                run->completed() ? Style::Green : Style::Red));
  }
  if (result.output) {
    if (context.quiet()) {
      context.line(pretty_dump(*result.output));
    } else {
      print_output(context, *result.output);
    }
  }
  if (context.quiet()) {
    return;
  }
  if (run != nullptr) {
    print_steps(context, *run);
    if (!run->steps.empty()) {
      print_events(context, events);
    }
  }
  if (!result.trace_ref.empty()) {
    print_trace_location(context, result.trace_ref, session.trace_db,
                         run != nullptr ? run->run_id : std::string());
  }
}

// What `run` and `workflow run` hold while they execute: the session over the trace database
// with the bundle and packages loaded (its runtime holds the cluster client, with --nats), and
// the event stream.
struct LoadedSession {
  Session session;
  // Last, so it ends first: flushed (its losses reported) while the runtime still lives.
  EventStreamBridge event_stream;
};

// Connects to the cluster, opens the session and loads the bundle and `packages` into it. A
// failure is reported on `context` (as JSON with `json`) and gives nullopt.
std::optional<LoadedSession> open_loaded_session(CliContext& context, const NatsCliOptions& nats,
                                                 const std::string& trace_db,
                                                 const std::string& bundle,
                                                 const std::vector<std::string>& packages,
                                                 std::shared_ptr<StepObserver> observer,
                                                 SessionOptions session_options, bool json) {
  auto cluster = connect_cluster(nats);
  if (!cluster) {
    context.fail(cluster.error(), json);
    return std::nullopt;
  }
  session_options.remote = *cluster;
  session_options.remote_only = nats.remote_only;
  auto session = open_session(trace_db, std::move(observer), session_options);
  if (!session) {
    context.fail(session.error(), json);
    return std::nullopt;
  }
  EventStreamBridge event_stream = start_event_stream(
      context, nats, *cluster ? (*cluster)->connection() : nullptr, *session->runtime);
  if (auto loaded = load_bundle_and_packages(context, *session->runtime, bundle, packages);
      !loaded) {
    context.fail(loaded.error(), json);
    return std::nullopt;
  }
  return LoadedSession{std::move(*session), std::move(event_stream)};
}

void workflow_run(const WorkflowRunOptions& options, CliContext& context) {
  auto input = read_json_argument(options.input);
  if (!input) {
    context.fail(input.error(), options.json);
    return;
  }
  const auto packages = package_manifests(context, options.packages);
  if (!packages) {
    context.fail(packages.error(), options.json);
    return;
  }
  auto observer = std::make_shared<StepObserver>(&context, true);
  SessionOptions session_options;
  session_options.schema_profile = options.schema_profile;
  auto loaded = open_loaded_session(context, options.nats, options.trace_db, options.bundle,
                                    *packages, observer, session_options, options.json);
  if (!loaded)
    return;
  Session& session = loaded->session;

  const auto clock = Clock::now();
  if (context.progress_enabled()) {
    context.progress("workflow " + options.workflow + ": starting");
  }
  const RuntimeExecution execution = session.runtime->run_workflow(options.workflow, *input);
  const std::uint64_t duration_ms = elapsed_ms(clock);
  observer->done();
  const auto events = observer->events();

  if (options.json) {
    context.json(workflow_run_document(execution, events, session, duration_ms));
  } else {
    print_workflow_run(context, execution, events, session);
  }
  const RuntimeResult& result = execution.result;
  for (const auto& warning : result.warnings) {
    context.warning(warning.code + ": " + warning.message);
  }
  // An unknown workflow (or version) is refused before a run exists: error class WorkflowNotFound.
  const bool workflow_not_found =
      execution.workflow_run && execution.workflow_run->error
          ? execution.workflow_run->error->kind() == WorkflowFailureReason::WorkflowNotFound
          : result.error && result.error->details().is_object() &&
                result.error->details().value("error_class", "") == "WorkflowNotFound";
  if (execution.workflow_run && execution.workflow_run->error) {
    report_run_error(context, *execution.workflow_run->error);
  } else if (result.error) {
    report_runtime_error(context, *result.error);
  }
  if (workflow_not_found && !context.quiet()) {
    for (const auto& hint :
         workflow_hints(*session.runtime->workflow_registry(), options.workflow)) {
      context.error_line("hint: " + hint);
    }
  }
  if (result.error) {
    hint_packages(context, execution, *packages);
    context.finish(exit_code_for(result.error->kind()));
  } else {
    context.finish(ExitCode::Ok);
  }
}

// ---- traverse run --repeat ----

struct LoadReport {
  std::size_t completed = 0;
  std::size_t failed = 0;
  std::uint64_t wall_us = 0;
  std::vector<std::uint64_t> latencies_us;  // sorted
  std::map<std::string, FailureTally> errors;
};

double percentile_ms(const std::vector<std::uint64_t>& sorted, double p) {
  if (sorted.empty()) {
    return 0.0;
  }
  // Nearest rank.
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  const std::size_t index = std::clamp<std::size_t>(rank, 1, sorted.size()) - 1;
  return static_cast<double>(sorted[index]) / 1000.0;
}

std::string ms_text(double ms) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, ms < 10.0 ? "%.3f ms" : "%.1f ms", ms);
  return buffer;
}

LoadReport run_load(CliContext& context, TraverseRuntime& runtime, const RuntimeRequest& request,
                    std::size_t repeat, std::size_t concurrency) {
  LoadReport report;
  report.latencies_us.assign(repeat, 0);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::mutex mutex;
  std::condition_variable finished_cv;
  std::size_t finished_threads = 0;
  // Guarded by mutex.
  std::map<std::string, FailureTally> errors;
  std::size_t failed = 0;

  const auto start = Clock::now();
  {
    std::vector<std::jthread> threads;
    threads.reserve(concurrency);
    for (std::size_t t = 0; t < concurrency; ++t) {
      threads.emplace_back([&] {
        for (std::size_t i = next.fetch_add(1); i < repeat; i = next.fetch_add(1)) {
          const auto begin = Clock::now();
          const RuntimeResult result = runtime.execute_capability(request);
          report.latencies_us[i] = static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - begin).count());
          if (!result.completed()) {
            std::lock_guard lock(mutex);
            ++failed;
            tally_failure(errors, result.error.value_or(RuntimeError{"unknown", "", {}}));
          }
          done.fetch_add(1);
        }
        std::lock_guard lock(mutex);
        ++finished_threads;
        finished_cv.notify_all();
      });
    }
    // Progress: refreshed while the threads work (the wait ends as soon as they all finish).
    std::unique_lock lock(mutex);
    while (!finished_cv.wait_for(lock, std::chrono::milliseconds(100),
                                 [&] { return finished_threads == concurrency; })) {
      if (context.progress_enabled()) {
        const std::size_t now_done = done.load();
        context.progress("run " + std::to_string(now_done) + "/" + std::to_string(repeat) + " (" +
                         std::to_string(now_done * 100 / std::max<std::size_t>(repeat, 1)) + "%)");
      }
    }
  }  // joins
  report.wall_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
  context.clear_progress();
  report.failed = failed;
  report.completed = repeat - failed;
  report.errors = std::move(errors);
  std::sort(report.latencies_us.begin(), report.latencies_us.end());
  return report;
}

void run_repeated(const RunOptions& options, CliContext& context, Session& session,
                  const RuntimeRequest& request) {
  const LoadReport report =
      run_load(context, *session.runtime, request, options.repeat, options.concurrency);
  const double wall_s = static_cast<double>(report.wall_us) / 1e6;
  const double throughput = wall_s > 0.0 ? static_cast<double>(options.repeat) / wall_s : 0.0;
  const double p50 = percentile_ms(report.latencies_us, 0.50);
  const double p90 = percentile_ms(report.latencies_us, 0.90);
  const double p99 = percentile_ms(report.latencies_us, 0.99);
  const double max =
      report.latencies_us.empty() ? 0.0 : static_cast<double>(report.latencies_us.back()) / 1000.0;
  double sum = 0.0;
  for (const auto us : report.latencies_us) {
    sum += static_cast<double>(us);
  }
  const double mean = report.latencies_us.empty()
                          ? 0.0
                          : sum / static_cast<double>(report.latencies_us.size()) / 1000.0;
  if (options.json) {
    Value errors = Value::object();
    Value first_errors = Value::object();
    for (const auto& [code, tally] : report.errors) {
      errors[code] = tally.count;
      first_errors[code] =
          Value{{"error_class", tally.error_class}, {"message", tally.first_message}};
    }
    context.json(
        Value{{"request_id", request.request_id},
              {"repeat", options.repeat},
              {"concurrency", options.concurrency},
              {"completed", report.completed},
              {"failed", report.failed},
              {"errors", errors},
              {"first_errors", first_errors},
              {"wall_ms", static_cast<double>(report.wall_us) / 1000.0},
              {"throughput_per_second", throughput},
              {"latency_ms",
               Value{{"p50", p50}, {"p90", p90}, {"p99", p99}, {"max", max}, {"mean", mean}}},
              {"trace_db", session.trace_db.string()}});
  } else {
    char line[160];
    context.line("request_id: " + escape_terminal_text(request.request_id));
    context.line("runs: " + std::to_string(options.repeat) + " from " +
                 std::to_string(options.concurrency) + " thread(s)");
    context.line("completed: " + std::to_string(report.completed) +
                 "  failed: " + std::to_string(report.failed));
    for (const auto& [code, tally] : report.errors) {
      context.line(format_failure_line(code, tally));
    }
    std::snprintf(line, sizeof line, "wall time: %.3f s", wall_s);
    context.line(line);
    std::snprintf(line, sizeof line, "throughput: %.1f runs/s", throughput);
    context.line(line);
    context.line("latency: p50 " + ms_text(p50) + "  p90 " + ms_text(p90) + "  p99 " +
                 ms_text(p99) + "  max " + ms_text(max));
    if (!context.quiet()) {
      context.line("traces: " + escape_terminal_text(session.trace_db.string()));
    }
  }
  context.finish(report.failed == 0 ? ExitCode::Ok : ExitCode::ExecutionFailed);
}

// ---- traverse run ----

// The events of one execution: those its workflow steps published, or its own.
std::vector<ObservedEvent> events_of(const RuntimeExecution& execution,
                                     const StepObserver& observer) {
  return execution.workflow_run ? observer.events() : published_events_of(*execution.trace);
}

Value run_document(const RuntimeExecution& execution, const std::vector<ObservedEvent>& events,
                   const Session& session) {
  const RuntimeResult& result = execution.result;
  const RuntimeTrace& trace = *execution.trace;
  Value document = to_json(result);
  if (trace.capability_id) {
    document["capability_id"] = *trace.capability_id;
  }
  if (trace.capability_version) {
    document["capability_version"] = *trace.capability_version;
  }
  if (execution.workflow_run) {
    document["workflow_run_id"] = execution.workflow_run->run_id;
    document["workflow_evidence"] = execution.workflow_run->evidence;
    document["steps"] = to_json(*execution.workflow_run)["steps"];
  } else if (trace.workflow_evidence) {
    document["workflow_evidence"] = *trace.workflow_evidence;
  }
  document["events"] = events_to_json(events);
  document["trace_db"] = session.trace_db.string();
  document["traced"] = !result.trace_ref.empty();
  return document;
}

void print_run(CliContext& context, const RuntimeExecution& execution,
               const std::vector<ObservedEvent>& events, const Session& session) {
  const RuntimeResult& result = execution.result;
  const RuntimeTrace& trace = *execution.trace;
  if (!context.quiet()) {
    context.line("request_id: " + escape_terminal_text(result.request_id));
    context.line("execution_id: " + escape_terminal_text(result.execution_id));
    if (trace.capability_id) {
      context.line("capability_id: " + escape_terminal_text(*trace.capability_id));
    }
    if (trace.capability_version) {
      context.line("capability_version: " + escape_terminal_text(*trace.capability_version));
    }
    context.line("status: " + context.paint_out(to_string(result.status),
                                                result.completed() ? Style::Green : Style::Red));
    if (!result.trace_ref.empty()) {
      context.line("trace_ref: " + escape_terminal_text(result.trace_ref));
    }
  }
  if (result.output) {
    if (context.quiet()) {
      context.line(pretty_dump(*result.output));
    } else {
      print_output(context, *result.output);
    }
  }
  if (context.quiet()) {
    return;
  }
  if (execution.workflow_run) {
    print_steps(context, *execution.workflow_run);
  }
  print_events(context, events);
  if (!result.trace_ref.empty()) {
    print_trace_location(context, result.trace_ref, session.trace_db,
                         execution.workflow_run ? execution.workflow_run->run_id : std::string());
  }
}

void run(const RunOptions& options, CliContext& context) {
  auto request = read_request_argument(options.request);
  if (!request) {
    context.fail(request.error(), options.json);
    return;
  }
  const auto packages = package_manifests(context, options.packages);
  if (!packages) {
    context.fail(packages.error(), options.json);
    return;
  }
  const bool repeated = options.repeat > 1;
  auto observer = std::make_shared<StepObserver>(repeated ? nullptr : &context, !repeated);
  SessionOptions session_options;
  session_options.schema_profile = options.schema_profile;
  if (repeated) {
    session_options.wasm_workers = std::min<std::size_t>(options.concurrency, 64);
    session_options.wasm_queue = std::max<std::size_t>(options.concurrency, 64);
  }
  auto loaded = open_loaded_session(context, options.nats, options.trace_db, options.bundle,
                                    *packages, observer, session_options, options.json);
  if (!loaded)
    return;
  Session& session = loaded->session;
  if (repeated) {
    run_repeated(options, context, session, *request);
    return;
  }

  const RuntimeExecution execution = session.runtime->execute(*request);
  observer->done();
  const std::vector<ObservedEvent> events = events_of(execution, *observer);
  if (options.json) {
    context.json(run_document(execution, events, session));
  } else {
    print_run(context, execution, events, session);
  }
  const RuntimeResult& result = execution.result;
  for (const auto& warning : result.warnings) {
    context.warning(warning.code + ": " + warning.message);
  }
  if (result.error) {
    report_runtime_error(context, *result.error);
    if (result.error->kind() == RuntimeErrorKind::CapabilityNotFound && request->capability_id &&
        !context.quiet()) {
      for (const auto& hint :
           capability_hints(*session.runtime->capability_registry(), *request->capability_id)) {
        context.error_line("hint: " + hint);
      }
    }
    hint_packages(context, execution, *packages);
    context.finish(exit_code_for(result.error->kind()));
  } else {
    context.finish(ExitCode::Ok);
  }
}

void add_shared_options(CLI::App* command, PackageOptions& packages, std::string& trace_db,
                        bool& json) {
  add_package_options(command, packages, kAttachHelp);
  command->add_option("--trace-db", trace_db, trace_db_help())
      ->type_name("FILE")
      ->check(check_trace_db);
  command->add_flag("--json", json,
                    "Print one JSON document: the whole result (output at the top level), the "
                    "workflow evidence and the published events");
}

}  // namespace

void add_run_commands(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* run_cmd =
      app.add_subcommand("run", "Run a runtime request against a registry bundle (and packages)");
  run_cmd->footer(
      "Runs a capability, or a workflow-backed capability (every step traced). Prints the "
      "status, ids and output, the step table of a workflow-backed capability, the events that "
      "were published, and where the trace is stored. With --repeat it prints throughput and "
      "latency percentiles instead. Exit 1 when the execution fails, 2 when the request or its "
      "input is invalid, 3 on a package/bundle conflict, 4 when a file cannot be read.\n\n" +
      exit_code_help());
  run_cmd->add_option("bundle", options->bundle, "Registry bundle manifest (JSON)")->required();
  run_cmd
      ->add_option("request", options->request,
                   std::string("Runtime request (kind runtime_request)") + kJsonArgumentHelp)
      ->required();
  add_shared_options(run_cmd, options->packages, options->trace_db, options->json);
  add_schema_profile_option(run_cmd, options->schema_profile);
  run_cmd
      ->add_option("--repeat", options->repeat,
                   "Load check: run the request N times and print throughput and latency "
                   "percentiles (p50/p90/p99/max) instead of the result")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->type_name("N");
  run_cmd
      ->add_option("--concurrency", options->concurrency,
                   "Threads issuing the --repeat runs at once (1-256; default 1)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{256}))
      ->type_name("C");
  add_nats_options(run_cmd, options->nats, true);
  run_cmd->callback([options, &context] { run(*options, context); });

  CLI::App* workflow = app.add_subcommand("workflow", "Run workflows of a registry bundle");
  workflow->require_subcommand(1);
  auto workflow_options = std::make_shared<WorkflowRunOptions>();
  CLI::App* workflow_run_cmd = workflow->add_subcommand(
      "run",
      "Run a registered workflow on an input: every step goes through the runtime (placement, "
      "executor, trace, events). Prints the status and output, a per-step table (node, "
      "capability, status, duration), the events that were published, and where the trace is "
      "stored. Exit 1 when a step fails, 2 when the input or workflow is invalid.");
  workflow_run_cmd
      ->add_option("bundle", workflow_options->bundle, "Registry bundle manifest (JSON)")
      ->required();
  workflow_run_cmd
      ->add_option("workflow", workflow_options->workflow,
                   "Workflow id, optionally with @version (e.g. plan-expedition@1.0.0)")
      ->required();
  workflow_run_cmd
      ->add_option("--input", workflow_options->input,
                   std::string("Workflow input") + kJsonArgumentHelp)
      ->required()
      ->type_name("INPUT");
  add_shared_options(workflow_run_cmd, workflow_options->packages, workflow_options->trace_db,
                     workflow_options->json);
  add_schema_profile_option(workflow_run_cmd, workflow_options->schema_profile);
  add_nats_options(workflow_run_cmd, workflow_options->nats, true);
  workflow_run_cmd->callback(
      [workflow_options, &context] { workflow_run(*workflow_options, context); });
}

}  // namespace traverse::cli
