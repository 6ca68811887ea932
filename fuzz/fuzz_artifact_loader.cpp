// libFuzzer target, built once per artifact loader (TRAVERSE_FUZZ_LOADER selects which): the
// input is written to a file and loaded the way the CLI loads it; every outcome but a crash, a
// sanitizer report or a hang is fine.
#include <cstdint>

#include "fuzz_support.hpp"
#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/capability_package.hpp"
#include "traverse/contracts/event_contract.hpp"
#include "traverse/contracts/registry_bundle.hpp"
#include "traverse/contracts/runtime_request.hpp"
#include "traverse/contracts/workflow_definition.hpp"

#define TRAVERSE_FUZZ_CONTRACT 1
#define TRAVERSE_FUZZ_EVENT_CONTRACT 2
#define TRAVERSE_FUZZ_WORKFLOW 3
#define TRAVERSE_FUZZ_BUNDLE 4
#define TRAVERSE_FUZZ_PACKAGE 5
#define TRAVERSE_FUZZ_REQUEST 6

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using traverse::fuzz::write_input;
#if TRAVERSE_FUZZ_LOADER == TRAVERSE_FUZZ_CONTRACT
  (void)traverse::load_capability_contract(write_input("contract.json", data, size));
#elif TRAVERSE_FUZZ_LOADER == TRAVERSE_FUZZ_EVENT_CONTRACT
  (void)traverse::load_event_contract(write_input("event.json", data, size));
#elif TRAVERSE_FUZZ_LOADER == TRAVERSE_FUZZ_WORKFLOW
  (void)traverse::load_workflow_definition(write_input("workflow.json", data, size));
#elif TRAVERSE_FUZZ_LOADER == TRAVERSE_FUZZ_BUNDLE
  (void)traverse::load_registry_bundle(write_input("bundle.json", data, size));
#elif TRAVERSE_FUZZ_LOADER == TRAVERSE_FUZZ_PACKAGE
  (void)traverse::load_capability_package(write_input("pkg/one/package.json", data, size));
#elif TRAVERSE_FUZZ_LOADER == TRAVERSE_FUZZ_REQUEST
  (void)traverse::load_runtime_request(write_input("request.json", data, size));
#else
#error "TRAVERSE_FUZZ_LOADER must name a loader"
#endif
  return 0;
}
