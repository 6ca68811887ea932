// traverse/registry/workflow_checks.hpp — the workflow rules that need the registered
// capabilities (docs/workflows.md "References" and "Schema flow").
//
// The self-contained rules (literals, node/edge shapes, cycles, reachability) are checked when a
// workflow is parsed (contracts/workflow_definition.hpp); these are the rest. Used by
// WorkflowRegistry and by bundle registration, which resolves against the bundle's own
// capabilities before they are registered. Thread safety: pure function (the resolver is called
// on the caller's thread only).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/validation_error.hpp"
#include "traverse/contracts/workflow_definition.hpp"

namespace traverse {

// The contract registered at exactly `id`@`version` in the workflow's scope, or nullptr.
using CapabilityResolver = std::function<std::shared_ptr<const CapabilityContract>(
    std::string_view id, std::string_view version)>;

// Every violation, in this order (empty when the workflow is consistent):
//  - MissingReference at `$.nodes[i]`: the node's capability@version is not registered;
//  - InvalidEventEdge at `$.edges[k].event`: the event is not in the source node capability's
//    `emits`;
//  - EdgeSchemaMismatch (only when the workflow input schema is `type: object` with
//    `properties`), walking nodes in Kahn topological order with ties broken by node_id:
//      `$.nodes[i].input.from_workflow_input[j]`: the key is not yet available (not a workflow
//        input property nor written by an earlier node — for a 1.1.0 parallel workflow, by one
//        of the node's ancestors, since a sibling branch may not have run yet), is not a
//        property of the capability input (when it declares properties), or its `type` differs
//        from the available key's;
//      `$.nodes[i].output.to_workflow_state[j]`: the key is not a property of the capability
//        output (when it declares properties). Keys of an output without declared properties,
//        and `publish_to_state_as` namespaces, become available with type "object".
[[nodiscard]] ValidationErrors check_workflow_against_capabilities(
    const WorkflowDefinition& workflow, const CapabilityResolver& resolve);

}  // namespace traverse
