#include "traverse/contracts/capability_package.hpp"

#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>

#include "document_reader.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/support/digest.hpp"

namespace traverse {
namespace {

using contracts_detail::DocumentReader;
using contracts_detail::index_path;
using contracts_detail::type_name;

std::vector<WorkflowRef> read_compositions(DocumentReader& reader, const Value& document,
                                           std::string_view key, bool& present) {
  std::vector<WorkflowRef> out;
  const Value* items = reader.optional_array(document, key, "$");
  present = items != nullptr;
  if (items == nullptr) {
    return out;
  }
  const std::string path = "$." + std::string(key);
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    const std::string item_path = index_path(path, i);
    if (!item.is_object()) {
      reader.add(
          "InvalidType", item_path,
          "expected object {workflow_id, workflow_version}, found " + std::string(type_name(item)));
      continue;
    }
    auto id = reader.required_string(item, "workflow_id", item_path);
    auto version = reader.required_semver(item, "workflow_version", item_path);
    if (id && version) {
      out.push_back(WorkflowRef{std::move(*id), std::move(*version)});
    }
  }
  return out;
}

bool is_fnv_digest(std::string_view text) {
  constexpr std::string_view prefix = "fnv1a64:";
  if (text.size() != prefix.size() + 16 || !text.starts_with(prefix)) {
    return false;
  }
  for (const char c : text.substr(prefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

// What the manifest says about the package's files, before they are looked at.
struct ManifestRefs {
  std::optional<std::string> ref_id;
  std::optional<std::string> ref_version;
  std::optional<std::string> contract_rel;
  std::optional<std::string> source_rel;
  std::optional<std::string> binary_rel;
  std::optional<std::string> expected_digest;  // set only when well-formed
};

// Phase 1: the manifest document's own fields (into `package` and the returned references).
ManifestRefs read_manifest(DocumentReader& reader, const Value& doc, CapabilityPackage& package) {
  ManifestRefs refs;
  reader.expect_literal(doc, "kind", "$", "capability_package");
  reader.expect_literal(doc, "schema_version", "$", "1.0.0");
  if (auto v = reader.required_string(doc, "package_id", "$")) {
    package.package_id = std::move(*v);
  }
  if (auto v = reader.required_semver(doc, "version", "$")) {
    package.version = std::move(*v);
  }
  if (auto v = reader.required_string(doc, "summary", "$")) {
    package.summary = std::move(*v);
  }
  if (const Value* ref = reader.required_object(doc, "capability_ref", "$")) {
    refs.ref_id = reader.required_string(*ref, "id", "$.capability_ref");
    refs.ref_version = reader.required_semver(*ref, "version", "$.capability_ref");
    refs.contract_rel = reader.required_string(*ref, "contract_path", "$.capability_ref");
  }

  bool compositions_present = false;
  bool legacy_present = false;
  package.known_compositions =
      read_compositions(reader, doc, "known_compositions", compositions_present);
  auto legacy = read_compositions(reader, doc, "workflow_refs", legacy_present);
  if (compositions_present && legacy_present && legacy != package.known_compositions) {
    reader.add("CompositionMismatch", "$.workflow_refs",
               "workflow_refs (legacy) must equal known_compositions when both are present");
  } else if (!compositions_present) {
    package.known_compositions = std::move(legacy);
  }

  if (const Value* source = reader.required_object(doc, "source", "$")) {
    refs.source_rel = reader.required_string(*source, "path", "$.source");
    if (auto v = reader.required_string(*source, "language", "$.source")) {
      package.source_language = std::move(*v);
    }
    reader.required_string(*source, "entry", "$.source");
  }
  if (const Value* binary = reader.required_object(doc, "binary", "$")) {
    refs.binary_rel = reader.required_string(*binary, "path", "$.binary");
    reader.expect_literal(*binary, "format", "$.binary", "wasm");
    reader.expect_literal(*binary, "abi_version", "$.binary", "1.0.0");
    package.abi_version = "1.0.0";
    refs.expected_digest = reader.required_string(*binary, "expected_digest", "$.binary");
    if (refs.expected_digest && !is_fnv_digest(*refs.expected_digest)) {
      reader.add("InvalidDigest", "$.binary.expected_digest",
                 "expected \"fnv1a64:\" followed by 16 lowercase hex digits, found \"" +
                     *refs.expected_digest + "\"");
      refs.expected_digest.reset();
    }
  }
  if (const Value* constraints = reader.required_object(doc, "constraints", "$")) {
    reader.expect_literal(*constraints, "host_api_access", "$.constraints", "none");
    reader.expect_literal(*constraints, "network_access", "$.constraints", "forbidden");
    reader.expect_literal(*constraints, "filesystem_access", "$.constraints", "none");
  }
  if (const Value* models = reader.optional_array(doc, "model_dependencies", "$")) {
    for (std::size_t i = 0; i < models->size(); ++i) {
      const Value& item = (*models)[i];
      const std::string item_path = index_path("$.model_dependencies", i);
      if (!item.is_object()) {
        reader.add("InvalidType", item_path,
                   "expected object {interface, purpose}, found " + std::string(type_name(item)));
        continue;
      }
      reader.required_string(item, "interface", item_path);
      reader.required_string(item, "purpose", item_path);
    }
  }
  return refs;
}

// Problems found in the files the manifest names (each with the file it is about).
class FileProblems {
 public:
  explicit FileProblems(ValidationErrors& errors) : errors_(errors) {}
  void report(std::string code, std::string path, std::string message, std::string file) {
    errors_.push_back(
        ValidationError{std::move(code), std::move(path), std::move(message), std::move(file)});
  }
  void append(const ValidationErrors& more) {
    errors_.insert(errors_.end(), more.begin(), more.end());
  }

 private:
  ValidationErrors& errors_;
};

bool is_file(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

// The contract rules for a packaged capability: entrypoint "run" and no host, network or
// filesystem access.
void check_packaged_contract(const CapabilityContract& c, const std::string& contract_file,
                             FileProblems& problems) {
  if (c.entrypoint_command != "run") {
    problems.report("InvalidLiteral", "$.execution.entrypoint.command",
                    "a packaged capability needs entrypoint command \"run\", found \"" +
                        c.entrypoint_command + "\"",
                    contract_file);
  }
  const ExecutionConstraints required;
  for (const auto& [name, actual, expected] :
       {std::tuple{"host_api_access", &c.constraints.host_api_access, &required.host_api_access},
        std::tuple{"network_access", &c.constraints.network_access, &required.network_access},
        std::tuple{"filesystem_access", &c.constraints.filesystem_access,
                   &required.filesystem_access}}) {
    if (*actual != *expected) {
      problems.report("InvalidLiteral", std::string("$.execution.constraints.") + name,
                      "a packaged capability needs " + std::string(name) + " \"" + *expected +
                          "\", found \"" + *actual + "\"",
                      contract_file);
    }
  }
}

// Phase 2: the contract — present, valid, the one capability_ref names, runnable as a package.
void load_contract(const ManifestRefs& refs, const std::filesystem::path& folder,
                   const std::string& manifest_file, CapabilityPackage& package,
                   FileProblems& problems) {
  package.contract_path = (folder / *refs.contract_rel).lexically_normal();
  const std::string contract_file = package.contract_path.string();
  if (!is_file(package.contract_path)) {
    problems.report("MissingArtifactFile", "$.capability_ref.contract_path",
                    "missing contract file at " + contract_file, manifest_file);
    return;
  }
  auto contract = load_capability_contract(package.contract_path);
  if (!contract) {
    problems.report("CapabilityParseFailed", "$.capability_ref.contract_path",
                    "contract at " + contract_file + " has " +
                        std::to_string(contract.error().size()) + " violation(s)",
                    manifest_file);
    problems.append(contract.error());
    return;
  }
  package.contract = std::move(*contract);
  const CapabilityContract& c = package.contract;
  if (refs.ref_id && c.id != *refs.ref_id) {
    problems.report("ArtifactIdMismatch", "$.capability_ref.id",
                    "capability_ref.id is " + *refs.ref_id + " but the contract declares " + c.id,
                    manifest_file);
  }
  if (refs.ref_version && c.version != *refs.ref_version) {
    problems.report("ArtifactVersionMismatch", "$.capability_ref.version",
                    "capability_ref.version is " + *refs.ref_version +
                        " but the contract declares " + c.version,
                    manifest_file);
  }
  check_packaged_contract(c, contract_file, problems);
}

// Phase 3: the module — present, readable, and the bytes the manifest's digest names.
void load_binary(const ManifestRefs& refs, const std::filesystem::path& folder,
                 const std::string& manifest_file, CapabilityPackage& package,
                 FileProblems& problems) {
  package.binary_path = (folder / *refs.binary_rel).lexically_normal();
  if (!is_file(package.binary_path)) {
    problems.report("MissingArtifactFile", "$.binary.path",
                    "missing wasm binary at " + package.binary_path.string(), manifest_file);
    return;
  }
  auto bytes = read_file(package.binary_path);
  if (!bytes) {
    problems.report("IoError", "$.binary.path",
                    "cannot read " + package.binary_path.string() + ": " + bytes.error().message(),
                    manifest_file);
    return;
  }
  if (!refs.expected_digest) {
    return;
  }
  const std::string actual = fnv1a64_digest(*bytes);
  if (actual != *refs.expected_digest) {
    problems.report("DigestMismatch", "$.binary.expected_digest",
                    "expected_digest is " + *refs.expected_digest + " but " +
                        package.binary_path.string() + " has " + actual,
                    manifest_file);
    return;
  }
  package.binary_digest = actual;
  package.binary_sha256 = sha256_hex(*bytes);
}

}  // namespace

std::expected<CapabilityPackage, ValidationErrors> load_capability_package(
    const std::filesystem::path& manifest_path) {
  auto document =
      contracts_detail::read_json_object(manifest_path, "a capability package manifest");
  if (!document) {
    return std::unexpected(std::move(document.error()));
  }
  const std::string manifest_file = manifest_path.string();
  DocumentReader reader;
  CapabilityPackage package;
  package.manifest_path = manifest_path;
  const ManifestRefs refs = read_manifest(reader, *document, package);
  ValidationErrors errors = reader.take();
  attach_file(errors, manifest_file);

  FileProblems problems(errors);
  const std::filesystem::path folder = manifest_path.parent_path();
  if (refs.contract_rel) {
    load_contract(refs, folder, manifest_file, package, problems);
  }
  if (refs.source_rel) {
    package.source_path = (folder / *refs.source_rel).lexically_normal();
    if (!is_file(package.source_path)) {
      problems.report("MissingArtifactFile", "$.source.path",
                      "missing source file at " + package.source_path.string(), manifest_file);
    }
  }
  if (refs.binary_rel) {
    load_binary(refs, folder, manifest_file, package, problems);
  }
  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }
  return package;
}

}  // namespace traverse
