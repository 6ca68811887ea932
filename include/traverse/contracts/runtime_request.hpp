// traverse/contracts/runtime_request.hpp — a request to run one capability
// (kind "runtime_request", docs/formats.md). Value type; thread-compatible.
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>

#include "traverse/contracts/validation_error.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

enum class LookupScope { PublicOnly, PreferPrivate };

struct RuntimeRequest {
  std::string request_id;
  std::optional<std::string> capability_id;
  std::optional<std::string> capability_version;  // exact version
  std::optional<std::string> version_range;       // semver range; exclusive with capability_version
  std::optional<std::string> intent_key;
  Value input;
  LookupScope scope = LookupScope::PublicOnly;
  std::string requested_target = "local";
  std::optional<std::string> correlation_id;
  Value context = Value::object();  // the whole `context` object as given
};

// Validates every rule of docs/formats.md, "Runtime request"; the runtime reports any of these as
// `request_invalid`. Codes: MissingRequiredField, InvalidType, InvalidLiteral (kind,
// schema_version, governing_spec, lookup.scope), InvalidSemver ($.intent.capability_version),
// InvalidVersionRange
// ($.intent.version_range), InvalidIntent (no capability_id or intent_key; version or range
// without capability_id; both version and range), AmbiguityNotAllowed
// ($.lookup.allow_ambiguity true). `requested_target` is any non-empty string here; the runtime
// rejects targets other than "local" (placement_unsupported).
[[nodiscard]] std::expected<RuntimeRequest, ValidationErrors> parse_runtime_request(
    const Value& document);
[[nodiscard]] std::expected<RuntimeRequest, ValidationErrors> load_runtime_request(
    const std::filesystem::path& path);

// The JSON form of a request (round-trips through parse_runtime_request).
[[nodiscard]] Value to_json(const RuntimeRequest& request);

}  // namespace traverse
