// apps/traverse/package_options.hpp — the `--package MANIFEST` and `--packages DIR` options of
// every command that attaches capability packages to a bundle (run, workflow run, serve): added
// and expanded into manifest paths in one place.
//
// Which files of a --packages folder count: every regular file under it (recursively; folders
// whose name starts with "." are skipped, symbolic links to folders are not followed) whose name
// ends in ".json", whose size is at most kMaxPackageManifestBytes, and whose content is a JSON
// object with "kind": "capability_package". They are taken in sorted path order. Other JSON
// files (contracts, requests, bundles) are ignored; a .json file that is not JSON is skipped with
// a warning naming it.
// Thread safety: confine to the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "cli_support.hpp"

namespace traverse::cli {

// A .json file larger than this under a --packages folder is not read (manifests are small).
inline constexpr std::uint64_t kMaxPackageManifestBytes = std::uint64_t{1} << 20;

struct PackageOptions {
  std::vector<std::string> manifests;  // --package, in command-line order
  std::vector<std::string> folders;    // --packages, in command-line order
};

// Adds --package (repeatable) and --packages (repeatable) to `command`, storing into `options`
// (which must outlive the command). `attach_help` says what happens to a package.
void add_package_options(CLI::App* command, PackageOptions& options,
                         const std::string& attach_help);

// The manifests to load: every --package, then the manifests of each --packages folder (see the
// file comment); a file named twice is loaded once. Failure: 4 when a --packages value is not a
// folder or cannot be read, 2 when a folder holds no capability package manifest.
[[nodiscard]] std::expected<std::vector<std::string>, CommandFailure> package_manifests(
    CliContext& context, const PackageOptions& options);

}  // namespace traverse::cli
