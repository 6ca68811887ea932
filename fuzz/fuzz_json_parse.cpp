// libFuzzer target: parse_json never crashes, and what it accepts survives canonical_dump and a
// second parse.
#include <cstdint>
#include <cstdlib>

#include "fuzz_support.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/json/value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = traverse::parse_json(traverse::fuzz::as_text(data, size));
  if (parsed) {
    const std::string text = traverse::canonical_dump(*parsed);
    const auto again = traverse::parse_json(text);
    if (!again || traverse::canonical_dump(*again) != text) {
      std::abort();  // canonical output must parse back to itself
    }
    (void)traverse::pretty_dump(*parsed);
  }
  return 0;
}
