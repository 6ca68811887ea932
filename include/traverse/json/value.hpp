// traverse/json/value.hpp — the JSON value type and its canonical serialisation.
//
// `Value` is nlohmann::json, whose objects are std::map: keys are always sorted by byte order,
// like the Rust reference's serde_json (built without preserve_order). Numbers keep their
// integer/float identity (`1` stays `1`, `1.0` stays `1.0`).
//
// Thread safety: free functions are pure; a `Value` follows the standard library rules (const
// access from many threads is safe, mutation needs external synchronisation).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace traverse {

using Value = nlohmann::json;

// The one serialisation used for hashes, digests, WASM stdin and golden files: compact, object
// keys in byte order, strings escaping only `"`, `\` and control characters (non-ASCII stays
// UTF-8), floats as the shortest round-trip digits in the reference layout (docs/formats.md
// "Canonical number formatting": `1.0`, `1e21`, `0.00001`, `1e-7`, `-0.0`), integers as digits.
// Values that JSON text cannot produce: NaN and infinities are written as `null` (as the
// reference's serializer does); bytes of a string or key that are not well-formed UTF-8 are each
// written as U+FFFD, so the output is always valid UTF-8 JSON. Never throws; iterative, so any
// nesting depth is fine.
[[nodiscard]] std::string canonical_dump(const Value& value);

// Human-facing form of canonical_dump: 2-space indent and `"key": value`, same key order and
// number formatting. Used by the CLI's pretty output.
[[nodiscard]] std::string pretty_dump(const Value& value);

}  // namespace traverse
