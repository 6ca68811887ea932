// Shared by the service unit tests: the "gate" capability both suites register.
#pragma once

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/json/value.hpp"

namespace traverse::service_test {

inline constexpr const char* kCapability = "test.service.gate";

// An active, local capability whose input and output are any JSON object.
inline CapabilityContract gate_contract() {
  CapabilityContract contract;
  contract.namespace_name = "test.service";
  contract.name = "gate";
  contract.id = kCapability;
  contract.version = "1.0.0";
  contract.lifecycle = Lifecycle::Active;
  contract.permitted_targets = {ExecutionTarget::Local};
  contract.preferred_targets = {ExecutionTarget::Local};
  contract.input_schema = Value::parse(R"({"type":"object"})");
  contract.output_schema = Value::parse(R"({"type":"object"})");
  return contract;
}

}  // namespace traverse::service_test
