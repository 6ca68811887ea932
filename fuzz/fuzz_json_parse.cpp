// libFuzzer target: parse_json never crashes; what it accepts survives canonical_dump and a
// second parse; and its fast path agrees with the full parser. The full parser skips a leading
// UTF-8 byte order mark and the fast path hands such a text over, so the same text behind a mark
// is the full parser's verdict: both accept or both refuse, with the same canonical text (which
// tells 1 from 1.0 and 0 from -0.0, though not a signed from an unsigned integer of the same
// value: tests/unit/json/parse_test.cpp compares the types as well).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_support.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/json/value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = traverse::fuzz::as_text(data, size);
  const auto parsed = traverse::parse_json(input);
  if (!input.starts_with("\xef\xbb\xbf")) {
    const auto full = traverse::parse_json("\xef\xbb\xbf" + std::string(input));
    if (parsed.has_value() != full.has_value() ||
        (parsed && traverse::canonical_dump(*parsed) != traverse::canonical_dump(*full)) ||
        (!parsed && parsed.error().kind() != full.error().kind())) {
      std::abort();  // the fast path and the full parser disagree
    }
  }
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
