// fuzz/fuzz_support.hpp — shared by the libFuzzer targets: a scratch folder where file-based
// loaders read the input, with the expedition example's artifacts linked in so that references
// (contract paths, package binaries) resolve.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace traverse::fuzz {

// <tmp>/traverse-fuzz-<pid>/, with contracts/, events/, workflows/, capabilities/ and inputs/
// linked to examples/expedition/ (created on first use, removed by the OS's tmp cleaning).
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    const auto path =
        std::filesystem::temp_directory_path() / ("traverse-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path / "pkg");
    const std::filesystem::path example =
        std::filesystem::path(TRAVERSE_SOURCE_DIR) / "examples" / "expedition";
    std::error_code ignored;
    for (const char* name : {"contracts", "events", "workflows", "capabilities", "inputs"}) {
      std::filesystem::create_directory_symlink(example / name, path / name, ignored);
    }
    // A package folder two levels below the root, like examples/expedition/capabilities/<name>/:
    // its "../../contracts/..." reference resolves to the linked contracts/.
    const auto capability = example / "capabilities" / "capture-expedition-objective";
    std::filesystem::create_directories(path / "pkg" / "one");
    for (const char* name :
         {"capture_expedition_objective.c", "capture-expedition-objective.wasm"}) {
      std::filesystem::create_symlink(capability / name, path / "pkg" / "one" / name, ignored);
    }
    return path;
  }();
  return dir;
}

// Writes the input to `relative` under scratch() and returns its path.
inline std::filesystem::path write_input(const std::string& relative, const std::uint8_t* data,
                                         std::size_t size) {
  const auto path = scratch() / relative;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace traverse::fuzz
