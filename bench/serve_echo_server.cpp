// The server side of bench/serve_bench.sh: a TraverseRuntime with one native echo capability
// (`bench.serve.echo`, its output = its input) served by traverse::Service with the access log
// off. Prints the URL on stdout; SIGINT/SIGTERM stop it.
//
// Usage: serve_echo_server [--io-threads N] [--workers N] [--pool-spin-us N]
// (--pool-spin-us: the native pool's worker and caller spin, TraverseRuntime::Builder::
// with_native_pool_spin; default the pool's own)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "traverse/registry/artifact_reference.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/service/service.hpp"

namespace {

traverse::CapabilityContract echo_contract() {
  using namespace traverse;
  CapabilityContract contract;
  contract.namespace_name = "bench.serve";
  contract.name = "echo";
  contract.id = "bench.serve.echo";
  contract.version = "1.0.0";
  contract.lifecycle = Lifecycle::Active;
  contract.permitted_targets = {ExecutionTarget::Local};
  contract.preferred_targets = {ExecutionTarget::Local};
  contract.input_schema = Value::parse(
      R"({"type":"object","required":["message"],"properties":{"message":{"type":"string"}}})");
  contract.output_schema = Value::parse(
      R"({"type":"object","required":["message"],"properties":{"message":{"type":"string"}}})");
  return contract;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace traverse;
  ServiceConfig config;
  config.port = 0;
  config.handle_signals = true;
  long pool_spin_us = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::size_t value = std::strtoul(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--io-threads") == 0) {
      config.io_threads = value;
    } else if (std::strcmp(argv[i], "--workers") == 0) {
      config.workers = value;
    } else if (std::strcmp(argv[i], "--pool-spin-us") == 0) {
      pool_spin_us = static_cast<long>(value);
    }
  }
  TraverseRuntime::Builder builder;
  if (pool_spin_us >= 0) {
    builder.with_native_pool_spin(std::chrono::microseconds(pool_spin_us),
                                  std::chrono::microseconds(pool_spin_us));
  }
  builder.with_native_handler("bench.serve.echo",
                              [](const Value& input) { return NativeHandler::Result(input); });
  auto runtime = builder.build();
  if (!runtime) {
    std::fprintf(stderr, "runtime: %s\n", runtime.error().to_string().c_str());
    return 1;
  }
  if (!(*runtime)->register_capability(Scope::Public, echo_contract(),
                                       ArtifactReference::native("bench.serve.echo"))) {
    std::fprintf(stderr, "cannot register bench.serve.echo\n");
    return 1;
  }
  ServiceDependencies dependencies;
  dependencies.runtime = runtime->get();
  auto service = Service::start(std::move(dependencies), config);
  if (!service) {
    std::fprintf(stderr, "serve: %s\n", service.error().to_string().c_str());
    return 1;
  }
  std::printf("%s\n", (*service)->url().c_str());
  std::fflush(stdout);
  (*service)->wait();
  return 0;
}
