// Shared fixtures for the contracts unit tests: the expedition example files, temporary folders,
// and a compact way to assert on ValidationErrors.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

#include "traverse/contracts/validation_error.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/json/value.hpp"

namespace traverse::test {

inline std::filesystem::path source_dir() {
  return std::filesystem::path(TRAVERSE_SOURCE_DIR);
}
inline std::filesystem::path expedition_dir() {
  return source_dir() / "examples" / "expedition";
}

inline Value read_json(const std::filesystem::path& path) {
  auto parsed = parse_json_file(path);
  if (!parsed) {
    ADD_FAILURE() << "cannot parse " << path << ": " << parsed.error().message();
    return Value();
  }
  return *parsed;
}

inline void write_text(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

inline void write_json(const std::filesystem::path& path, const Value& value) {
  write_text(path, value.dump(2));
}

// A fresh folder under the build tree, removed on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::path(TRAVERSE_BINARY_DIR) / "test-tmp" /
            ("contracts-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Copies examples/expedition (JSON artifacts only) into `target`.
inline void copy_expedition(const std::filesystem::path& target) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(expedition_dir())) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") {
      continue;
    }
    const auto relative = std::filesystem::relative(entry.path(), expedition_dir());
    if (relative.begin() != relative.end() && *relative.begin() == "capabilities") {
      continue;
    }
    std::filesystem::create_directories((target / relative).parent_path());
    std::filesystem::copy_file(entry.path(), target / relative,
                               std::filesystem::copy_options::overwrite_existing);
  }
}

inline std::string describe(const ValidationErrors& errors) {
  std::ostringstream out;
  for (const auto& error : errors) {
    out << "\n  " << to_string(error);
  }
  return out.str();
}

inline bool contains(const ValidationErrors& errors, std::string_view code, std::string_view path) {
  return std::any_of(errors.begin(), errors.end(), [&](const ValidationError& error) {
    return error.code() == code && error.path() == path;
  });
}

// One invalid artifact: a mutation of a valid document and the single error it must produce.
struct NegativeCase {
  std::string name;
  std::function<void(Value&)> mutate;
  std::string code;
  std::string path;
  // When false, other errors may accompany the expected one (the mutation breaks several rules).
  bool only_error = true;
};

inline std::string case_name(const testing::TestParamInfo<NegativeCase>& info) {
  return info.param.name;
}

// Asserts that `errors` holds the case's error (and nothing else when `only_error`).
inline void expect_case(const NegativeCase& c, const ValidationErrors& errors) {
  EXPECT_TRUE(contains(errors, c.code, c.path))
      << "expected " << c.code << " at " << c.path << ", got:" << describe(errors);
  if (c.only_error) {
    EXPECT_EQ(errors.size(), 1U) << "expected only " << c.code << " at " << c.path
                                 << ", got:" << describe(errors);
  }
  for (const auto& error : errors) {
    EXPECT_FALSE(error.code().empty());
    EXPECT_FALSE(error.message().empty()) << error.code() << " at " << error.path();
  }
}

}  // namespace traverse::test
