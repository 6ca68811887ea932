// `traverse node` (serve a bundle's capabilities to the cluster over NATS) and
// `traverse cluster status` (the nodes, their capabilities, capacity and load); docs/cluster.md.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "commands.hpp"
#include "nats_options.hpp"
#include "package_options.hpp"
#include "session.hpp"
#include "traverse/cluster/node_directory.hpp"
#include "traverse/cluster/node_server.hpp"
#include "traverse/json/parse.hpp"

namespace traverse::cli {
namespace {

struct NodeOptions {
  NatsCliOptions nats;
  std::string bundle;
  PackageOptions packages;
  std::string trace_db;
  std::string name;
  std::size_t capacity = 64;
  std::uint64_t announce_ms = 2'000;
};

struct StatusOptions {
  NatsCliOptions nats;
  std::uint64_t wait_ms = 500;
  bool json = false;
};

std::string default_node_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof host, "node");
  }
  std::string name = host;
  for (char& c : name) {
    if (c == '.' || c == '*' || c == '>' || c == ' ') {
      c = '-';
    }
  }
  return name + "-" + std::to_string(getpid());
}

// Blocks SIGINT and SIGTERM in this thread (and every thread started after), for sigwait.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

void node(const NodeOptions& options, CliContext& context) {
  const sigset_t stop_signals = block_stop_signals();
  const auto packages = package_manifests(context, options.packages);
  if (!packages) {
    context.fail(packages.error(), false);
    return;
  }
  const std::string name = options.name.empty() ? default_node_name() : options.name;
  auto observer = std::make_shared<StepObserver>(nullptr, false, 0);
  SessionOptions session_options;
  session_options.wasm_workers = std::min<std::size_t>(options.capacity, 64);
  session_options.wasm_queue = std::max<std::size_t>(options.capacity, 64);
  auto session = open_session(options.trace_db, observer, session_options);
  if (!session) {
    context.fail(session.error(), false);
    return;
  }
  if (auto loaded = load_bundle_and_packages(context, *session->runtime, options.bundle, *packages);
      !loaded) {
    context.fail(loaded.error(), false);
    return;
  }
  auto connection = NatsConnection::connect(to_nats_options(options.nats, name));
  if (!connection) {
    context.fail(
        failure(ExitCode::ExecutionFailed, "NatsUnavailable",
                "cannot connect to " + options.nats.url + ": " + connection.error().to_string()),
        false);
    return;
  }
  NodeServerConfig config;
  config.name = name;
  config.capacity = options.capacity;
  config.announce_interval = std::chrono::milliseconds(options.announce_ms);
  auto server = NodeServer::start(*connection, *session->runtime, config);
  if (!server) {
    context.fail(failure(ExitCode::Usage, "NodeStartFailed", server.error().to_string()), false);
    return;
  }
  // Events of the executions served here go to the JetStream stream (closed after the server).
  const EventStreamBridge event_stream =
      start_event_stream(context, options.nats, *connection, *session->runtime);
  const NodeAnnouncement announced = (*server)->announcement();
  context.err() << "traverse node " << escape_terminal_text(name) << ": serving "
                << announced.capabilities.size() << " capabilities on "
                << escape_terminal_text(options.nats.url) << " (capacity " << options.capacity
                << ")" << std::endl;
  for (const NodeCapability& capability : announced.capabilities) {
    context.note("  " + capability.id + "@" + capability.version);
  }
  int received = 0;
  sigwait(&stop_signals, &received);
  context.err() << "traverse node " << escape_terminal_text(name) << ": stopping ("
                << (received == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
  (*server)->stop();
  const NodeAnnouncement last = (*server)->announcement();
  context.err() << "traverse node " << escape_terminal_text(name) << ": stopped after "
                << last.executions << " executions" << std::endl;
  context.finish(ExitCode::Ok);
}

std::string load_text(double load) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", load);
  return text;
}

void status(const StatusOptions& options, CliContext& context) {
  if (options.nats.url.empty()) {
    context.fail(failure(ExitCode::Usage, "UsageError", "cluster status needs --nats URL"),
                 options.json);
    return;
  }
  auto connection = NatsConnection::connect(to_nats_options(options.nats, "traverse-status"));
  if (!connection) {
    context.fail(
        failure(ExitCode::ExecutionFailed, "NatsUnavailable",
                "cannot connect to " + options.nats.url + ": " + connection.error().to_string()),
        options.json);
    return;
  }
  auto directory = NodeDirectory::create(*connection);
  if (!directory) {
    context.fail(
        failure(ExitCode::ExecutionFailed, "NatsUnavailable", directory.error().to_string()),
        options.json);
    return;
  }
  const auto wait = std::chrono::milliseconds(options.wait_ms);
  const std::vector<NodeAnnouncement> nodes = (*directory)->discover(wait, wait);
  if (options.json) {
    Value list = Value::array();
    for (const NodeAnnouncement& node : nodes) {
      list.push_back(parse_json(encode(node)).value_or(Value()));
    }
    context.json(Value{{"nats", options.nats.url}, {"nodes", std::move(list)}});
    context.finish(ExitCode::Ok);
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const NodeAnnouncement& node : nodes) {
    rows.push_back({node.name, std::to_string(node.capacity), std::to_string(node.in_flight),
                    load_text(node.load()), std::to_string(node.executions),
                    std::to_string(node.capabilities.size())});
  }
  context.line(std::to_string(nodes.size()) + " node(s) on " + options.nats.url);
  if (!rows.empty()) {
    context.out() << format_table(
        context, {"NODE", "CAPACITY", "IN FLIGHT", "LOAD", "EXECUTIONS", "CAPABILITIES"}, rows);
    for (const NodeAnnouncement& node : nodes) {
      context.line("");
      context.line(escape_terminal_text(node.name) + ":");
      for (const NodeCapability& capability : node.capabilities) {
        context.line("  " + escape_terminal_text(capability.id + "@" + capability.version));
      }
    }
  }
  context.finish(ExitCode::Ok);
}

}  // namespace

void add_cluster_commands(CLI::App& app, CliContext& context) {
  auto node_options = std::make_shared<NodeOptions>();
  CLI::App* node_cmd = app.add_subcommand(
      "node", "Serve a bundle's capabilities (and packages) to the cluster over NATS");
  node_cmd->footer(
      "Loads the bundle and packages like `traverse run`, subscribes (queue group "
      "traverse-nodes) to traverse.exec.<capability_id>.<version> for every capability it can "
      "run, and runs each request through its own runtime (traced in --trace-db). Announces "
      "itself on traverse.nodes.<name> every --announce-ms and on shutdown. The events its "
      "executions publish are copied to the JetStream stream TRAVERSE_EVENTS (unless "
      "--no-event-stream). Stops cleanly on SIGINT or SIGTERM.\n\n" +
      exit_code_help());
  node_cmd->add_option("--nats", node_options->nats.url, "NATS server URL")
      ->required()
      ->type_name("URL");
  node_cmd->add_option("--bundle", node_options->bundle, "Registry bundle manifest (JSON)")
      ->required()
      ->type_name("FILE");
  add_package_options(node_cmd, node_options->packages,
                      "Its .wasm is attached to the bundle capability with the same id@version, "
                      "or it is added as a new capability");
  node_cmd->add_option("--trace-db", node_options->trace_db, trace_db_help())
      ->type_name("FILE")
      ->check(check_trace_db);
  node_cmd->add_option("--name", node_options->name, "Node name (default <host>-<pid>)")
      ->type_name("NAME");
  node_cmd
      ->add_option("--capacity", node_options->capacity,
                   "Executions in flight at once; beyond it requests are refused with "
                   "Overloaded (1-65536; default 64)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{65'536}))
      ->type_name("N");
  node_cmd
      ->add_option("--announce-ms", node_options->announce_ms,
                   "Interval between announcements (default 2000)")
      ->check(CLI::Range(std::uint64_t{50}, std::uint64_t{600'000}))
      ->type_name("MS");
  // Credentials and TLS as for callers (the URL is the required --nats above).
  add_nats_connection_options(node_cmd, node_options->nats);
  add_event_stream_option(node_cmd, node_options->nats);
  node_cmd->callback([node_options, &context] { node(*node_options, context); });

  CLI::App* cluster = app.add_subcommand("cluster", "Inspect the cluster of nodes on NATS");
  cluster->require_subcommand(1);
  auto status_options = std::make_shared<StatusOptions>();
  CLI::App* status_cmd = cluster->add_subcommand(
      "status", "List the nodes that answer, their capabilities, capacity and load");
  add_nats_options(status_cmd, status_options->nats, false);
  status_cmd
      ->add_option("--wait-ms", status_options->wait_ms,
                   "How long to wait for the nodes' answers (default 500)")
      ->check(CLI::Range(std::uint64_t{10}, std::uint64_t{60'000}))
      ->type_name("MS");
  status_cmd->add_flag("--json", status_options->json,
                       "Print one JSON document: {nats, nodes: [announcement...]}");
  status_cmd->callback([status_options, &context] { status(*status_options, context); });
}

}  // namespace traverse::cli
