// Governing spec: 001-artifact-formats
//
// Mutation test: every JSON file of the expedition example is damaged in thousands of
// deterministic ways (truncation, byte replacement, brace deletion/duplication, and JSON-level
// value replacement), and every damaged file is loaded. Each load must return either a valid
// artifact or a non-empty list of typed errors (code, JSON path, message, file); it must never
// crash, throw, or trip the sanitizers. The bundle is loaded from a temporary copy of the example,
// so damaging one of its artifacts also exercises the bundle loader.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "contracts_test_support.hpp"
#include "traverse/contracts/artifact.hpp"
#include "traverse/contracts/registry_bundle.hpp"
#include "traverse/json/parse.hpp"

namespace traverse {
namespace {

// splitmix64: a tiny deterministic generator, so every run tests the same mutations.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
  }
  std::size_t below(std::size_t bound) { return static_cast<std::size_t>(next() % bound); }

 private:
  std::uint64_t state_;
};

constexpr std::array<char, 24> kInterestingBytes = {
    '{', '}', '[', ']',  '"', ',', ':', '\\', '0',    '9',    '-',    '+',
    'e', '.', ' ', '\n', 't', 'n', 'x', '\0', '\x7f', '\x80', '\xc3', '\xff'};

std::vector<std::string> text_mutations(const std::string& original, std::uint64_t seed) {
  std::vector<std::string> out;
  const std::size_t size = original.size();
  // Truncations at ~50 evenly spread offsets (always including 0 and size - 1).
  const std::size_t step = std::max<std::size_t>(1, size / 50);
  for (std::size_t offset = 0; offset < size; offset += step) {
    out.push_back(original.substr(0, offset));
  }
  out.push_back(original.substr(0, size - 1));
  // Single-byte replacements at random offsets.
  Random random(seed);
  for (int i = 0; i < 50; ++i) {
    std::string text = original;
    text[random.below(size)] = kInterestingBytes[random.below(kInterestingBytes.size())];
    out.push_back(std::move(text));
  }
  // Bit flips.
  for (int i = 0; i < 20; ++i) {
    std::string text = original;
    const std::size_t at = random.below(size);
    text[at] = static_cast<char>(static_cast<unsigned char>(text[at]) ^ (1U << random.below(8)));
    out.push_back(std::move(text));
  }
  // Delete or duplicate structural characters (15 occurrences spread over the file).
  std::vector<std::size_t> structural;
  for (std::size_t at = 0; at < size; ++at) {
    const char c = original[at];
    if (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':') {
      structural.push_back(at);
    }
  }
  const std::size_t stride = std::max<std::size_t>(1, structural.size() / 15);
  for (std::size_t k = 0; k < structural.size(); k += stride) {
    const std::size_t at = structural[k];
    out.push_back(original.substr(0, at) + original.substr(at + 1));
    out.push_back(original.substr(0, at + 1) + original.substr(at));
  }
  // Chunk deletion and duplication.
  for (int i = 0; i < 15; ++i) {
    const std::size_t from = random.below(size);
    const std::size_t length = 1 + random.below(std::min<std::size_t>(64, size - from));
    std::string removed = original;
    removed.erase(from, length);
    out.push_back(std::move(removed));
    std::string doubled = original;
    doubled.insert(from, original.substr(from, length));
    out.push_back(std::move(doubled));
  }
  return out;
}

// JSON-level mutations: ~80 values spread over the document, each replaced by a value of another
// type or (for object members) removed. The result is still JSON, so it reaches the validators.
std::vector<Value> value_mutations(const Value& original) {
  static const std::array<Value, 8> replacements = {Value(),        Value(false),   Value(-1),
                                                    Value(0.5),     Value(""),      Value("x"),
                                                    Value::array(), Value::object()};
  std::vector<Value> out;
  const Value flat = original.flatten();
  std::vector<std::string> pointers;
  for (const auto& [pointer, leaf] : flat.items()) {
    // Every ancestor of a leaf, too (objects and arrays).
    std::string prefix = pointer;
    while (!prefix.empty()) {
      pointers.push_back(prefix);
      prefix = prefix.substr(0, prefix.rfind('/'));
    }
  }
  std::sort(pointers.begin(), pointers.end());
  pointers.erase(std::unique(pointers.begin(), pointers.end()), pointers.end());
  std::size_t rotation = 0;
  const std::size_t stride = std::max<std::size_t>(1, pointers.size() / 40);
  for (std::size_t k = 0; k < pointers.size(); k += stride) {
    const Value::json_pointer ptr(pointers[k]);
    Value replaced = original;
    replaced[ptr] = replacements[rotation++ % replacements.size()];
    out.push_back(std::move(replaced));
    const Value& parent = original[ptr.parent_pointer()];
    if (parent.is_object()) {
      Value removed = original;
      removed[ptr.parent_pointer()].erase(ptr.back());
      out.push_back(std::move(removed));
    }
  }
  return out;
}

// Any failure must be a non-empty list of typed errors; `from_file` also demands the file.
template <typename T>
void expect_typed_outcome(const std::expected<T, ValidationErrors>& result,
                          const std::string& label, bool from_file) {
  if (result) {
    return;
  }
  ASSERT_FALSE(result.error().empty()) << label << ": failure without errors";
  for (const auto& error : result.error()) {
    ASSERT_FALSE(error.code().empty()) << label;
    ASSERT_FALSE(error.message().empty()) << label << " " << error.code();
    if (from_file) {
      ASSERT_FALSE(error.file().empty()) << label << " " << error.code();
    }
    ASSERT_TRUE(error.path().starts_with("$")) << label << " " << error.path();
  }
}

struct Tally {
  std::size_t cases = 0;
  std::size_t accepted = 0;
  std::map<std::string, std::size_t> first_codes;

  template <typename T>
  void add(const std::expected<T, ValidationErrors>& result) {
    ++cases;
    if (result) {
      ++accepted;
    } else if (!result.error().empty()) {
      ++first_codes[result.error().front().code()];
    }
  }
};

// Validates an in-memory document by its kind; false when the kind has no in-memory parser
// (bundles and packages resolve files, so they go through the file path instead).
bool check_in_memory(const Value& document, const std::string& kind, const std::string& label,
                     Tally& tally) {
  if (kind == "capability_contract") {
    const auto result = parse_capability_contract(document);
    expect_typed_outcome(result, label, false);
    tally.add(result);
  } else if (kind == "event_contract") {
    const auto result = parse_event_contract(document);
    expect_typed_outcome(result, label, false);
    tally.add(result);
  } else if (kind == "workflow_definition") {
    const auto result = parse_workflow_definition(document);
    expect_typed_outcome(result, label, false);
    tally.add(result);
  } else if (kind == "runtime_request") {
    const auto result = parse_runtime_request(document);
    expect_typed_outcome(result, label, false);
    tally.add(result);
  } else {
    return false;
  }
  return true;
}

TEST(ContractsMutation, DamagedExpeditionArtifactsNeverCrash) {
  test::TempDir dir;
  test::copy_expedition(dir.path());
  const auto bundle_path = dir.path() / "bundle.json";
  {
    const auto bundle = load_registry_bundle(bundle_path);
    ASSERT_TRUE(bundle) << test::describe(bundle.error());
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 15U);

  Tally tally;
  std::size_t bundle_loads = 0;
  for (std::size_t f = 0; f < files.size(); ++f) {
    const auto& file = files[f];
    const std::string name = file.filename().string();
    const std::string original = *read_file(file);
    const auto parsed = parse_json(original);
    ASSERT_TRUE(parsed) << file;
    const std::string kind = parsed->value("kind", "");
    const bool bundle_member = file.parent_path().filename() == "contracts" ||
                               file.parent_path().filename() == "events" ||
                               file.parent_path().filename() == "workflows";

    // Text damage: through the file loader (and, for bundle members, the bundle loader).
    const auto texts = text_mutations(original, 0x5eed0000ULL + f);
    for (std::size_t m = 0; m < texts.size(); ++m) {
      const std::string label = name + " text mutation " + std::to_string(m);
      test::write_text(file, texts[m]);
      const auto result = load_artifact(file);
      expect_typed_outcome(result, label, true);
      tally.add(result);
      if (bundle_member && m % 32 == 0) {
        const auto bundle = load_registry_bundle(bundle_path);
        expect_typed_outcome(bundle, label + " via bundle", true);
        ++bundle_loads;
      }
      if (testing::Test::HasFatalFailure()) {
        return;
      }
    }

    // Value damage: in memory where the kind allows, else through the file loader.
    const auto values = value_mutations(*parsed);
    for (std::size_t m = 0; m < values.size(); ++m) {
      const std::string label = name + " value mutation " + std::to_string(m);
      if (!check_in_memory(values[m], kind, label, tally)) {
        test::write_text(file, values[m].dump());
        const auto result = load_artifact(file);
        expect_typed_outcome(result, label, true);
        tally.add(result);
      }
      if (testing::Test::HasFatalFailure()) {
        return;
      }
    }
    test::write_text(file, original);
  }
  // The damage was real (most cases rejected) and reached many different rules.
  EXPECT_GE(tally.cases, 3000U);
  EXPECT_LT(tally.accepted, tally.cases / 2);
  EXPECT_GE(tally.first_codes.size(), 8U);
  for (const char* code :
       {"InvalidJson", "MissingRequiredField", "InvalidType", "InvalidLiteral"}) {
    EXPECT_TRUE(tally.first_codes.contains(code)) << code;
  }
  std::cout << "mutation cases: " << tally.cases << " (accepted " << tally.accepted
            << "), bundle loads " << bundle_loads << ", distinct first-error codes "
            << tally.first_codes.size() << "\n";
}

}  // namespace
}  // namespace traverse
