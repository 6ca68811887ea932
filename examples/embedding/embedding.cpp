// Embedding Traverse C++: register a native capability, run it on the runtime's thread pool and
// read back the records the `traverse` CLI writes too: a SQLite trace database with one entry
// per attempt (rejected ones included) and the evidence of every workflow run.
// Usage: embedding_example examples/embedding/greet-person.json [traces.db]
#include <iostream>

#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/trace/sqlite_trace_store.hpp"

using namespace traverse;

int fail(const std::string& why) {
  return std::cerr << "embedding: " << why << "\n", 1;
}

int main(int argc, char** argv) {
  auto contract = load_capability_contract(argc > 1 ? argv[1] : "greet-person.json");
  if (!contract)
    return fail(to_string(contract.error().front()));
  const std::string db = argc > 2 ? argv[2] : "embedding-traces.db";  // traverse trace show
  auto traces = SqliteTraceStore::open(db);
  auto runs = SqliteWorkflowRunStore::open(db);
  if (!traces || !runs)
    return fail(traces ? runs.error().to_string() : traces.error().to_string());

  auto greet = [](const Value& input) -> NativeHandler::Result {
    return Value{{"greeting", "Hello, " + input.at("name").get<std::string>() + "!"}};
  };
  auto built = TraverseRuntime::Builder{}
                   .with_native_pool_capacity(4)  // worker threads of the ThreadPoolExecutor
                   .with_native_handler(contract->id, greet)
                   .with_trace_store(std::move(*traces))       // one entry per attempt
                   .with_workflow_run_store(std::move(*runs))  // workflow run evidence
                   .build();
  if (!built)
    return fail(built.error().to_string());
  TraverseRuntime& runtime = **built;
  auto artifact = ArtifactReference::native(contract->id);
  if (auto r = runtime.register_capability(Scope::Public, *contract, artifact); !r)
    return fail(to_string(r.error()));

  RuntimeRequest request;  // or parse_runtime_request(a runtime_request JSON document)
  request.request_id = "hello-1";
  request.capability_id = contract->id;
  request.input = {{"name", "Ada"}};
  RuntimeResult result = runtime.execute_capability(request);  // blocks until a worker ran it
  if (!result.completed())
    return fail(result.error->message());
  std::cout << "output: " << canonical_dump(*result.output) << "\n";

  request.request_id = "hello-2";
  request.input = {{"nom", "Ada"}};  // violates the input schema: rejected, and recorded
  RuntimeResult rejected = runtime.execute_capability(request);
  std::cout << "rejected: " << rejected.error->code() << "\n";

  for (const RuntimeResult* attempt : {&result, &rejected}) {
    auto trace = runtime.trace_store()->get(attempt->trace_ref);  // every trace_ref resolves
    if (!trace)
      return fail(trace.error().to_string());
    std::cout << "trace:  " << pretty_dump(to_json(trace->public_entry)) << "\n";
  }
}
