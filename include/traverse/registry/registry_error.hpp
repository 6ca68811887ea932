// traverse/registry/registry_error.hpp — why a registry lookup or registration failed.
//
// RegistryError is a value: a stable code plus a message naming the capability or workflow, the
// scope and what was expected. Value type; thread-compatible.
//
// What the caller should do next, by code:
//   NotFound                  — nothing matches; register the artifact or fix the id/version/scope.
//   Ambiguous                 — several versions match; name an exact version or a narrower range.
//   NotRunnable               — it exists but its lifecycle is draft/retired/archived; do not
//   retry. ImmutableVersionConflict  — id@version is already registered with different content;
//   publish
//                               a new version instead.
//   InvalidRange              — the version or range text is not valid semver; fix the request.
//   InvalidArgument           — the registration itself is malformed (empty id, bad version).
//   CapacityExceeded          — the registry's configured bound is reached; nothing was added.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace traverse {

enum class RegistryErrorCode {
  NotFound,
  Ambiguous,
  NotRunnable,
  ImmutableVersionConflict,
  InvalidRange,
  InvalidArgument,
  CapacityExceeded,
};

// "NotFound", "Ambiguous", ...: the stable spelling used in messages and validation reports.
[[nodiscard]] std::string_view to_string(RegistryErrorCode code);

class RegistryError {
 public:
  RegistryError(RegistryErrorCode kind, std::string message)
      : kind_(kind), message_(std::move(message)) {}

  [[nodiscard]] RegistryErrorCode kind() const { return kind_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  // "<Code>: <message>".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const RegistryError&, const RegistryError&) = default;

 private:
  RegistryErrorCode kind_;
  std::string message_;
};

// error.to_string().
[[nodiscard]] std::string to_string(const RegistryError& error);

}  // namespace traverse
