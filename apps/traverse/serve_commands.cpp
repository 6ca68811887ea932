// `traverse serve`: the runtime of a bundle (and packages) as a network service — the HTTP/JSON
// routes, the event stream and the metrics of traverse::Service (docs/service.md).
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "commands.hpp"
#include "nats_options.hpp"
#include "package_options.hpp"
#include "session.hpp"
#include "traverse/service/service.hpp"
#include "traverse/service/token_store.hpp"

namespace traverse::cli {
namespace {

struct ServeOptions {
  std::string bundle;
  PackageOptions packages;
  std::string listen = "127.0.0.1:8080";
  std::string trace_db;
  std::string token_file;
  std::string tls_cert;
  std::string tls_key;
  std::size_t io_threads = 2;
  std::size_t workers = 4;
  std::size_t max_executions = 1024;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_connections = 1024;
  std::size_t event_buffer = 4096;
  std::uint64_t max_timeout_ms = 60'000;
  std::uint64_t grace_ms = 10'000;
  NatsCliOptions nats;
};

// Splits "host:port" ("[v6]:port"). Failure: nullopt.
std::optional<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return std::nullopt;
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc() || ptr != end || port > 65535) {
    return std::nullopt;
  }
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

// The runtime `traverse serve` serves: the trace database, a runtime writing to it (placing
// capabilities on cluster nodes with --nats), and the bundle with its packages. The ONE place
// serve loads artifacts (to become TraverseRuntime::load_bundle(manifest, packages)).
std::expected<Session, CommandFailure> load_runtime(CliContext& context,
                                                    const ServeOptions& options,
                                                    const std::shared_ptr<ClusterClient>& cluster) {
  auto packages = package_manifests(context, options.packages);
  if (!packages) {
    return std::unexpected(std::move(packages.error()));
  }
  // A long-running service must not accumulate published events.
  auto observer = std::make_shared<StepObserver>(nullptr, false, 0);
  SessionOptions session_options;
  session_options.remote = cluster;
  session_options.remote_only = options.nats.remote_only;
  auto session = open_session(options.trace_db, observer, session_options);
  if (!session) {
    return std::unexpected(session.error());
  }
  if (auto loaded = load_bundle_and_packages(context, *session->runtime, options.bundle, *packages);
      !loaded) {
    return std::unexpected(loaded.error());
  }
  return session;
}

// Adds a workflow-backed capability's run to the response document. The runtime has already
// recorded the run (its own trace entry next to its steps', its evidence in the run store).
ExecutionHook workflow_document(Session& session) {
  return [&session](const RuntimeExecution& execution,
                    Value& document) -> std::expected<void, std::string> {
    if (!execution.workflow_run) {
      return {};
    }
    const WorkflowRun& run = *execution.workflow_run;
    document["workflow_run_id"] = run.run_id;
    document["workflow_evidence"] = run.evidence;
    document["steps"] = to_json(run)["steps"];
    // The run's published events: those its steps' trace entries list.
    Value published = Value::array();
    if (auto steps = session.traces->list_run(run.run_id)) {
      for (const auto& step : *steps) {
        for (const auto& id : step.published_events) {
          published.push_back(id);
        }
      }
    }
    document["published_events"] = std::move(published);
    return {};
  };
}

void serve(const ServeOptions& options, CliContext& context) {
  const auto listen = parse_listen(options.listen);
  if (!listen) {
    context.fail(failure(ExitCode::Usage, "InvalidListenAddress",
                         "--listen '" + options.listen +
                             "' is not HOST:PORT (e.g. 127.0.0.1:8080, 127.0.0.1:0)"),
                 false);
    return;
  }
  // Checked before the (slow) runtime load: one TLS file without the other is a usage error.
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    context.fail(failure(ExitCode::Usage, "TlsOptions",
                         options.tls_cert.empty()
                             ? "--tls-key needs --tls-cert (the certificate chain, PEM)"
                             : "--tls-cert needs --tls-key (the certificate's private key, PEM)"),
                 false);
    return;
  }
  for (const auto& [option, file] :
       {std::pair{"--tls-cert", &options.tls_cert}, std::pair{"--tls-key", &options.tls_key}}) {
    if (!file->empty() && !std::ifstream(*file).good()) {
      context.fail(failure(ExitCode::IoError, "TlsFile",
                           std::string(option) + " " + *file + " cannot be read", *file),
                   false);
      return;
    }
  }
  TokenStore tokens;
  if (!options.token_file.empty()) {
    auto loaded = TokenStore::load(options.token_file);
    if (!loaded) {
      context.fail(failure(ExitCode::ValidationFailed, "TokenFile", loaded.error().message(),
                           options.token_file),
                   false);
      return;
    }
    tokens = std::move(*loaded);
  }
  auto cluster = connect_cluster(options.nats);
  if (!cluster) {
    context.fail(cluster.error(), false);
    return;
  }
  auto session = load_runtime(context, options, *cluster);
  if (!session) {
    context.fail(session.error(), false);
    return;
  }
  // Closed after the service (flushed, its losses reported on stderr).
  const EventStreamBridge event_stream = start_event_stream(
      context, options.nats, *cluster ? (*cluster)->connection() : nullptr, *session->runtime);

  ServiceDependencies dependencies;
  dependencies.runtime = session->runtime.get();
  dependencies.traces = session->traces;
  // Non-owning: the session (and its run store) outlives the service.
  dependencies.runs =
      std::shared_ptr<SqliteWorkflowRunStore>(std::shared_ptr<void>(), session->runs.get());
  dependencies.tokens = std::move(tokens);
  dependencies.after_execute = workflow_document(*session);

  ServiceConfig config;
  config.address = listen->first;
  config.port = listen->second;
  config.tls_cert_file = options.tls_cert;
  config.tls_key_file = options.tls_key;
  config.io_threads = options.io_threads;
  config.workers = options.workers;
  config.max_executions = options.max_executions;
  config.max_body_bytes = options.max_body_bytes;
  config.max_connections = options.max_connections;
  config.event_buffer = options.event_buffer;
  config.max_request_timeout = std::chrono::milliseconds(options.max_timeout_ms);
  config.shutdown_grace = std::chrono::milliseconds(options.grace_ms);
  config.handle_signals = true;
  auto log_mutex = std::make_shared<std::mutex>();
  // One write per line (stderr is unbuffered: `<< line << '\n'` would be two).
  config.access_log = [log_mutex](std::string_view line) {
    std::string text;
    text.reserve(line.size() + 1);
    text.append(line).push_back('\n');
    std::lock_guard lock(*log_mutex);
    std::cerr.write(text.data(), static_cast<std::streamsize>(text.size()));
  };

  auto service = Service::start(std::move(dependencies), std::move(config));
  if (!service) {
    const ServiceErrorKind kind = service.error().kind();
    const ExitCode code = kind == ServiceErrorKind::Bind  ? ExitCode::IoError
                          : kind == ServiceErrorKind::Tls ? ExitCode::ValidationFailed
                                                          : ExitCode::Usage;
    context.fail(failure(code, "Service" + std::string(to_string(service.error().kind())),
                         service.error().message()),
                 false);
    return;
  }
  context.out() << (*service)->url() << std::endl;
  (*service)->wait();
  service->reset();  // every request answered; the trace database closes with the session
  context.err() << "traverse serve: stopped" << std::endl;
  context.finish(ExitCode::Ok);
}

}  // namespace

void add_serve_commands(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* serve_cmd = app.add_subcommand(
      "serve", "Serve a registry bundle (and packages) over HTTP/JSON and WebSocket");
  serve_cmd->footer(
      "Loads the bundle and packages like `traverse run`, listens, and prints the URL it listens "
      "on (with port 0: the chosen port) on stdout. Routes: /healthz, /readyz, /metrics, "
      "/v1/capabilities[/{id}|/execute|/register], /v1/executions/{id}, "
      "/v1/workflows[/{id}|/register], /v1/traces[/{id}], /v1/events (WebSocket or SSE); see "
      "docs/service.md. One line per request on stderr. SIGINT/SIGTERM: stop accepting, finish "
      "in-flight requests, exit 0. Refuses a non-loopback --listen without --token-file. With "
      "--tls-cert and --tls-key the port speaks HTTPS and WSS only (the URL printed is "
      "https://). With --nats URL, capabilities run on cluster nodes when they should or must "
      "(as with `traverse run --nats`) and published events are copied to the JetStream stream "
      "TRAVERSE_EVENTS (docs/cluster.md).\n\n" +
      exit_code_help());
  serve_cmd->add_option("--bundle", options->bundle, "Registry bundle manifest (JSON)")
      ->required()
      ->type_name("FILE");
  add_package_options(serve_cmd, options->packages, "Attached as with `traverse run`");
  serve_cmd
      ->add_option("--listen", options->listen,
                   "Address to listen on (HOST:PORT; port 0 chooses a free port). Default "
                   "127.0.0.1:8080")
      ->type_name("HOST:PORT");
  serve_cmd->add_option("--trace-db", options->trace_db, trace_db_help())->type_name("FILE");
  serve_cmd
      ->add_option("--token-file", options->token_file,
                   "Bearer tokens, one `TOKEN SCOPE...` a line (scopes execute, register, read); "
                   "every request except /healthz and /readyz then needs `Authorization: Bearer`")
      ->type_name("FILE");
  serve_cmd
      ->add_option("--tls-cert", options->tls_cert,
                   "TLS certificate chain (PEM, leaf first); needs --tls-key. HTTP and WebSocket "
                   "are then served over TLS 1.2+ on the same port")
      ->type_name("FILE");
  serve_cmd
      ->add_option("--tls-key", options->tls_key,
                   "Private key (PEM) of --tls-cert; needs --tls-cert. Checked at start: an "
                   "unreadable, malformed or mismatched pair exits with an error")
      ->type_name("FILE");
  serve_cmd->add_option("--io-threads", options->io_threads, "I/O threads (1-64; default 2)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}))
      ->type_name("N");
  serve_cmd
      ->add_option("--workers", options->workers,
                   "Threads for registrations and trace queries off the I/O threads (1-1024; "
                   "default 4); executions run on the runtime's executors")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}))
      ->type_name("N");
  serve_cmd
      ->add_option("--max-executions", options->max_executions,
                   "Executions in flight at most; further ones get 503 with Retry-After "
                   "(default 1024)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->type_name("N");
  serve_cmd
      ->add_option("--max-body-bytes", options->max_body_bytes,
                   "Largest request body; larger ones get 413 (default 1048576)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30))
      ->type_name("BYTES");
  serve_cmd
      ->add_option("--max-connections", options->max_connections,
                   "Open connections at most; further ones are closed at once (default 1024)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->type_name("N");
  serve_cmd
      ->add_option("--event-buffer", options->event_buffer,
                   "Events kept for /v1/events; a client further behind is told how many it "
                   "missed (default 4096)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->type_name("N");
  serve_cmd
      ->add_option("--max-timeout-ms", options->max_timeout_ms,
                   "Bound (and default) of a request's X-Traverse-Timeout-Ms (default 60000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{86'400'000}))
      ->type_name("MS");
  serve_cmd
      ->add_option("--shutdown-grace-ms", options->grace_ms,
                   "How long in-flight requests may take to finish on SIGTERM (default 10000)")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{3'600'000}))
      ->type_name("MS");
  add_nats_options(serve_cmd, options->nats, true);
  serve_cmd->callback([options, &context] { serve(*options, context); });
}

}  // namespace traverse::cli
