// Governing spec: 021-wasm-aot-tier
// Splitting the C writer's output into translation units compiled in parallel: a small source
// stays whole, an expedition module's C becomes units that define every function exactly once
// (a function called from another unit is a hidden symbol, func_types one shared array), and the
// units compile and link into one shared object with the tier's own flags.
#include "engine/aot_units.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/aot_engine.hpp"
#include "wasm_test_support.hpp"

namespace traverse {
namespace {

namespace fs = std::filesystem;
using wasm_internal::split_aot_c;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

constexpr std::string_view kHidden = "__attribute__((visibility(\"hidden\"))) ";

// The function a line `static|hidden <type> w2c_NAME(Z_..._instance_t* ...) {` or `...);`
// declares or defines, else "".
std::string function_on(const std::string& line, std::string_view ending) {
  if (!line.starts_with("static ") && !line.starts_with(kHidden))
    return {};
  if (!line.ends_with(ending))
    return {};
  const std::size_t open = line.find("(Z_");
  const std::size_t name = line.rfind(" w2c_", open);
  if (open == std::string::npos || name == std::string::npos)
    return {};
  return line.substr(name + 1, open - name - 1);
}

// Per function name: how many units define it, and whether each unit declares and defines it
// `static`.
struct Definitions {
  std::map<std::string, int> count;
  std::map<std::string, bool> is_static;    // the definition
  std::map<std::string, int> static_decls;  // units declaring it static
  std::map<std::string, int> hidden_decls;  // units declaring it hidden
};

Definitions definitions_in(const std::vector<std::string>& units) {
  Definitions found;
  for (const std::string& unit : units) {
    for (const std::string& line : lines_of(unit)) {
      if (const std::string name = function_on(line, ") {"); !name.empty()) {
        ++found.count[name];
        found.is_static[name] = line.starts_with("static ");
      } else if (const std::string declared = function_on(line, ");"); !declared.empty()) {
        ++(line.starts_with("static ") ? found.static_decls : found.hidden_decls)[declared];
      }
    }
  }
  return found;
}

class AotUnits : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("traverse-aot-units-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The expedition module's C in at most `max_units` units, as the worker's compile mode
  // writes it.
  std::vector<std::string> translate(std::size_t max_units) {
    const std::string bytes =
        read_text(fs::path(TRAVERSE_SOURCE_DIR) / "examples/expedition/capabilities" /
                  "assess-expedition-conditions/assess-expedition-conditions.wasm");
    std::string error;
    EXPECT_TRUE(wasm_internal::translate_to_aot_c(bytes, std::string(64, 'k'), dir_.string(),
                                                  max_units, &sources_, &error))
        << error;
    std::vector<std::string> units;
    for (const std::string& source : sources_)
      units.push_back(read_text(source));
    return units;
  }

  fs::path dir_;
  std::vector<std::string> sources_;
};

TEST(SplitAotC, SourceBelowTheUnitSizeStaysWhole) {
  const std::string c =
      "static u32 func_types[1];\n"
      "static void w2c_f0(Z_m_instance_t*);\n"
      "static void w2c_f1(Z_m_instance_t*);\n"
      "static void w2c_f0(Z_m_instance_t* instance) {\n  w2c_f1(instance);\n}\n"
      "static void w2c_f1(Z_m_instance_t* instance) {\n}\n";
  const std::vector<std::string> units = split_aot_c(c, 4);
  ASSERT_EQ(units.size(), 1U);
  EXPECT_EQ(units[0], c);
}

TEST(SplitAotC, OneUnitAllowedKeepsTheSourceWhole) {
  std::string c = "static void w2c_f0(Z_m_instance_t*);\nstatic void w2c_f1(Z_m_instance_t*);\n";
  c += "static void w2c_f0(Z_m_instance_t* instance) {\n" + std::string(200000, ' ') + "\n}\n";
  c += "static void w2c_f1(Z_m_instance_t* instance) {\n" + std::string(200000, ' ') + "\n}\n";
  EXPECT_EQ(split_aot_c(c, 1).size(), 1U);
  EXPECT_EQ(split_aot_c(c, 2).size(), 2U);
}

TEST(SplitAotC, StaticDataUsedOutsideTheFirstUnitKeepsTheSourceWhole) {
  // A data segment (file-scope static) used by a function that would land in the second unit.
  std::string c = "static const u8 data_segment_data_w2c_d0[] = {1};\n";
  c += "static void w2c_f0(Z_m_instance_t*);\nstatic void w2c_f1(Z_m_instance_t*);\n";
  c += "static void w2c_f0(Z_m_instance_t* instance) {\n" + std::string(200000, ' ') + "\n}\n";
  c += "static void w2c_f1(Z_m_instance_t* instance) {\n  use(data_segment_data_w2c_d0);\n" +
       std::string(200000, ' ') + "\n}\n";
  EXPECT_EQ(split_aot_c(c, 2).size(), 1U);
}

TEST_F(AotUnits, ExpeditionModuleSplitsIntoUnitsDefiningEachFunctionOnce) {
  const std::vector<std::string> whole = translate(1);
  ASSERT_EQ(whole.size(), 1U);
  const Definitions before = definitions_in(whole);
  ASSERT_GT(before.count.size(), 50U);

  const std::vector<std::string> units = translate(2);
  ASSERT_EQ(units.size(), 2U);
  Definitions after = definitions_in(units);
  EXPECT_EQ(after.count, before.count);  // every function, each defined once
  int hidden = 0;
  for (const auto& [name, is_static] : after.is_static) {
    if (is_static) {
      EXPECT_EQ(after.hidden_decls[name], 0) << name;
      continue;
    }
    ++hidden;
    // Called across units: declared hidden (never static) in every unit.
    EXPECT_EQ(after.static_decls[name], 0) << name;
    EXPECT_EQ(after.hidden_decls[name], 2) << name;
  }
  EXPECT_GT(hidden, 0);
  EXPECT_LT(hidden, static_cast<int>(after.count.size()) / 2);  // most stay static (inlinable)
  // One func_types: defined by the first unit, declared extern by the second.
  EXPECT_NE(units[0].find("#define TRAVERSE_AOT_SHARED __attribute__"), std::string::npos);
  EXPECT_NE(units[1].find("#define TRAVERSE_AOT_SHARED extern __attribute__"), std::string::npos);
  EXPECT_NE(units[1].find("TRAVERSE_AOT_SHARED u32 func_types["), std::string::npos);
  // The instantiate function and the wrapper are in the first unit only.
  EXPECT_NE(units[0].find("traverse_aot_instantiate"), std::string::npos);
  EXPECT_EQ(units[1].find("traverse_aot_instantiate"), std::string::npos);
}

TEST_F(AotUnits, UnitsCompileAndLinkIntoOneObject) {
  if (wasm_test::test_tier() == WasmTier::Aot)
    GTEST_SKIP() << "tier-independent; runs in the interpreter registration";
  if (std::system("command -v cc >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no C compiler";
  const std::vector<std::string> units = translate(2);
  ASSERT_EQ(units.size(), 2U);
  std::string flags;
  for (const char* flag : wasm_internal::kAotCompilerFlags)
    flags += std::string(" ") + flag;
  std::string objects;
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    const std::string object = (dir_ / ("unit" + std::to_string(i) + ".o")).string();
    const std::string compile =
        "cc" + flags + " -Werror=implicit-function-declaration -c -o " + object + " " + sources_[i];
    ASSERT_EQ(std::system(compile.c_str()), 0) << compile;
    objects += " " + object;
  }
  const std::string so = (dir_ / "module.so").string();
  const std::string link = "cc -shared -o " + so + objects;
  ASSERT_EQ(std::system(link.c_str()), 0) << link;
  // The functions called across units are not exported: the object's dynamic symbols are the
  // wrapper's and the C writer's public names only.
  const std::string symbols = (dir_ / "symbols.txt").string();
  ASSERT_EQ(std::system(("nm -D --defined-only " + so + " > " + symbols).c_str()), 0);
  const std::string exported = read_text(symbols);
  EXPECT_NE(exported.find("traverse_aot_instantiate"), std::string::npos);
  EXPECT_EQ(exported.find(" w2c_"), std::string::npos);
  EXPECT_EQ(exported.find("func_types"), std::string::npos);
  // Nothing one unit uses is left undefined by the others (the worker supplies only wasm-rt.h's
  // runtime and the imports).
  const std::string undefined_list = (dir_ / "undefined.txt").string();
  ASSERT_EQ(std::system(("nm -u " + so + " > " + undefined_list).c_str()), 0);
  const std::string undefined = read_text(undefined_list);
  EXPECT_EQ(undefined.find(" w2c_"), std::string::npos) << undefined;
  EXPECT_EQ(undefined.find("func_types"), std::string::npos) << undefined;
  EXPECT_EQ(undefined.find("init_"), std::string::npos) << undefined;
}

}  // namespace
}  // namespace traverse
