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
  // Truncations at ~150 evenly spread offsets (always including 0 and size - 1).
  const std::size_t step = std::max<std::size_t>(1, size / 150);
  for (std::size_t offset = 0; offset < size; offset += step) {
    out.push_back(original.substr(0, offset));
  }
  out.push_back(original.substr(0, size - 1));
  // Single-byte replacements at random offsets.
  Random random(seed);
  for (int i = 0; i < 150; ++i) {
    std::string text = original;
    text[random.below(size)] = kInterestingBytes[random.below(kInterestingBytes.size())];
    out.push_back(std::move(text));
  }
  // Bit flips.
  for (int i = 0; i < 60; ++i) {
    std::string text = original;
    const std::size_t at = random.below(size);
    text[at] = static_cast<char>(static_cast<unsigned char>(text[at]) ^ (1U << random.below(8)));
    out.push_back(std::move(text));
  }
  // Delete or duplicate structural characters (the first 40 of each kind of occurrence).
  std::size_t structural = 0;
  for (std::size_t at = 0; at < size && structural < 80; ++at) {
    const char c = original[at];
    if (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':') {
      ++structural;
      out.push_back(original.substr(0, at) + original.substr(at + 1));
      out.push_back(original.substr(0, at + 1) + original.substr(at));
    }
  }
  // Chunk deletion and duplication.
  for (int i = 0; i < 40; ++i) {
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

// JSON-level mutations: every value in the document replaced by a value of another type, and
// every object member removed. These keep the text valid JSON, so they reach the validators.
std::vector<std::string> value_mutations(const Value& original) {
  static const std::array<Value, 8> replacements = {Value(),        Value(false),   Value(-1),
                                                    Value(0.5),     Value(""),      Value("x"),
                                                    Value::array(), Value::object()};
  std::vector<std::string> out;
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
  for (const auto& pointer : pointers) {
    const Value::json_pointer ptr(pointer);
    Value replaced = original;
    replaced[ptr] = replacements[rotation++ % replacements.size()];
    out.push_back(replaced.dump());
    const Value& parent = original[ptr.parent_pointer()];
    if (parent.is_object()) {
      Value removed = original;
      removed[ptr.parent_pointer()].erase(ptr.back());
      out.push_back(removed.dump());
    }
  }
  return out;
}

void expect_typed_outcome(const std::expected<Artifact, ValidationErrors>& result,
                          const std::string& label) {
  if (result) {
    return;
  }
  ASSERT_FALSE(result.error().empty()) << label << ": failure without errors";
  for (const auto& error : result.error()) {
    ASSERT_FALSE(error.code.empty()) << label;
    ASSERT_FALSE(error.message.empty()) << label << " " << error.code;
    ASSERT_FALSE(error.file.empty()) << label << " " << error.code;
    ASSERT_TRUE(error.path.starts_with("$")) << label << " " << error.path;
  }
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

  std::size_t cases = 0;
  std::size_t accepted = 0;
  std::size_t bundle_loads = 0;
  std::map<std::string, std::size_t> codes;
  for (std::size_t f = 0; f < files.size(); ++f) {
    const auto& file = files[f];
    const std::string original = *read_file(file);
    auto mutations = text_mutations(original, 0x5eed0000ULL + f);
    const auto parsed = parse_json(original);
    ASSERT_TRUE(parsed) << file;
    for (auto& text : value_mutations(*parsed)) {
      mutations.push_back(std::move(text));
    }
    const bool in_bundle = file.parent_path() != dir.path() || file.filename() == "bundle.json";
    for (std::size_t m = 0; m < mutations.size(); ++m) {
      test::write_text(file, mutations[m]);
      const std::string label = file.filename().string() + " mutation " + std::to_string(m);
      const auto result = load_artifact(file);
      expect_typed_outcome(result, label);
      ++cases;
      if (result) {
        ++accepted;
      } else {
        ++codes[result.error().front().code];
      }
      // Damaged bundle members also go through the bundle loader (every 8th mutation).
      if (in_bundle && file.filename() != "bundle.json" && m % 8 == 0) {
        const auto bundle = load_artifact(bundle_path);
        expect_typed_outcome(bundle, label + " via bundle");
        ++bundle_loads;
      }
      if (testing::Test::HasFatalFailure()) {
        return;
      }
    }
    test::write_text(file, original);
  }
  // Sanity: the damage was real (most cases are rejected) and spread over many error codes.
  EXPECT_GE(cases, 3000U);
  EXPECT_LT(accepted, cases / 2);
  EXPECT_GE(codes.size(), 5U);
  EXPECT_TRUE(codes.contains("InvalidJson"));
  EXPECT_TRUE(codes.contains("MissingRequiredField"));
  EXPECT_TRUE(codes.contains("InvalidType"));
  RecordProperty("cases", static_cast<int>(cases));
  RecordProperty("bundle_loads", static_cast<int>(bundle_loads));
  std::cout << "mutation cases: " << cases << " (accepted " << accepted << "), bundle loads "
            << bundle_loads << ", first-error codes seen " << codes.size() << "\n";
}

}  // namespace
}  // namespace traverse
