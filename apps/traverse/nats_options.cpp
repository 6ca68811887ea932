#include "nats_options.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace traverse::cli {

void add_nats_connection_options(CLI::App* command, NatsCliOptions& options) {
  command
      ->add_option("--nats-creds", options.credentials_file,
                   "NATS credentials file (.creds: JWT and NKey seed)")
      ->type_name("FILE");
  command
      ->add_option("--nats-user", options.user,
                   "NATS user; the password is read from TRAVERSE_NATS_PASSWORD (a token from "
                   "TRAVERSE_NATS_TOKEN)")
      ->type_name("USER");
  command->add_option("--nats-tls-ca", options.tls_ca_file, "CA certificates to trust (PEM)")
      ->type_name("FILE");
  command->add_option("--nats-tls-cert", options.tls_cert_file, "TLS client certificate (PEM)")
      ->type_name("FILE");
  command->add_option("--nats-tls-key", options.tls_key_file, "TLS client key (PEM)")
      ->type_name("FILE");
}

void add_event_stream_option(CLI::App* command, NatsCliOptions& options) {
  command->add_flag("--no-event-stream", options.no_event_stream,
                    "With --nats, do not copy published events to the JetStream stream "
                    "TRAVERSE_EVENTS (default: copied, see `traverse events watch`)");
}

void add_nats_options(CLI::App* command, NatsCliOptions& options, bool caller) {
  command
      ->add_option("--nats", options.url,
                   "NATS server URL (nats://host:port or tls://...); with it, capabilities run on "
                   "cluster nodes when they should or must (docs/cluster.md)")
      ->type_name("URL");
  add_nats_connection_options(command, options);
  if (caller) {
    command->add_flag("--remote-only", options.remote_only,
                      "Run every capability on a node (workflows still run here, their steps "
                      "on nodes); needs --nats");
    command
        ->add_option("--remote-timeout-ms", options.timeout_ms,
                     "How long a remote call waits for its node's reply (default 30000)")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{3'600'000}))
        ->type_name("MS");
    command
        ->add_option("--remote-retry", options.retry_capabilities,
                     "Capability id that is safe to run twice: its remote calls are resent "
                     "after no responders, a timeout or a full node (repeatable; default: "
                     "nothing is resent, at most once)")
        ->type_name("CAPABILITY_ID");
    command
        ->add_option("--remote-max-attempts", options.max_attempts,
                     "Tries in all for a --remote-retry capability (default 3)")
        ->check(CLI::Range(std::uint32_t{1}, std::uint32_t{100}))
        ->type_name("N");
    command
        ->add_option("--remote-backoff-ms", options.backoff_ms,
                     "Wait before the first resend, doubling before each next one up to 2000 "
                     "(default 50)")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{60'000}))
        ->type_name("MS");
    add_event_stream_option(command, options);
  }
}

NatsOptions to_nats_options(const NatsCliOptions& options, std::string name) {
  NatsOptions nats;
  nats.url = options.url;
  nats.name = std::move(name);
  nats.credentials_file = options.credentials_file;
  nats.user = options.user;
  if (const char* password = std::getenv("TRAVERSE_NATS_PASSWORD"); password != nullptr) {
    nats.password = password;
  }
  if (const char* token = std::getenv("TRAVERSE_NATS_TOKEN"); token != nullptr) {
    nats.token = token;
  }
  nats.tls_ca_file = options.tls_ca_file;
  nats.tls_cert_file = options.tls_cert_file;
  nats.tls_key_file = options.tls_key_file;
  return nats;
}

std::expected<std::shared_ptr<ClusterClient>, CommandFailure> connect_cluster(
    const NatsCliOptions& options) {
  if (options.url.empty()) {
    if (options.remote_only) {
      return std::unexpected(
          failure(ExitCode::Usage, "UsageError", "--remote-only needs --nats URL"));
    }
    return std::shared_ptr<ClusterClient>();
  }
  ClusterClientConfig config;
  config.executor.timeout = std::chrono::milliseconds(options.timeout_ms);
  config.executor.retry.max_attempts = options.max_attempts;
  config.executor.retry.backoff = std::chrono::milliseconds(options.backoff_ms);
  config.executor.retry.max_backoff =
      std::max(config.executor.retry.backoff, std::chrono::milliseconds(2'000));
  config.executor.retry.capability_ids.insert(options.retry_capabilities.begin(),
                                              options.retry_capabilities.end());
  auto client = ClusterClient::connect(to_nats_options(options, "traverse"), config);
  if (!client) {
    return std::unexpected(
        failure(ExitCode::ExecutionFailed, "NatsUnavailable",
                "cannot use the cluster at " + options.url + ": " + client.error().to_string()));
  }
  return std::move(*client);
}

EventStreamBridge::~EventStreamBridge() {
  if (!bridge_) {
    return;
  }
  bridge_->close();
  const EventBridgeStats stats = bridge_->stats();
  const std::string stream = bridge_->stream().stream;
  if (stats.failed + stats.dropped + stats.pending > 0) {
    std::string text = "event stream " + stream + ": " + std::to_string(stats.failed) +
                       " event(s) not stored, " + std::to_string(stats.dropped) +
                       " dropped before sending, " + std::to_string(stats.pending) +
                       " unacknowledged";
    if (!stats.last_problem.empty()) {
      text += " (latest: " + stats.last_problem + ")";
    }
    context_->warning(text);
  }
  context_->note("event stream " + stream + ": " + std::to_string(stats.stored) + " stored, " +
                 std::to_string(stats.duplicates) + " already stored (last sequence " +
                 std::to_string(stats.last_sequence) + ")");
}

EventStreamBridge start_event_stream(CliContext& context, const NatsCliOptions& options,
                                     std::shared_ptr<NatsConnection> connection,
                                     TraverseRuntime& runtime) {
  if (!connection || options.no_event_stream) {
    return {};
  }
  JetStreamEventBridgeConfig config;
  // From the bridge's thread, while the command prints elsewhere: one write per line.
  config.on_problem = [](const std::string& problem) {
    const std::string line = "warning: " + problem + "\n";
    std::cerr.write(line.data(), static_cast<std::streamsize>(line.size()));
  };
  auto bridge = JetStreamEventBridge::start(std::move(connection), runtime.broker(),
                                            runtime.event_catalog(), std::move(config));
  if (!bridge) {
    context.warning("events are not copied to the JetStream stream: " + bridge.error().to_string() +
                    " (--no-event-stream silences this)");
    return {};
  }
  return EventStreamBridge(context, std::move(*bridge));
}

}  // namespace traverse::cli
