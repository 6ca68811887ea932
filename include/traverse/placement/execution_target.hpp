// traverse/placement/execution_target.hpp — the places a capability may run (docs/architecture.md).
//
// `ExecutionTarget` itself lives in the contracts vocabulary (contracts name their permitted and
// preferred targets); this header re-exports it for placement users and adds the list of all
// targets. Thread safety: constants and pure functions only.
#pragma once

#include <array>

#include "traverse/contracts/vocabulary.hpp"

namespace traverse {

// Every target, in the reference's declaration order (Local, Browser, Edge, Cloud, Worker, Device).
inline constexpr std::array<ExecutionTarget, 6> kAllExecutionTargets = {
    ExecutionTarget::Local, ExecutionTarget::Browser, ExecutionTarget::Edge,
    ExecutionTarget::Cloud, ExecutionTarget::Worker,  ExecutionTarget::Device};

}  // namespace traverse
