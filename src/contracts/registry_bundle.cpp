#include "traverse/contracts/registry_bundle.hpp"

#include <map>
#include <system_error>
#include <utility>

#include "document_reader.hpp"

namespace traverse {
namespace {

using contracts_detail::DocumentReader;
using contracts_detail::index_path;
using contracts_detail::type_name;

enum class Section { Capabilities, Events, Workflows };

struct SectionInfo {
  Section section;
  std::string_view key;
  std::string_view parse_failed_code;
  std::string_view noun;
};

constexpr SectionInfo kSections[] = {
    {Section::Capabilities, "capabilities", "CapabilityParseFailed", "capability contract"},
    {Section::Events, "events", "EventParseFailed", "event contract"},
    {Section::Workflows, "workflows", "WorkflowParseFailed", "workflow definition"},
};

std::vector<BundleEntry>& entries_of(RegistryBundle& bundle, Section section) {
  switch (section) {
    case Section::Capabilities:
      return bundle.capability_entries;
    case Section::Events:
      return bundle.event_entries;
    case Section::Workflows:
      break;
  }
  return bundle.workflow_entries;
}

// The raw string member `key` of a parsed document, if it is a string.
std::optional<std::string> raw_string(const Value& document, std::string_view key) {
  const Value* value = DocumentReader::find(document, key);
  if (value == nullptr || !value->is_string()) {
    return std::nullopt;
  }
  return *value->get_ptr<const std::string*>();
}

}  // namespace

std::expected<RegistryBundle, ValidationErrors> load_registry_bundle(
    const std::filesystem::path& manifest_path) {
  auto document = contracts_detail::read_json_object(manifest_path, "a registry bundle manifest");
  if (!document) {
    return std::unexpected(std::move(document.error()));
  }
  const std::string manifest_file = manifest_path.string();
  DocumentReader reader;
  RegistryBundle bundle;
  bundle.manifest_path = manifest_path;

  if (auto v = reader.required_string(*document, "bundle_id", "$")) {
    bundle.bundle_id = std::move(*v);
  }
  if (auto v = reader.required_semver(*document, "version", "$")) {
    bundle.version = std::move(*v);
  }
  if (const auto scope = reader.required_string(*document, "scope", "$")) {
    if (const auto parsed = parse_scope(*scope)) {
      bundle.scope = *parsed;
    } else {
      reader.add("InvalidScope", "$.scope",
                 "bundle scope \"" + *scope + "\" is not one of: public | private");
    }
  }

  // Manifest entries first: shape, duplicates, resolved paths.
  struct PendingEntry {
    SectionInfo info;
    std::size_t index;
    BundleEntry entry;
  };
  std::vector<PendingEntry> pending;
  const std::filesystem::path folder = manifest_path.parent_path();
  for (const SectionInfo& info : kSections) {
    const Value* items = reader.required_array(*document, info.key, "$");
    if (items == nullptr) {
      continue;
    }
    const std::string section_path = "$." + std::string(info.key);
    std::map<std::string, std::string> seen;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Value& item = (*items)[i];
      const std::string item_path = index_path(section_path, i);
      if (!item.is_object()) {
        reader.add("InvalidType", item_path,
                   "expected object {id, version, path}, found " + std::string(type_name(item)));
        continue;
      }
      auto id = reader.required_string(item, "id", item_path);
      auto version = reader.required_string(item, "version", item_path);
      auto path = reader.required_string(item, "path", item_path);
      if (!id || !version || !path) {
        continue;
      }
      const std::string key = *id + "@" + *version;
      const auto [it, inserted] = seen.emplace(key, item_path);
      if (!inserted) {
        reader.add(
            "DuplicateArtifactId", item_path,
            "duplicate " + std::string(info.noun) + " " + key + " (first at " + it->second + ")");
        continue;
      }
      pending.push_back(PendingEntry{
          info, i,
          BundleEntry{std::move(*id), std::move(*version), (folder / *path).lexically_normal()}});
    }
  }

  ValidationErrors errors = reader.take();
  attach_file(errors, manifest_file);
  const auto report = [&](std::string code, std::string path, std::string message) {
    errors.push_back(
        ValidationError{std::move(code), std::move(path), std::move(message), manifest_file});
  };

  // Then every artifact: present, parses, validates, and matches its entry.
  for (PendingEntry& item : pending) {
    const std::string item_path = index_path("$." + std::string(item.info.key), item.index);
    const BundleEntry& entry = item.entry;
    const std::string key = entry.id + "@" + entry.version;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(entry.path, ec)) {
      report("MissingArtifactFile", item_path + ".path",
             "missing artifact file for " + key + " at " + entry.path.string());
      continue;
    }
    auto artifact_document = contracts_detail::read_json_document(entry.path);
    if (!artifact_document) {
      report(std::string(item.info.parse_failed_code), item_path + ".path",
             std::string(item.info.noun) + " " + key + " at " + entry.path.string() +
                 " could not be read");
      errors.insert(errors.end(), artifact_document.error().begin(),
                    artifact_document.error().end());
      continue;
    }
    ValidationErrors artifact_errors;
    switch (item.info.section) {
      case Section::Capabilities: {
        auto parsed = parse_capability_contract(*artifact_document);
        if (parsed) {
          bundle.capabilities.push_back(std::move(*parsed));
        } else {
          artifact_errors = std::move(parsed.error());
        }
        break;
      }
      case Section::Events: {
        auto parsed = parse_event_contract(*artifact_document);
        if (parsed) {
          bundle.events.push_back(std::move(*parsed));
        } else {
          artifact_errors = std::move(parsed.error());
        }
        break;
      }
      case Section::Workflows: {
        auto parsed = parse_workflow_definition(*artifact_document);
        if (parsed) {
          bundle.workflows.push_back(std::move(*parsed));
        } else {
          artifact_errors = std::move(parsed.error());
        }
        break;
      }
    }
    if (!artifact_errors.empty()) {
      report(std::string(item.info.parse_failed_code), item_path + ".path",
             std::string(item.info.noun) + " " + key + " at " + entry.path.string() + " has " +
                 std::to_string(artifact_errors.size()) + " violation(s)");
      attach_file(artifact_errors, entry.path.string());
      errors.insert(errors.end(), artifact_errors.begin(), artifact_errors.end());
    }
    const auto artifact_id = raw_string(*artifact_document, "id");
    const auto artifact_version = raw_string(*artifact_document, "version");
    if (artifact_id && *artifact_id != entry.id) {
      report("ArtifactIdMismatch", item_path + ".id",
             "manifest names " + entry.id + " but " + entry.path.string() + " declares id " +
                 *artifact_id);
    }
    if (artifact_version && *artifact_version != entry.version) {
      report("ArtifactVersionMismatch", item_path + ".version",
             "manifest names " + key + " but " + entry.path.string() + " declares version " +
                 *artifact_version);
    }
    entries_of(bundle, item.info.section).push_back(entry);
  }

  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }
  return bundle;
}

}  // namespace traverse
