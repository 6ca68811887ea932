// traverse/contracts/schema_profile.hpp — how much of JSON Schema the runtime enforces.
//
// Strict (the default): every keyword SchemaValidator supports (docs/compatibility.md D5).
// Reference: exactly what Rust Traverse enforces, for artifacts written against it — `type` (a
// string; an array-valued type accepts anything), and under `type: "object"` `required` and
// `properties`, under `type: "array"` `items`; a schema without `type` accepts anything; every
// other keyword is ignored. Some reference examples rely on that: their capability answers an
// input the strict profile would reject with its own "deny"/error output.
#pragma once

#include <optional>
#include <string_view>

namespace traverse {

enum class SchemaProfile { Strict, Reference };

// "strict" / "reference".
[[nodiscard]] std::string_view to_string(SchemaProfile profile);
// The profile named `text` ("strict" or "reference"), or nullopt.
[[nodiscard]] std::optional<SchemaProfile> parse_schema_profile(std::string_view text);

}  // namespace traverse
