// Private helpers shared by the registry sources. Not installed; not part of the API.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/runtime_request.hpp"
#include "traverse/contracts/vocabulary.hpp"
#include "traverse/contracts/workflow_definition.hpp"
#include "traverse/json/value.hpp"

namespace traverse::registry_internal {

// "public_only" / "prefer_private".
[[nodiscard]] std::string_view lookup_scope_name(LookupScope scope);

// What a "not registered" message adds about the lookup scope: "" for PreferPrivate (the default,
// which sees everything), " (lookup scope public_only: private records are not visible)"
// otherwise — messages never name a scope the caller did not choose.
[[nodiscard]] std::string scope_note(LookupScope scope);

// Scopes a lookup consults, in order (PreferPrivate: private, then public).
[[nodiscard]] std::vector<Scope> scopes_for(LookupScope scope);

[[nodiscard]] constexpr std::size_t scope_index(Scope scope) {
  return scope == Scope::Public ? 0 : 1;
}

// The identity of a contract/workflow for immutability: "sha256:" + SHA-256 of the canonical JSON
// of the document (evidence removed, as in the reference digest) plus the parsed fields, so
// contracts built in code without a document are compared by content too.
[[nodiscard]] std::string capability_fingerprint(const CapabilityContract& contract);
[[nodiscard]] std::string workflow_fingerprint(const WorkflowDefinition& workflow);

// "a, b, c".
[[nodiscard]] std::string join(const std::vector<std::string>& items);

}  // namespace traverse::registry_internal
