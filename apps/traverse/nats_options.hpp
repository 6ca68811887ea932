// apps/traverse/nats_options.hpp — the `--nats URL` options of every command that can place
// capabilities on cluster nodes (run, workflow run, serve) or serve them (node), added and turned
// into a connection in one place, and the JetStream event bridge those commands start with
// --nats (docs/cluster.md, "Event stream").
//
// Credentials never go on the command line: --nats-creds names a .creds file; a user's password
// comes from TRAVERSE_NATS_PASSWORD, a token from TRAVERSE_NATS_TOKEN (or inside the URL).
// Thread safety: confine to the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "traverse/cluster/cluster_client.hpp"
#include "traverse/cluster/jetstream_event_bridge.hpp"
#include "traverse/cluster/nats_options.hpp"
#include "traverse/runtime/traverse_runtime.hpp"

namespace traverse::cli {

struct NatsCliOptions {
  std::string url;  // empty: no cluster
  std::string credentials_file;
  std::string user;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  bool remote_only = false;
  std::uint64_t timeout_ms = 30'000;
  std::vector<std::string> retry_capabilities;  // --remote-retry: safe to run twice
  std::uint32_t max_attempts = 3;
  std::uint64_t backoff_ms = 50;
  bool no_event_stream = false;  // --no-event-stream: do not bridge events to JetStream
};

// Adds --nats and its credential/TLS options to `command`. `caller`: also --remote-only,
// --remote-timeout-ms and the retry policy (--remote-retry, --remote-max-attempts,
// --remote-backoff-ms) (commands that send executions to nodes).
void add_nats_options(CLI::App* command, NatsCliOptions& options, bool caller);
// Only the credentials and TLS options (--nats-creds, --nats-user, --nats-tls-*): for a command
// that declares its own --nats.
void add_nats_connection_options(CLI::App* command, NatsCliOptions& options);
// --no-event-stream (added by add_nats_options for callers; `node` adds it itself).
void add_event_stream_option(CLI::App* command, NatsCliOptions& options);

// The client options (environment variables read here), `name` = the connection name.
[[nodiscard]] NatsOptions to_nats_options(const NatsCliOptions& options, std::string name);

// The cluster a caller uses when --nats was given (nullptr when it was not): connected, with
// the nodes discovered. Failure: exit 1 (NatsUnavailable) naming the URL and the reason.
[[nodiscard]] std::expected<std::shared_ptr<ClusterClient>, CommandFailure> connect_cluster(
    const NatsCliOptions& options);

// The JetStream event bridge of a command run with --nats: every event the runtime publishes is
// copied to the stream TRAVERSE_EVENTS. Destruction flushes (bounded) and closes it, then warns
// on stderr about every event that was not stored (never silent); --verbose notes the counts.
class EventStreamBridge {
 public:
  EventStreamBridge() = default;
  EventStreamBridge(CliContext& context, std::unique_ptr<JetStreamEventBridge> bridge)
      : context_(&context), bridge_(std::move(bridge)) {}
  EventStreamBridge(EventStreamBridge&&) = default;
  EventStreamBridge& operator=(EventStreamBridge&&) = delete;
  EventStreamBridge(const EventStreamBridge&) = delete;
  EventStreamBridge& operator=(const EventStreamBridge&) = delete;
  ~EventStreamBridge();

  [[nodiscard]] bool active() const { return bridge_ != nullptr; }

 private:
  CliContext* context_ = nullptr;
  std::unique_ptr<JetStreamEventBridge> bridge_;
};

// Starts the bridge over `runtime`'s broker when --nats was given (`connection` non-null) and not
// --no-event-stream. When the stream cannot be used (JetStream off on the server), warns on
// stderr and returns an inactive bridge: the command still runs, its events stay local.
[[nodiscard]] EventStreamBridge start_event_stream(CliContext& context,
                                                   const NatsCliOptions& options,
                                                   std::shared_ptr<NatsConnection> connection,
                                                   TraverseRuntime& runtime);

}  // namespace traverse::cli
