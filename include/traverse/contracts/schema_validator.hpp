// traverse/contracts/schema_validator.hpp — JSON Schema checking for contract inputs/outputs.
//
// A SchemaValidator is compiled once from a schema document and reused: validate() walks the
// compiled form only, never the schema JSON. Supported keywords (docs/compatibility.md D5): type
// (string or array), required, properties, additionalProperties (bool or schema), items, enum,
// const, format (date-time, date, uuid, uri), minLength, maxLength, pattern, minimum, maximum,
// exclusiveMinimum, exclusiveMaximum, minItems, maxItems, uniqueItems, oneOf, anyOf, allOf, not,
// and local $ref ("#/..."). Unknown keywords are ignored. "integer" means a JSON integer, so
// `1.0` is not an integer (reference rule).
//
// Paths: `$` is the instance root, `.key` for keys like identifiers ([A-Za-z_$][A-Za-z0-9_$-]*),
// `["a b"]` (JSON-escaped) for other keys, `[2]` for array items; compile errors use the same
// notation rooted at the schema document. Limits (reported, never a crash): validation nesting
// (instance depth plus schema recursion) of 512 levels; `pattern` is matched against strings of
// at most 4096 bytes. src/contracts/schema_validator.cpp lists the remaining semantic choices.
//
// Thread safety: a compiled SchemaValidator is immutable; validate() is safe from many threads.
#pragma once

#include <expected>
#include <memory>

#include "traverse/contracts/schema_profile.hpp"
#include "traverse/contracts/validation_error.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

class SchemaValidator {
 public:
  // Compiles `schema`; the result does not refer to `schema` afterwards. Fails with every
  // problem found (code "InvalidSchema", with the schema path) when the schema itself is
  // malformed: not an object/boolean, a keyword of the wrong type, an unknown type name, a bad or
  // back-referencing regex, an unresolvable or non-local $ref, a $ref/allOf/anyOf/oneOf/not cycle
  // that never descends into the instance.
  [[nodiscard]] static std::expected<SchemaValidator, ValidationErrors> compile(
      const Value& schema);
  // As compile(schema), enforcing only what `profile` enforces (schema_profile.hpp). With
  // SchemaProfile::Reference the keywords outside the reference subset are neither checked nor
  // compiled (a malformed `pattern` there is not an error).
  [[nodiscard]] static std::expected<SchemaValidator, ValidationErrors> compile(
      const Value& schema, SchemaProfile profile);

  // Every violation of `instance`, each with its instance path ("$.a.b[2]"); empty when valid.
  // Codes: "SchemaViolation" with a message naming the keyword, e.g.
  // "expected integer", "required property is missing", "must be one of [...]".
  [[nodiscard]] ValidationErrors validate(const Value& instance) const;
  [[nodiscard]] bool is_valid(const Value& instance) const;

  SchemaValidator(SchemaValidator&&) noexcept;
  SchemaValidator& operator=(SchemaValidator&&) noexcept;
  SchemaValidator(const SchemaValidator&);
  SchemaValidator& operator=(const SchemaValidator&);
  ~SchemaValidator();

 private:
  struct Compiled;  // the compiled schema (src/contracts/schema_validator.cpp)
  explicit SchemaValidator(std::shared_ptr<const Compiled> compiled);
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace traverse
