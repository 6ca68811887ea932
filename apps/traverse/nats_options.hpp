// apps/traverse/nats_options.hpp — the `--nats URL` options of every command that can place
// capabilities on cluster nodes (run, workflow run) or serve them (node), added and turned into
// a connection in one place (docs/cluster.md).
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
#include "traverse/cluster/nats_options.hpp"

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
};

// Adds --nats and its credential/TLS options to `command`. `caller`: also --remote-only,
// --remote-timeout-ms and the retry policy (--remote-retry, --remote-max-attempts,
// --remote-backoff-ms) (commands that send executions to nodes).
void add_nats_options(CLI::App* command, NatsCliOptions& options, bool caller);
// Only the credentials and TLS options (--nats-creds, --nats-user, --nats-tls-*): for a command
// that declares its own --nats.
void add_nats_connection_options(CLI::App* command, NatsCliOptions& options);

// The client options (environment variables read here), `name` = the connection name.
[[nodiscard]] NatsOptions to_nats_options(const NatsCliOptions& options, std::string name);

// The cluster a caller uses when --nats was given (nullptr when it was not): connected, with
// the nodes discovered. Failure: exit 1 (NatsUnavailable) naming the URL and the reason.
[[nodiscard]] std::expected<std::shared_ptr<ClusterClient>, CommandFailure> connect_cluster(
    const NatsCliOptions& options);

}  // namespace traverse::cli
