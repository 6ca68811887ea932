// apps/traverse/suggestions.hpp — "did you mean" hints for ids the user mistyped: the closest
// registered workflow or capability id, or the registered versions of the id given.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/registry/capability_registry.hpp"
#include "traverse/registry/workflow_registry.hpp"

namespace traverse::cli {

// The candidate closest to `wanted` by edit distance, when close enough to be a typo (at most
// max(2, |wanted| / 3) edits); nullopt otherwise.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view wanted,
                                                       const std::vector<std::string>& candidates);

// Hint lines for a workflow "id[@version]" that was not found: its registered versions, or the
// closest registered id, or the registered workflows (at most 10).
[[nodiscard]] std::vector<std::string> workflow_hints(const WorkflowRegistry& registry,
                                                      const std::string& workflow);

// Hint lines for a capability id that was not found: its registered versions or the closest id.
[[nodiscard]] std::vector<std::string> capability_hints(const CapabilityRegistry& registry,
                                                        const std::string& capability_id);

}  // namespace traverse::cli
