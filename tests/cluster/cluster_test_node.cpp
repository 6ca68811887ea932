// Governing spec: 060-cluster
//
// A cluster node for the fault test (remote_fault_test.cpp): serves the runtime test bundle's
// native capabilities demo.runtime.add-numbers and demo.runtime.greet-person over NATS, and
// appends one line per execution to a log file ("add <a>" / "greet <name>") with one write(2)
// each, so the count survives the SIGKILL that the test sends: it is the node-side counter that
// proves which request ran how many times.
//
// Usage: cluster_test_node NATS_URL NAME LOG_FILE. Stops cleanly on SIGTERM or SIGINT.
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "traverse/cluster/nats_connection.hpp"
#include "traverse/cluster/node_server.hpp"
#include "traverse/runtime/traverse_runtime.hpp"

namespace {

int log_fd = -1;

void log_line(const std::string& line) {
  const std::string text = line + "\n";
  // One append per execution; the kernel keeps it even if the process is killed right after.
  (void)!write(log_fd, text.data(), text.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: cluster_test_node NATS_URL NAME LOG_FILE\n");
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  log_fd = open(argv[3], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log_fd < 0) {
    std::perror("open log");
    return 1;
  }
  using traverse::NativeHandler;
  using traverse::Value;
  traverse::TraverseRuntime::Builder builder;
  builder.with_native_handler("demo.runtime.add-numbers", [](const Value& input) {
    const std::int64_t a = input["a"].get<std::int64_t>();
    log_line("add " + std::to_string(a));
    return NativeHandler::Result(Value{{"sum", a + input["b"].get<std::int64_t>()}});
  });
  builder.with_native_handler("demo.runtime.greet-person", [](const Value& input) {
    const std::string name = input["name"].get<std::string>();
    log_line("greet " + name);
    return NativeHandler::Result(Value{{"greeting", "Hello, " + name + "!"}});
  });
  builder.with_native_pool_capacity(4);
  auto runtime = builder.build();
  if (!runtime || !(*runtime)->load_bundle(std::string(TRAVERSE_SOURCE_DIR) +
                                           "/tests/data/runtime/bundle/manifest.json")) {
    std::fprintf(stderr, "cannot build the node runtime\n");
    return 1;
  }
  traverse::NatsOptions options;
  options.url = argv[1];
  options.name = argv[2];
  auto connection = traverse::NatsConnection::connect(options);
  if (!connection) {
    std::fprintf(stderr, "%s\n", connection.error().to_string().c_str());
    return 1;
  }
  traverse::NodeServerConfig config;
  config.name = argv[2];
  config.capacity = 256;
  config.announce_interval = std::chrono::milliseconds(200);
  config.native_capability_ids = {"demo.runtime.add-numbers", "demo.runtime.greet-person"};
  auto node = traverse::NodeServer::start(*connection, **runtime, config);
  if (!node) {
    std::fprintf(stderr, "%s\n", node.error().to_string().c_str());
    return 1;
  }
  int signal = 0;
  sigwait(&stop, &signal);
  (*node)->stop();
  close(log_fd);
  return 0;
}
