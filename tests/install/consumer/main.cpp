// Uses the installed library: loads a registry bundle, registers it, prints what was registered.
#include <cstdio>
#include <string>

#include "traverse/contracts/registry_bundle.hpp"
#include "traverse/json/value.hpp"
#include "traverse/registry/bundle_registration.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: app <bundle.json>\n");
    return 5;
  }
  auto bundle = traverse::load_registry_bundle(argv[1]);
  if (!bundle) {
    std::fprintf(stderr, "%s\n", traverse::to_string(bundle.error().front()).c_str());
    return 2;
  }
  traverse::CapabilityRegistry capabilities;
  traverse::WorkflowRegistry workflows;
  auto registered = traverse::register_bundle(*bundle, capabilities, workflows);
  if (!registered) {
    std::fprintf(stderr, "%s\n", traverse::to_string(registered.error().front()).c_str());
    return 3;
  }
  const std::string canonical = traverse::canonical_dump(traverse::Value{{"b", 1.0}, {"a", 1}});
  std::printf("capabilities: %zu, events: %zu, workflows: %zu, canonical: %s\n",
              capabilities.size(), registered->events.size(), workflows.size(), canonical.c_str());
  return canonical == R"({"a":1,"b":1.0})" ? 0 : 1;
}
