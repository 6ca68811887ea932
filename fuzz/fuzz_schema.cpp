// libFuzzer target: the input is one JSON document {"schema": S, "instance": I}; S is compiled
// and, when it compiles, I is validated against it.
#include <cstdint>

#include "fuzz_support.hpp"
#include "traverse/contracts/schema_validator.hpp"
#include "traverse/json/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto document = traverse::parse_json(traverse::fuzz::as_text(data, size));
  if (!document || !document->is_object() || !document->contains("schema")) {
    return 0;
  }
  const auto validator = traverse::SchemaValidator::compile((*document)["schema"]);
  if (validator && document->contains("instance")) {
    const traverse::Value& instance = (*document)["instance"];
    const auto errors = validator->validate(instance);
    if (errors.empty() != validator->is_valid(instance)) {
      __builtin_trap();  // validate and is_valid must agree
    }
  }
  return 0;
}
