// Embedding Traverse C++: register a native capability, run it on the runtime's thread pool and
// read its trace back. Usage: embedding examples/embedding/greet-person.json
#include <iostream>

#include "traverse/runtime/traverse_runtime.hpp"

using namespace traverse;

int fail(const std::string& why) {
  return std::cerr << "embedding: " << why << "\n", 1;
}

int main(int argc, char** argv) {
  auto contract = load_capability_contract(argc > 1 ? argv[1] : "greet-person.json");
  if (!contract)
    return fail(to_string(contract.error().front()));

  auto built = TraverseRuntime::Builder{}
                   .with_native_pool_capacity(4)  // the ThreadPoolExecutor's worker threads
                   .with_native_handler(
                       contract->id,
                       [](const Value& input) {
                         auto name = input.at("name").get<std::string>();
                         return NativeHandler::Result(Value{{"greeting", "Hello, " + name + "!"}});
                       })
                   .build();
  if (!built)
    return fail(built.error().to_string());
  TraverseRuntime& runtime = **built;
  auto registered = runtime.register_capability(Scope::Public, *contract,
                                                ArtifactReference::native(contract->id));
  if (!registered)
    return fail(to_string(registered.error()));

  RuntimeRequest request;  // a runtime_request document parses into this (parse_runtime_request)
  request.request_id = "hello-1";
  request.capability_id = contract->id;
  request.input = {{"name", "Ada"}};
  RuntimeResult result = runtime.execute_capability(request);  // blocks until a worker ran it
  if (!result.completed())
    return fail(result.error->message);
  std::cout << "output: " << canonical_dump(*result.output) << "\n";

  auto trace = runtime.trace_store()->get(result.trace_ref);  // written by the router
  if (!trace)
    return fail(trace.error().to_string());
  std::cout << "trace:  " << pretty_dump(to_json(trace->public_entry)) << "\n";
}
