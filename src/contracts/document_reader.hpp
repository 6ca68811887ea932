// src/contracts/document_reader.hpp — internal: reading fields of an artifact document while
// collecting every violation.
//
// A DocumentReader never throws and never stops at the first problem: each accessor checks the
// value's presence and JSON type, records a ValidationError when it is wrong, and returns an
// empty result so the caller can go on checking the rest of the document.
// Not part of the public API. Thread safety: confine one reader to one thread.
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "traverse/contracts/validation_error.hpp"
#include "traverse/contracts/vocabulary.hpp"
#include "traverse/json/value.hpp"

namespace traverse::contracts_detail {

// "$.a" + "b" -> "$.a.b"
[[nodiscard]] std::string child_path(std::string_view path, std::string_view key);
// "$.a" + 2 -> "$.a[2]"
[[nodiscard]] std::string index_path(std::string_view path, std::size_t index);

// The text without leading/trailing ASCII whitespace.
[[nodiscard]] std::string_view trim(std::string_view text);
[[nodiscard]] bool is_blank(std::string_view text);

// The JSON type name used in messages ("object", "string", ...).
[[nodiscard]] std::string_view type_name(const Value& value);

// '-'-separated segments of [a-z0-9]+ (a capability or event `name`).
[[nodiscard]] bool is_identifier_name(std::string_view text);
// '.'-separated identifier names (a `namespace`).
[[nodiscard]] bool is_namespace_name(std::string_view text);

class DocumentReader {
 public:
  void add(std::string code, std::string path, std::string message);

  // The member `key` of `object`, or nullptr when `object` is not an object or lacks the key.
  [[nodiscard]] static const Value* find(const Value& object, std::string_view key);

  // Required members: absent (or null) -> MissingRequiredField; wrong type -> InvalidType.
  const Value* required(const Value& object, std::string_view key, const std::string& path);
  const Value* required_object(const Value& object, std::string_view key, const std::string& path);
  const Value* required_array(const Value& object, std::string_view key, const std::string& path);
  // A required string; `non_empty` also rejects blank text (MissingRequiredField).
  std::optional<std::string> required_string(const Value& object, std::string_view key,
                                             const std::string& path, bool non_empty = true);
  std::optional<bool> required_bool(const Value& object, std::string_view key,
                                    const std::string& path);

  // Optional members: absent or null -> nullptr / nullopt without error; wrong type -> InvalidType.
  const Value* optional_object(const Value& object, std::string_view key, const std::string& path);
  const Value* optional_array(const Value& object, std::string_view key, const std::string& path);
  std::optional<std::string> optional_string(const Value& object, std::string_view key,
                                             const std::string& path);

  // A required string that must equal `literal` (InvalidLiteral otherwise).
  void expect_literal(const Value& object, std::string_view key, const std::string& path,
                      std::string_view literal);
  // A required string that must be one of `allowed` (InvalidLiteral otherwise). Returns the text
  // when it is one of them.
  std::optional<std::string> required_enum(const Value& object, std::string_view key,
                                           const std::string& path,
                                           const std::vector<std::string_view>& allowed);
  // A required, non-blank semantic version (InvalidSemver otherwise).
  std::optional<std::string> required_semver(const Value& object, std::string_view key,
                                             const std::string& path);

  // An array of strings; wrong element types are reported, the rest returned.
  std::vector<std::string> string_array(const Value& array, const std::string& path,
                                        bool non_empty_items);
  // Reports DuplicateItem for each repeated string (at its index), and MissingRequiredField for
  // blank items when `non_empty_items`.
  void check_unique_strings(const std::vector<std::pair<std::string, std::string>>& items,
                            std::string_view what);

  std::optional<Lifecycle> lifecycle(const Value& object, const std::string& path);
  std::optional<Owner> owner(const Value& object, const std::string& path);

  [[nodiscard]] bool ok() const { return errors_.empty(); }
  [[nodiscard]] ValidationErrors& errors() { return errors_; }
  [[nodiscard]] ValidationErrors take() { return std::move(errors_); }

 private:
  ValidationErrors errors_;
};

// "id", "version" & co. for (event|capability) references: {<id_key>, version} items of an array,
// checked for non-empty ids, semver versions, and uniqueness of (id, version).
struct IdVersion {
  std::string id;
  std::string version;
};
std::vector<IdVersion> read_id_version_list(DocumentReader& reader, const Value& array,
                                            const std::string& path, std::string_view id_key);

// The `inputs.schema` and `outputs.schema` objects of a capability contract or a workflow
// definition, copied into `input_schema` and `output_schema` when they are objects.
void read_io_schemas(DocumentReader& reader, const Value& document, Value& input_schema,
                     Value& output_schema);

// Reads and parses a JSON file; IoError or InvalidJson (with line and column) on failure, with
// `file` set.
[[nodiscard]] std::expected<Value, ValidationErrors> read_json_document(
    const std::filesystem::path& path);

// The one violation of a document that must be an object and is not: InvalidType at "$"
// ("<what> must be a JSON object, found <type>"), no file.
[[nodiscard]] ValidationErrors not_an_object(const Value& document, std::string_view what);

// As read_json_document, for documents that must be objects: anything else is InvalidType at
// "$" ("<what> must be a JSON object, found <type>"), with `file` set.
[[nodiscard]] std::expected<Value, ValidationErrors> read_json_object(
    const std::filesystem::path& path, std::string_view what);

// The shape of every `load_*` function: read and parse the file, run `parse` on the document,
// and stamp the file path on every violation the parser reports.
template <typename Parse>
[[nodiscard]] auto load_and_parse(const std::filesystem::path& path, Parse parse)
    -> decltype(parse(std::declval<const Value&>())) {
  auto document = read_json_document(path);
  if (!document) {
    return std::unexpected(std::move(document.error()));
  }
  auto parsed = parse(*document);
  if (!parsed) {
    attach_file(parsed.error(), path.string());
  }
  return parsed;
}

// Banned wording check shared by capability and event contracts: returns the first phrase of
// `phrases` found in the lowercased text, if any.
[[nodiscard]] std::optional<std::string_view> find_banned_phrase(
    std::string_view text, const std::vector<std::string_view>& phrases);

// Identity, summary and description rules shared by capability and event contracts
// (docs/formats.md). Reads id, namespace, name, version, summary, description.
struct Identity {
  std::string id;
  std::string namespace_name;
  std::string name;
  std::string version;
  std::string summary;
  std::string description;
};
Identity read_identity(DocumentReader& reader, const Value& document,
                       const std::vector<std::string_view>& banned_phrases,
                       std::string_view banned_code);

// Reads the header every contract kind shares — identity (read_identity), lifecycle and owner —
// into `contract` (CapabilityContract or EventContract).
template <typename Contract>
void read_contract_header(DocumentReader& reader, const Value& document, Contract& contract,
                          const std::vector<std::string_view>& banned_phrases,
                          std::string_view banned_code) {
  Identity identity = read_identity(reader, document, banned_phrases, banned_code);
  contract.id = std::move(identity.id);
  contract.namespace_name = std::move(identity.namespace_name);
  contract.name = std::move(identity.name);
  contract.version = std::move(identity.version);
  contract.summary = std::move(identity.summary);
  contract.description = std::move(identity.description);
  if (const auto lifecycle = reader.lifecycle(document, "$")) {
    contract.lifecycle = *lifecycle;
  }
  if (auto owner = reader.owner(document, "$")) {
    contract.owner = std::move(*owner);
  }
}

}  // namespace traverse::contracts_detail
