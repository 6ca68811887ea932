// Governing spec: 020-wasm-sandbox
// A host process for the orphaned-worker test: runs one never-ending guest call
// (`infinite_loop`, 10 min deadline) and prints "worker <pid>" once the call is handed to the
// worker. The test kills this process with SIGKILL and checks the worker does not outlive it.
#include <cstdio>
#include <string>

#include "traverse/executor/execution_context.hpp"
#include "traverse/wasm/wasm_executor.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fputs("usage: wasm_orphan_host <infinite_loop.wasm>\n", stderr);
    return 2;
  }
  traverse::WasmExecutorConfig config;
  config.worker_path = TRAVERSE_WASM_WORKER_PATH;
  config.worker_count = 1;
  config.default_limits.deadline = std::chrono::minutes(10);
  config.on_dispatch = [](int pid) {
    std::printf("worker %d\n", pid);
    std::fflush(stdout);
  };
  auto executor = traverse::WasmExecutor::create(config);
  if (!executor) {
    std::fprintf(stderr, "%s\n", executor.error().message().c_str());
    return 1;
  }
  traverse::ExecutorCapability capability;
  capability.capability_id = "test.wasm.orphan";
  capability.capability_version = "1.0.0";
  capability.artifact_type = traverse::ArtifactType::Wasm;
  capability.wasm_binary_path = std::string(argv[1]);
  traverse::ExecutionContext context(capability, "exec-orphan", "trace-orphan");
  auto result = (*executor)->execute(capability, traverse::Value::object(), context);
  return result ? 0 : 1;
}
