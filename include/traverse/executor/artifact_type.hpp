// traverse/executor/artifact_type.hpp — what kind of artifact implements a capability.
#pragma once

#include <string_view>

namespace traverse {

enum class ArtifactType { Native, Wasm };

// "Native" / "Wasm": the spelling used in error messages and traces.
[[nodiscard]] constexpr std::string_view to_string(ArtifactType type) {
  return type == ArtifactType::Native ? "Native" : "Wasm";
}

}  // namespace traverse
