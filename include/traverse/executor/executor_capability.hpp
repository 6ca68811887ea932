// traverse/executor/executor_capability.hpp — what an executor needs to know about the
// capability it runs (docs/native-capabilities.md). Built by the runtime from the registered
// contract.
//
// Value type; thread-compatible (executors only read it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "traverse/contracts/vocabulary.hpp"
#include "traverse/executor/artifact_type.hpp"

namespace traverse {

struct ExecutorCapability {
  std::string capability_id;
  std::string capability_version;
  ArtifactType artifact_type = ArtifactType::Native;
  std::optional<std::string> wasm_binary_path;
  // SHA-256 of the .wasm, lowercase hex, bare or "sha256:"-prefixed; checked on every execution.
  std::optional<std::string> wasm_checksum;
  std::optional<std::string> host_abi_version;  // absent means "1.0.0"
  std::vector<EventReference> emits;            // the contract's `emits`
  ServiceType service_type = ServiceType::Stateless;
};

}  // namespace traverse
