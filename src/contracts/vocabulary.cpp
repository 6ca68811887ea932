#include "traverse/contracts/vocabulary.hpp"

#include <array>
#include <utility>

namespace traverse {
namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> lookup(const std::array<std::pair<Enum, std::string_view>, N>& table,
                           std::string_view text) {
  for (const auto& [value, name] : table) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& table,
                         Enum value) {
  for (const auto& [candidate, name] : table) {
    if (candidate == value) {
      return name;
    }
  }
  return "unknown";
}

constexpr std::array<std::pair<Lifecycle, std::string_view>, 5> kLifecycles{{
    {Lifecycle::Draft, "draft"},
    {Lifecycle::Active, "active"},
    {Lifecycle::Deprecated, "deprecated"},
    {Lifecycle::Retired, "retired"},
    {Lifecycle::Archived, "archived"},
}};

constexpr std::array<std::pair<ExecutionTarget, std::string_view>, 6> kTargets{{
    {ExecutionTarget::Local, "local"},
    {ExecutionTarget::Browser, "browser"},
    {ExecutionTarget::Edge, "edge"},
    {ExecutionTarget::Cloud, "cloud"},
    {ExecutionTarget::Worker, "worker"},
    {ExecutionTarget::Device, "device"},
}};

constexpr std::array<std::pair<ExecutionTarget, std::string_view>, 6> kTargetDebugNames{{
    {ExecutionTarget::Local, "Local"},
    {ExecutionTarget::Browser, "Browser"},
    {ExecutionTarget::Edge, "Edge"},
    {ExecutionTarget::Cloud, "Cloud"},
    {ExecutionTarget::Worker, "Worker"},
    {ExecutionTarget::Device, "Device"},
}};

constexpr std::array<std::pair<ServiceType, std::string_view>, 3> kServiceTypes{{
    {ServiceType::Stateless, "stateless"},
    {ServiceType::Subscribable, "subscribable"},
    {ServiceType::Stateful, "stateful"},
}};

constexpr std::array<std::pair<Scope, std::string_view>, 2> kScopes{{
    {Scope::Public, "public"},
    {Scope::Private, "private"},
}};

}  // namespace

std::string_view to_string(Lifecycle lifecycle) {
  return name_of(kLifecycles, lifecycle);
}
std::optional<Lifecycle> parse_lifecycle(std::string_view text) {
  return lookup(kLifecycles, text);
}

std::string_view to_string(ExecutionTarget target) {
  return name_of(kTargets, target);
}
std::string_view debug_name(ExecutionTarget target) {
  return name_of(kTargetDebugNames, target);
}
std::optional<ExecutionTarget> parse_execution_target(std::string_view text) {
  return lookup(kTargets, text);
}

std::string_view to_string(ServiceType type) {
  return name_of(kServiceTypes, type);
}
std::optional<ServiceType> parse_service_type(std::string_view text) {
  return lookup(kServiceTypes, text);
}

std::string_view to_string(Scope scope) {
  return name_of(kScopes, scope);
}
std::optional<Scope> parse_scope(std::string_view text) {
  return lookup(kScopes, text);
}

}  // namespace traverse
