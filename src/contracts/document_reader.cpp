#include "document_reader.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "traverse/contracts/semver.hpp"
#include "traverse/json/parse.hpp"

namespace traverse::contracts_detail {

std::string child_path(std::string_view path, std::string_view key) {
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::string index_path(std::string_view path, std::size_t index) {
  std::string out(path);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

bool is_blank(std::string_view text) {
  return trim(text).empty();
}

std::string_view type_name(const Value& value) {
  switch (value.type()) {
    case Value::value_t::null:
      return "null";
    case Value::value_t::object:
      return "object";
    case Value::value_t::array:
      return "array";
    case Value::value_t::string:
      return "string";
    case Value::value_t::boolean:
      return "boolean";
    case Value::value_t::number_integer:
    case Value::value_t::number_unsigned:
      return "integer";
    case Value::value_t::number_float:
      return "number";
    case Value::value_t::binary:
      return "binary";
    case Value::value_t::discarded:
      return "discarded";
  }
  return "unknown";
}

bool is_identifier_name(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  bool segment_empty = true;
  for (const char c : text) {
    if (c == '-') {
      if (segment_empty) {
        return false;
      }
      segment_empty = true;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      segment_empty = false;
    } else {
      return false;
    }
  }
  return !segment_empty;
}

bool is_namespace_name(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view part =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!is_identifier_name(part)) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

void DocumentReader::add(std::string code, std::string path, std::string message) {
  errors_.push_back(ValidationError{std::move(code), std::move(path), std::move(message), {}});
}

const Value* DocumentReader::find(const Value& object, std::string_view key) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto it = object.find(key);
  if (it == object.end()) {
    return nullptr;
  }
  return &*it;
}

const Value* DocumentReader::required(const Value& object, std::string_view key,
                                      const std::string& path) {
  const Value* value = find(object, key);
  if (value == nullptr || value->is_null()) {
    add("MissingRequiredField", child_path(path, key),
        "required field '" + std::string(key) + "' is missing");
    return nullptr;
  }
  return value;
}

namespace {

const Value* typed(DocumentReader& reader, const Value* value, const std::string& path,
                   std::string_view key, Value::value_t type, std::string_view expected) {
  if (value == nullptr) {
    return nullptr;
  }
  if (value->type() != type) {
    reader.add("InvalidType", child_path(path, key),
               "expected " + std::string(expected) + ", found " + std::string(type_name(*value)));
    return nullptr;
  }
  return value;
}

}  // namespace

const Value* DocumentReader::required_object(const Value& object, std::string_view key,
                                             const std::string& path) {
  return typed(*this, required(object, key, path), path, key, Value::value_t::object, "object");
}

const Value* DocumentReader::required_array(const Value& object, std::string_view key,
                                            const std::string& path) {
  return typed(*this, required(object, key, path), path, key, Value::value_t::array, "array");
}

std::optional<std::string> DocumentReader::required_string(const Value& object,
                                                           std::string_view key,
                                                           const std::string& path,
                                                           bool non_empty) {
  const Value* value =
      typed(*this, required(object, key, path), path, key, Value::value_t::string, "string");
  if (value == nullptr) {
    return std::nullopt;
  }
  const auto* text = value->get_ptr<const std::string*>();
  if (non_empty && is_blank(*text)) {
    add("MissingRequiredField", child_path(path, key),
        "'" + std::string(key) + "' must be a non-empty string");
    return std::nullopt;
  }
  return *text;
}

std::optional<bool> DocumentReader::required_bool(const Value& object, std::string_view key,
                                                  const std::string& path) {
  const Value* value =
      typed(*this, required(object, key, path), path, key, Value::value_t::boolean, "boolean");
  if (value == nullptr) {
    return std::nullopt;
  }
  return *value->get_ptr<const bool*>();
}

const Value* DocumentReader::optional_object(const Value& object, std::string_view key,
                                             const std::string& path) {
  const Value* value = find(object, key);
  if (value == nullptr || value->is_null()) {
    return nullptr;
  }
  return typed(*this, value, path, key, Value::value_t::object, "object");
}

const Value* DocumentReader::optional_array(const Value& object, std::string_view key,
                                            const std::string& path) {
  const Value* value = find(object, key);
  if (value == nullptr || value->is_null()) {
    return nullptr;
  }
  return typed(*this, value, path, key, Value::value_t::array, "array");
}

std::optional<std::string> DocumentReader::optional_string(const Value& object,
                                                           std::string_view key,
                                                           const std::string& path) {
  const Value* value = find(object, key);
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (typed(*this, value, path, key, Value::value_t::string, "string") == nullptr) {
    return std::nullopt;
  }
  return *value->get_ptr<const std::string*>();
}

void DocumentReader::expect_literal(const Value& object, std::string_view key,
                                    const std::string& path, std::string_view literal) {
  const auto text = required_string(object, key, path);
  if (text && *text != literal) {
    add("InvalidLiteral", child_path(path, key),
        "expected \"" + std::string(literal) + "\", found \"" + *text + "\"");
  }
}

std::optional<std::string> DocumentReader::required_enum(
    const Value& object, std::string_view key, const std::string& path,
    const std::vector<std::string_view>& allowed) {
  const auto text = required_string(object, key, path);
  if (!text) {
    return std::nullopt;
  }
  if (std::find(allowed.begin(), allowed.end(), *text) == allowed.end()) {
    std::string expected;
    for (const auto& item : allowed) {
      expected += expected.empty() ? "" : " | ";
      expected += item;
    }
    add("InvalidLiteral", child_path(path, key), "\"" + *text + "\" is not one of: " + expected);
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> DocumentReader::required_semver(const Value& object,
                                                           std::string_view key,
                                                           const std::string& path) {
  const auto text = required_string(object, key, path);
  if (!text) {
    return std::nullopt;
  }
  if (!is_semver(*text)) {
    add("InvalidSemver", child_path(path, key),
        "\"" + *text + "\" is not a semantic version (expected MAJOR.MINOR.PATCH)");
    return std::nullopt;
  }
  return text;
}

std::vector<std::string> DocumentReader::string_array(const Value& array, const std::string& path,
                                                      bool non_empty_items) {
  std::vector<std::string> out;
  if (!array.is_array()) {
    return out;
  }
  for (std::size_t i = 0; i < array.size(); ++i) {
    const Value& item = array[i];
    if (!item.is_string()) {
      add("InvalidType", index_path(path, i),
          "expected string, found " + std::string(type_name(item)));
      continue;
    }
    const auto& text = *item.get_ptr<const std::string*>();
    if (non_empty_items && is_blank(text)) {
      add("MissingRequiredField", index_path(path, i), "item must be a non-empty string");
      continue;
    }
    out.push_back(text);
  }
  return out;
}

void DocumentReader::check_unique_strings(
    const std::vector<std::pair<std::string, std::string>>& items, std::string_view what) {
  std::map<std::string, std::string> seen;
  for (const auto& [value, path] : items) {
    const auto [it, inserted] = seen.emplace(value, path);
    if (!inserted) {
      add("DuplicateItem", path,
          "duplicate " + std::string(what) + " \"" + value + "\" (first at " + it->second + ")");
    }
  }
}

std::optional<Lifecycle> DocumentReader::lifecycle(const Value& object, const std::string& path) {
  const auto text = required_string(object, "lifecycle", path);
  if (!text) {
    return std::nullopt;
  }
  const auto parsed = parse_lifecycle(*text);
  if (!parsed) {
    add("InvalidLiteral", child_path(path, "lifecycle"),
        "\"" + *text + "\" is not one of: draft | active | deprecated | retired | archived");
  }
  return parsed;
}

std::optional<Owner> DocumentReader::owner(const Value& object, const std::string& path) {
  const Value* owner_value = required_object(object, "owner", path);
  if (owner_value == nullptr) {
    return std::nullopt;
  }
  const std::string owner_path = child_path(path, "owner");
  auto team = required_string(*owner_value, "team", owner_path);
  auto contact = required_string(*owner_value, "contact", owner_path);
  if (!team || !contact) {
    return std::nullopt;
  }
  return Owner{std::move(*team), std::move(*contact)};
}

void read_io_schemas(DocumentReader& reader, const Value& document, Value& input_schema,
                     Value& output_schema) {
  for (const auto& [key, target] :
       {std::pair{"inputs", &input_schema}, std::pair{"outputs", &output_schema}}) {
    const Value* section = reader.required_object(document, key, "$");
    if (section == nullptr) {
      continue;
    }
    const std::string path = child_path("$", key);
    if (const Value* schema = reader.required(*section, "schema", path)) {
      if (!schema->is_object()) {
        reader.add("InvalidType", path + ".schema",
                   "a JSON Schema object is expected, found " + std::string(type_name(*schema)));
      } else {
        *target = *schema;
      }
    }
  }
}

std::vector<IdVersion> read_id_version_list(DocumentReader& reader, const Value& array,
                                            const std::string& path, std::string_view id_key) {
  std::vector<IdVersion> out;
  std::map<std::pair<std::string, std::string>, std::string> seen;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const std::string item_path = index_path(path, i);
    const Value& item = array[i];
    if (!item.is_object()) {
      reader.add("InvalidType", item_path,
                 "expected object, found " + std::string(type_name(item)));
      continue;
    }
    auto id = reader.required_string(item, id_key, item_path);
    auto version = reader.required_semver(item, "version", item_path);
    if (!id || !version) {
      continue;
    }
    const auto [it, inserted] = seen.emplace(std::make_pair(*id, *version), item_path);
    if (!inserted) {
      reader.add("DuplicateItem", item_path,
                 "duplicate reference " + *id + "@" + *version + " (first at " + it->second + ")");
      continue;
    }
    out.push_back(IdVersion{std::move(*id), std::move(*version)});
  }
  return out;
}

std::expected<Value, ValidationErrors> read_json_object(const std::filesystem::path& path,
                                                        std::string_view what) {
  auto document = read_json_document(path);
  if (document && !document->is_object()) {
    ValidationErrors errors = not_an_object(*document, what);
    attach_file(errors, path.string());
    return std::unexpected(std::move(errors));
  }
  return document;
}

ValidationErrors not_an_object(const Value& document, std::string_view what) {
  return {{"InvalidType",
           "$",
           std::string(what) + " must be a JSON object, found " + std::string(type_name(document)),
           {}}};
}

std::expected<Value, ValidationErrors> read_json_document(const std::filesystem::path& path) {
  auto parsed = parse_json_file(path);
  if (parsed) {
    return std::move(*parsed);
  }
  const JsonParseError& error = parsed.error();
  std::string code;
  std::string json_path = "$";
  std::string message;
  switch (error.kind()) {
    case JsonParseError::Kind::Io:
      code = "IoError";
      message = "cannot read file: " + error.message();
      break;
    case JsonParseError::Kind::TooLarge:
      code = "DocumentTooLarge";
      message = error.message() + " (TRAVERSE_MAX_DOCUMENT_BYTES sets the limit)";
      break;
    case JsonParseError::Kind::OverBudget:
      code = "DocumentTooLarge";
      json_path = error.path();
      message = error.message();
      break;
    case JsonParseError::Kind::DuplicateKey:
      code = "DuplicateKey";
      json_path = error.path();
      message = error.message();
      break;
    case JsonParseError::Kind::Syntax:
    case JsonParseError::Kind::TooDeep:
      code = "InvalidJson";
      message = "malformed JSON";
      if (error.line() > 0 && error.message().find("line") == std::string::npos) {
        message += " at line " + std::to_string(error.line()) + ", column " +
                   std::to_string(error.column());
      }
      message += ": " + error.message();
      break;
  }
  ValidationError out(std::move(code), std::move(json_path), std::move(message), path.string());
  return std::unexpected(ValidationErrors{std::move(out)});
}

std::optional<std::string_view> find_banned_phrase(std::string_view text,
                                                   const std::vector<std::string_view>& phrases) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  for (const auto phrase : phrases) {
    if (lowered.find(phrase) != std::string::npos) {
      return phrase;
    }
  }
  return std::nullopt;
}

Identity read_identity(DocumentReader& reader, const Value& document,
                       const std::vector<std::string_view>& banned_phrases,
                       std::string_view banned_code) {
  Identity identity;
  const std::string root = "$";
  const auto id = reader.required_string(document, "id", root);
  const auto namespace_name = reader.required_string(document, "namespace", root);
  const auto name = reader.required_string(document, "name", root);
  const auto version = reader.required_semver(document, "version", root);
  const auto summary = reader.required_string(document, "summary", root, false);
  const auto description = reader.required_string(document, "description", root, false);

  if (namespace_name) {
    identity.namespace_name = *namespace_name;
    if (!is_namespace_name(*namespace_name)) {
      reader.add("InvalidIdentifier", "$.namespace",
                 "\"" + *namespace_name +
                     "\" is not a namespace ('.'-separated names of [a-z0-9] and '-')");
    }
  }
  if (name) {
    identity.name = *name;
    if (!is_identifier_name(*name)) {
      reader.add("InvalidIdentifier", "$.name",
                 "\"" + *name + "\" is not a name ('-'-separated segments of [a-z0-9])");
    }
  }
  if (id) {
    identity.id = *id;
    if (namespace_name && name && *id != *namespace_name + "." + *name) {
      reader.add("InconsistentIdentity", "$.id",
                 "id \"" + *id + "\" must equal namespace + \".\" + name (\"" + *namespace_name +
                     "." + *name + "\")");
    }
  }
  if (version) {
    identity.version = *version;
  }
  if (summary) {
    identity.summary = *summary;
    if (trim(*summary).size() < 10) {
      reader.add("InvalidLength", "$.summary",
                 "summary must have at least 10 characters (after trimming)");
    } else if (summary->size() > 200) {
      reader.add("InvalidLength", "$.summary",
                 "summary must be at most 200 bytes, found " + std::to_string(summary->size()));
    }
  }
  if (description) {
    identity.description = *description;
    if (trim(*description).size() < 20) {
      reader.add("InvalidLength", "$.description",
                 "description must have at least 20 characters (after trimming)");
    }
  }
  // Banned wording is checked over summary + description together (reference rule); the error
  // points at the field that holds the phrase.
  for (const auto& [text, path] :
       {std::pair{summary, "$.summary"}, std::pair{description, "$.description"}}) {
    if (!text) {
      continue;
    }
    if (const auto phrase = find_banned_phrase(*text, banned_phrases)) {
      reader.add(std::string(banned_code), path,
                 "wording \"" + std::string(*phrase) +
                     "\" describes an implementation detail, not a business boundary");
      break;
    }
  }
  return identity;
}

}  // namespace traverse::contracts_detail
