#include "traverse/contracts/capability_package.hpp"

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

}  // namespace

std::expected<CapabilityPackage, ValidationErrors> load_capability_package(
    const std::filesystem::path& manifest_path) {
  auto document = contracts_detail::read_json_document(manifest_path);
  if (!document) {
    return std::unexpected(std::move(document.error()));
  }
  const std::string manifest_file = manifest_path.string();
  DocumentReader reader;
  CapabilityPackage package;
  package.manifest_path = manifest_path;
  if (!document->is_object()) {
    reader.add("InvalidType", "$",
               "a capability package manifest must be a JSON object, found " +
                   std::string(type_name(*document)));
    auto errors = reader.take();
    attach_file(errors, manifest_file);
    return std::unexpected(std::move(errors));
  }
  const Value& doc = *document;
  const std::filesystem::path folder = manifest_path.parent_path();

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

  std::optional<std::string> ref_id;
  std::optional<std::string> ref_version;
  std::optional<std::string> contract_rel;
  if (const Value* ref = reader.required_object(doc, "capability_ref", "$")) {
    ref_id = reader.required_string(*ref, "id", "$.capability_ref");
    ref_version = reader.required_semver(*ref, "version", "$.capability_ref");
    contract_rel = reader.required_string(*ref, "contract_path", "$.capability_ref");
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

  std::optional<std::string> source_rel;
  if (const Value* source = reader.required_object(doc, "source", "$")) {
    source_rel = reader.required_string(*source, "path", "$.source");
    if (auto v = reader.required_string(*source, "language", "$.source")) {
      package.source_language = std::move(*v);
    }
    reader.required_string(*source, "entry", "$.source");
  }

  std::optional<std::string> binary_rel;
  std::optional<std::string> expected_digest;
  if (const Value* binary = reader.required_object(doc, "binary", "$")) {
    binary_rel = reader.required_string(*binary, "path", "$.binary");
    reader.expect_literal(*binary, "format", "$.binary", "wasm");
    reader.expect_literal(*binary, "abi_version", "$.binary", "1.0.0");
    package.abi_version = "1.0.0";
    expected_digest = reader.required_string(*binary, "expected_digest", "$.binary");
    if (expected_digest && !is_fnv_digest(*expected_digest)) {
      reader.add("InvalidDigest", "$.binary.expected_digest",
                 "expected \"fnv1a64:\" followed by 16 lowercase hex digits, found \"" +
                     *expected_digest + "\"");
      expected_digest.reset();
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

  ValidationErrors errors = reader.take();
  attach_file(errors, manifest_file);
  const auto report = [&](std::string code, std::string path, std::string message,
                          std::string file) {
    errors.push_back(
        ValidationError{std::move(code), std::move(path), std::move(message), std::move(file)});
  };
  const auto exists = [](const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
  };

  // The contract: present, valid, the one capability_ref names, and runnable as a package.
  if (contract_rel) {
    package.contract_path = (folder / *contract_rel).lexically_normal();
    const std::string contract_file = package.contract_path.string();
    if (!exists(package.contract_path)) {
      report("MissingArtifactFile", "$.capability_ref.contract_path",
             "missing contract file at " + contract_file, manifest_file);
    } else if (auto contract = load_capability_contract(package.contract_path); !contract) {
      report("CapabilityParseFailed", "$.capability_ref.contract_path",
             "contract at " + contract_file + " has " + std::to_string(contract.error().size()) +
                 " violation(s)",
             manifest_file);
      errors.insert(errors.end(), contract.error().begin(), contract.error().end());
    } else {
      package.contract = std::move(*contract);
      const CapabilityContract& c = package.contract;
      if (ref_id && c.id != *ref_id) {
        report("ArtifactIdMismatch", "$.capability_ref.id",
               "capability_ref.id is " + *ref_id + " but the contract declares " + c.id,
               manifest_file);
      }
      if (ref_version && c.version != *ref_version) {
        report(
            "ArtifactVersionMismatch", "$.capability_ref.version",
            "capability_ref.version is " + *ref_version + " but the contract declares " + c.version,
            manifest_file);
      }
      if (c.entrypoint_command != "run") {
        report("InvalidLiteral", "$.execution.entrypoint.command",
               "a packaged capability needs entrypoint command \"run\", found \"" +
                   c.entrypoint_command + "\"",
               contract_file);
      }
      const ExecutionConstraints required;
      for (const auto& [name, actual, expected] :
           {std::tuple{"host_api_access", &c.constraints.host_api_access,
                       &required.host_api_access},
            std::tuple{"network_access", &c.constraints.network_access, &required.network_access},
            std::tuple{"filesystem_access", &c.constraints.filesystem_access,
                       &required.filesystem_access}}) {
        if (*actual != *expected) {
          report("InvalidLiteral", std::string("$.execution.constraints.") + name,
                 "a packaged capability needs " + std::string(name) + " \"" + *expected +
                     "\", found \"" + *actual + "\"",
                 contract_file);
        }
      }
    }
  }

  if (source_rel) {
    package.source_path = (folder / *source_rel).lexically_normal();
    if (!exists(package.source_path)) {
      report("MissingArtifactFile", "$.source.path",
             "missing source file at " + package.source_path.string(), manifest_file);
    }
  }

  if (binary_rel) {
    package.binary_path = (folder / *binary_rel).lexically_normal();
    if (!exists(package.binary_path)) {
      report("MissingArtifactFile", "$.binary.path",
             "missing wasm binary at " + package.binary_path.string(), manifest_file);
    } else if (auto bytes = read_file(package.binary_path); !bytes) {
      report("IoError", "$.binary.path",
             "cannot read " + package.binary_path.string() + ": " + bytes.error(), manifest_file);
    } else if (expected_digest) {
      const std::string actual = fnv1a64_digest(*bytes);
      if (actual != *expected_digest) {
        report("DigestMismatch", "$.binary.expected_digest",
               "expected_digest is " + *expected_digest + " but " + package.binary_path.string() +
                   " has " + actual,
               manifest_file);
      } else {
        package.binary_digest = actual;
        package.binary_sha256 = sha256_hex(*bytes);
      }
    }
  }

  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }
  return package;
}

}  // namespace traverse
