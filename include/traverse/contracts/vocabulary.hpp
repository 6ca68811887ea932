// traverse/contracts/vocabulary.hpp — the small enumerations every Traverse artifact shares.
//
// Each enum has `to_string` (the artifact spelling, e.g. "active", "local") and `parse_*`
// returning std::nullopt for an unknown spelling. Thread safety: pure functions.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace traverse {

// Lifecycle of a contract or workflow. Only Active and Deprecated are runnable
// (docs/error-handling.md).
enum class Lifecycle { Draft, Active, Deprecated, Retired, Archived };
[[nodiscard]] std::string_view to_string(Lifecycle lifecycle);
[[nodiscard]] std::optional<Lifecycle> parse_lifecycle(std::string_view text);
[[nodiscard]] constexpr bool is_runnable(Lifecycle l) {
  return l == Lifecycle::Active || l == Lifecycle::Deprecated;
}

// Where a capability may run (docs/architecture.md). Declaration order is the reference's enum
// order.
enum class ExecutionTarget { Local, Browser, Edge, Cloud, Worker, Device };
[[nodiscard]] std::string_view to_string(ExecutionTarget target);   // "local"
[[nodiscard]] std::string_view debug_name(ExecutionTarget target);  // "Local" (trace spelling)
[[nodiscard]] std::optional<ExecutionTarget> parse_execution_target(std::string_view text);

enum class ServiceType { Stateless, Subscribable, Stateful };
[[nodiscard]] std::string_view to_string(ServiceType type);
[[nodiscard]] std::optional<ServiceType> parse_service_type(std::string_view text);

// Registration scope of a bundle or capability.
enum class Scope { Public, Private };
[[nodiscard]] std::string_view to_string(Scope scope);
[[nodiscard]] std::optional<Scope> parse_scope(std::string_view text);

// An (event_id, version) pair as written in `emits`, `consumes` and workflow event edges.
struct EventReference {
  std::string event_id;
  std::string version;
  friend auto operator<=>(const EventReference&, const EventReference&) = default;
};

struct Owner {
  std::string team;
  std::string contact;
  friend bool operator==(const Owner&, const Owner&) = default;
};

}  // namespace traverse
