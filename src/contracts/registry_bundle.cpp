#include "traverse/contracts/registry_bundle.hpp"

#include <iterator>
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

void read_bundle_header(DocumentReader& reader, const Value& document, RegistryBundle& bundle) {
  if (auto v = reader.required_string(document, "bundle_id", "$")) {
    bundle.bundle_id = std::move(*v);
  }
  if (auto v = reader.required_semver(document, "version", "$")) {
    bundle.version = std::move(*v);
  }
  if (const auto scope = reader.required_string(document, "scope", "$")) {
    if (const auto parsed = parse_scope(*scope)) {
      bundle.scope = *parsed;
    } else {
      reader.add("InvalidScope", "$.scope",
                 "bundle scope \"" + *scope + "\" is not one of: public | private");
    }
  }
}

// One manifest entry whose shape is valid, waiting for its artifact to be read.
struct PendingEntry {
  SectionInfo info;
  std::size_t index;  // in the manifest's section array
  BundleEntry entry;

  [[nodiscard]] std::string path() const { return index_path("$." + std::string(info.key), index); }
  [[nodiscard]] std::string key() const { return entry.id + "@" + entry.version; }
};

// The manifest's entries: shape, duplicates, paths resolved against the manifest's folder.
std::vector<PendingEntry> read_manifest_entries(DocumentReader& reader, const Value& document,
                                                const std::filesystem::path& folder) {
  std::vector<PendingEntry> pending;
  for (const SectionInfo& info : kSections) {
    const Value* items = reader.required_array(document, info.key, "$");
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
  return pending;
}

// Parses one artifact as its section's kind and adds it to the bundle; its violations otherwise.
template <typename Parse, typename Artifact>
ValidationErrors parse_into(Parse parse, const Value& document, std::vector<Artifact>& into) {
  auto parsed = parse(document);
  if (!parsed) {
    return std::move(parsed.error());
  }
  into.push_back(std::move(*parsed));
  return {};
}

ValidationErrors parse_artifact(Section section, const Value& document, RegistryBundle& bundle) {
  switch (section) {
    case Section::Capabilities:
      return parse_into(parse_capability_contract, document, bundle.capabilities);
    case Section::Events:
      return parse_into(parse_event_contract, document, bundle.events);
    case Section::Workflows:
      break;
  }
  return parse_into(parse_workflow_definition, document, bundle.workflows);
}

// The errors of one bundle load: the manifest's own violations name the manifest file.
class BundleErrors {
 public:
  BundleErrors(ValidationErrors manifest_errors, std::string manifest_file)
      : errors_(std::move(manifest_errors)), manifest_file_(std::move(manifest_file)) {
    attach_file(errors_, manifest_file_);
  }

  void report(std::string code, std::string path, std::string message) {
    errors_.push_back(
        ValidationError{std::move(code), std::move(path), std::move(message), manifest_file_});
  }
  void append(ValidationErrors more) {
    errors_.insert(errors_.end(), std::make_move_iterator(more.begin()),
                   std::make_move_iterator(more.end()));
  }
  [[nodiscard]] bool empty() const { return errors_.empty(); }
  [[nodiscard]] ValidationErrors take() { return std::move(errors_); }

 private:
  ValidationErrors errors_;
  std::string manifest_file_;
};

// The artifact's own id and version must be the ones its manifest entry names.
void check_artifact_identity(const PendingEntry& item, const Value& document,
                             BundleErrors& errors) {
  const BundleEntry& entry = item.entry;
  const auto artifact_id = raw_string(document, "id");
  const auto artifact_version = raw_string(document, "version");
  if (artifact_id && *artifact_id != entry.id) {
    errors.report("ArtifactIdMismatch", item.path() + ".id",
                  "manifest names " + entry.id + " but " + entry.path.string() + " declares id " +
                      *artifact_id);
  }
  if (artifact_version && *artifact_version != entry.version) {
    errors.report("ArtifactVersionMismatch", item.path() + ".version",
                  "manifest names " + item.key() + " but " + entry.path.string() +
                      " declares version " + *artifact_version);
  }
}

// One artifact: present, parses, validates, and matches its entry.
void load_artifact(const PendingEntry& item, RegistryBundle& bundle, BundleErrors& errors) {
  const BundleEntry& entry = item.entry;
  const std::string path_path = item.path() + ".path";
  const std::string described =
      std::string(item.info.noun) + " " + item.key() + " at " + entry.path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(entry.path, ec)) {
    errors.report("MissingArtifactFile", path_path,
                  "missing artifact file for " + item.key() + " at " + entry.path.string());
    return;
  }
  auto document = contracts_detail::read_json_document(entry.path);
  if (!document) {
    errors.report(std::string(item.info.parse_failed_code), path_path,
                  described + " could not be read");
    errors.append(std::move(document.error()));
    return;
  }
  ValidationErrors artifact_errors = parse_artifact(item.info.section, *document, bundle);
  if (!artifact_errors.empty()) {
    errors.report(std::string(item.info.parse_failed_code), path_path,
                  described + " has " + std::to_string(artifact_errors.size()) + " violation(s)");
    attach_file(artifact_errors, entry.path.string());
    errors.append(std::move(artifact_errors));
  }
  check_artifact_identity(item, *document, errors);
  entries_of(bundle, item.info.section).push_back(entry);
}

}  // namespace

std::expected<RegistryBundle, ValidationErrors> load_registry_bundle(
    const std::filesystem::path& manifest_path) {
  auto document = contracts_detail::read_json_object(manifest_path, "a registry bundle manifest");
  if (!document) {
    return std::unexpected(std::move(document.error()));
  }
  DocumentReader reader;
  RegistryBundle bundle;
  bundle.manifest_path = manifest_path;
  read_bundle_header(reader, *document, bundle);
  // Manifest entries first, then every artifact they name.
  const std::vector<PendingEntry> pending =
      read_manifest_entries(reader, *document, manifest_path.parent_path());
  BundleErrors errors(reader.take(), manifest_path.string());
  for (const PendingEntry& item : pending) {
    load_artifact(item, bundle, errors);
  }
  if (!errors.empty()) {
    return std::unexpected(errors.take());
  }
  return bundle;
}

}  // namespace traverse
