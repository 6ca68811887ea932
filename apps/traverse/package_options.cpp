#include "package_options.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "traverse/json/parse.hpp"

namespace traverse::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWhatCounts =
    "a .json file with \"kind\": \"capability_package\", searched recursively";

bool is_package_manifest(CliContext& context, const fs::path& file) {
  auto document = parse_json_file(file, kMaxPackageManifestBytes);
  if (!document) {
    if (document.error().kind() != JsonParseError::Kind::TooLarge) {
      context.warning("skipped " + file.string() + ": " + document.error().message());
    }
    return false;
  }
  if (!document->is_object()) {
    return false;
  }
  const auto kind = document->find("kind");
  return kind != document->end() && kind->is_string() &&
         kind->get<std::string>() == "capability_package";
}

// The package manifests under `folder`, sorted.
std::expected<std::vector<fs::path>, CommandFailure> manifests_in(CliContext& context,
                                                                  const std::string& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    return std::unexpected(failure(
        ExitCode::IoError, "IoError",
        "--packages " + folder + ": " +
            (fs::exists(folder, error) ? "not a folder (give --package for a single manifest)"
                                       : "no such folder"),
        folder));
  }
  std::vector<fs::path> found;
  fs::recursive_directory_iterator it(folder, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    std::error_code type_error;
    if (entry.is_directory(type_error)) {
      if (name.starts_with(".")) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (name.size() > 5 && name.ends_with(".json") && entry.is_regular_file(type_error) &&
        is_package_manifest(context, entry.path())) {
      found.push_back(entry.path());
    }
  }
  if (error) {
    return std::unexpected(failure(ExitCode::IoError, "IoError",
                                   "--packages " + folder + ": cannot read: " + error.message(),
                                   folder));
  }
  if (found.empty()) {
    return std::unexpected(failure(
        ExitCode::ValidationFailed, "NoPackageManifest",
        "--packages " + folder + ": no capability package manifest (" + kWhatCounts + ")", folder));
  }
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return a.generic_string() < b.generic_string();
  });
  return found;
}

}  // namespace

void add_package_options(CLI::App* command, PackageOptions& options,
                         const std::string& attach_help) {
  command
      ->add_option("--package", options.manifests,
                   "Capability package manifest (repeatable). " + attach_help)
      ->type_name("MANIFEST");
  command
      ->add_option("--packages", options.folders,
                   std::string("Every capability package manifest under a folder (repeatable): ") +
                       kWhatCounts +
                       " (folders starting with '.' skipped), in sorted path order, after the "
                       "--package ones; attached as --package. A folder without one is an error")
      ->type_name("DIR");
}

std::expected<std::vector<std::string>, CommandFailure> package_manifests(
    CliContext& context, const PackageOptions& options) {
  std::vector<std::string> manifests;
  std::set<fs::path> seen;
  const auto add = [&](const fs::path& manifest) {
    std::error_code error;
    fs::path key = fs::weakly_canonical(manifest, error);
    if (error) {
      key = manifest;
    }
    if (seen.insert(std::move(key)).second) {
      manifests.push_back(manifest.string());
    }
  };
  for (const auto& manifest : options.manifests) {
    add(manifest);
  }
  for (const auto& folder : options.folders) {
    auto found = manifests_in(context, folder);
    if (!found) {
      return std::unexpected(std::move(found.error()));
    }
    for (const auto& manifest : *found) {
      context.note("--packages " + folder + ": " + manifest.string());
      add(manifest);
    }
  }
  return manifests;
}

}  // namespace traverse::cli
