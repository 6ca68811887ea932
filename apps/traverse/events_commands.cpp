// `traverse events watch`: the events of every runtime that copies them to the JetStream stream
// TRAVERSE_EVENTS (run, workflow run, serve and node with --nats), read on any machine from a
// stream sequence; docs/cluster.md, "Event stream".
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "commands.hpp"
#include "nats_options.hpp"
#include "traverse/cluster/event_stream_reader.hpp"
#include "traverse/json/value.hpp"

namespace traverse::cli {
namespace {

struct WatchOptions {
  NatsCliOptions nats;
  std::uint64_t from_sequence = 0;
  bool only_new = false;
  std::vector<std::string> types;
  std::uint64_t count = 0;       // 0: until stopped
  std::uint64_t timeout_ms = 0;  // 0: no bound
  bool json = false;
};

// How long one wait for the next event lasts: also how soon SIGINT/SIGTERM is noticed.
constexpr std::chrono::milliseconds kWaitSlice{200};

// Blocks SIGINT and SIGTERM in this thread and the client threads started after (they are taken
// with sigtimedwait between waits, so the command stops cleanly).
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

bool stop_requested(const sigset_t& signals) {
  timespec now{0, 0};
  return sigtimedwait(&signals, nullptr, &now) > 0;
}

std::string text_field(const Value& envelope, const char* key) {
  if (envelope.is_object() && envelope.contains(key) && envelope[key].is_string()) {
    return envelope[key].get<std::string>();
  }
  return {};
}

void print_event(CliContext& context, const StreamedEvent& event, bool json) {
  if (json) {
    const Value line{{"sequence", event.sequence},
                     {"subject", event.subject},
                     {"message_id", event.message_id},
                     {"event", event.envelope}};
    context.out() << canonical_dump(line) << std::endl;
    return;
  }
  std::string text = std::to_string(event.sequence) + "  " + text_field(event.envelope, "time") +
                     "  " + event.event_type + "@" + text_field(event.envelope, "version") + "  " +
                     text_field(event.envelope, "id");
  if (const std::string subject_id = text_field(event.envelope, "subject_id");
      !subject_id.empty()) {
    text += "  subject " + subject_id;
  }
  context.out() << escape_terminal_text(text) << std::endl;
}

void watch(const WatchOptions& options, CliContext& context) {
  const sigset_t stop_signals = block_stop_signals();
  auto connection = NatsConnection::connect(to_nats_options(options.nats, "traverse-events"));
  if (!connection) {
    context.fail(
        failure(ExitCode::ExecutionFailed, "NatsUnavailable",
                "cannot connect to " + options.nats.url + ": " + connection.error().to_string()),
        false);
    return;
  }
  EventStreamReaderConfig config;
  config.from_sequence = options.from_sequence;
  config.only_new = options.only_new;
  config.event_types = options.types;
  auto reader = EventStreamReader::open(*connection, config);
  if (!reader) {
    context.fail(failure(ExitCode::ExecutionFailed, "EventStreamUnavailable",
                         "cannot read the event stream at " + options.nats.url + ": " +
                             reader.error().to_string()),
                 false);
    return;
  }
  if (const std::uint64_t first = (*reader)->first_stored_sequence();
      options.from_sequence > 0 && first > options.from_sequence) {
    context.warning("events " + std::to_string(options.from_sequence) + ".." +
                    std::to_string(first - 1) +
                    " are no longer stored (the stream's limits removed them); reading from " +
                    std::to_string(first));
  }

  using Clock = std::chrono::steady_clock;
  const auto deadline = options.timeout_ms > 0
                            ? Clock::now() + std::chrono::milliseconds(options.timeout_ms)
                            : Clock::time_point::max();
  std::uint64_t received = 0;
  std::uint64_t last_sequence = 0;
  bool timed_out = false;
  while (options.count == 0 || received < options.count) {
    if (stop_requested(stop_signals)) {
      break;
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    const auto slice = std::min<Clock::duration>(kWaitSlice, deadline == Clock::time_point::max()
                                                                 ? Clock::duration(kWaitSlice)
                                                                 : deadline - now);
    auto next = (*reader)->next(std::chrono::duration_cast<std::chrono::milliseconds>(slice));
    if (!next) {
      if (next.error().kind() == ClusterErrorKind::MalformedMessage) {
        context.warning("skipped: " + next.error().message());
        continue;
      }
      context.fail(
          failure(ExitCode::ExecutionFailed, "EventStreamUnavailable", next.error().to_string()),
          false);
      return;
    }
    if (!next->has_value()) {
      continue;
    }
    print_event(context, **next, options.json);
    ++received;
    last_sequence = (*next)->sequence;
  }
  if (!context.quiet()) {
    std::string summary = "traverse events watch: " + std::to_string(received) + " event(s)";
    if (last_sequence > 0) {
      summary += ", last sequence " + std::to_string(last_sequence) +
                 " (continue with --from-sequence " + std::to_string(last_sequence + 1) + ")";
    }
    context.err() << summary << std::endl;
  }
  if (timed_out && options.count > 0 && received < options.count) {
    context.fail(
        failure(ExitCode::ExecutionFailed, "Timeout",
                "received " + std::to_string(received) + " of " + std::to_string(options.count) +
                    " event(s) within " + std::to_string(options.timeout_ms) + " ms"),
        false);
    return;
  }
  context.finish(ExitCode::Ok);
}

}  // namespace

void add_events_commands(CLI::App& app, CliContext& context) {
  CLI::App* events =
      app.add_subcommand("events", "Read the cluster's event stream (JetStream, on NATS)");
  events->require_subcommand(1);
  auto options = std::make_shared<WatchOptions>();
  CLI::App* watch_cmd = events->add_subcommand(
      "watch", "Print the events stored in the stream TRAVERSE_EVENTS, then new ones as they come");
  watch_cmd->footer(
      "Every runtime started with --nats (run, workflow run, serve, node) copies the events it "
      "publishes, after their trace is committed, to the JetStream stream TRAVERSE_EVENTS "
      "(subject traverse.events.<event type>). This command reads it in stream order with an "
      "ordered consumer, one line per event: the stream sequence, time, type@version and event "
      "id (with --json: {sequence, subject, message_id, event}). Replay from where a previous "
      "watch stopped with --from-sequence <last + 1>: no gaps, no duplicates; one emission is "
      "stored once even when it was sent twice (its id is the Nats-Msg-Id). Stops after "
      "--count events, after --timeout-ms, or on SIGINT/SIGTERM (exit 0); fewer than --count "
      "events by --timeout-ms exits 1.\n\n" +
      exit_code_help());
  watch_cmd->add_option("--nats", options->nats.url, "NATS server URL")
      ->required()
      ->type_name("URL");
  add_nats_connection_options(watch_cmd, options->nats);
  auto* from = watch_cmd
                   ->add_option("--from-sequence", options->from_sequence,
                                "First stream sequence to print (default: the oldest stored)")
                   ->check(CLI::Range(std::uint64_t{1}, UINT64_MAX))
                   ->type_name("N");
  watch_cmd->add_flag("--new", options->only_new, "Only events stored from now on")->excludes(from);
  watch_cmd
      ->add_option("--type", options->types, "Only events of this type (repeatable; default: all)")
      ->type_name("EVENT_TYPE");
  watch_cmd->add_option("--count", options->count, "Stop after this many events (default: never)")
      ->check(CLI::Range(std::uint64_t{1}, UINT64_MAX))
      ->type_name("N");
  watch_cmd
      ->add_option("--timeout-ms", options->timeout_ms,
                   "Stop after this long (default: never); with --count, fewer events is exit 1")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{86'400'000}))
      ->type_name("MS");
  watch_cmd->add_flag("--json", options->json,
                      "One JSON document per line: {sequence, subject, message_id, event}");
  watch_cmd->callback([options, &context] { watch(*options, context); });
}

}  // namespace traverse::cli
