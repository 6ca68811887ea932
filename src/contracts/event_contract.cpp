#include "traverse/contracts/event_contract.hpp"

#include <map>
#include <utility>

#include "document_reader.hpp"

namespace traverse {
namespace {

using contracts_detail::child_path;
using contracts_detail::DocumentReader;
using contracts_detail::index_path;
using contracts_detail::is_blank;
using contracts_detail::trim;
using contracts_detail::type_name;

const std::vector<std::string_view> kBannedEventWording = {"kafka topic",       "transport topic",
                                                           "websocket channel", "queue binding",
                                                           "broker partition",  "payload wrapper"};

// A non-empty array of non-empty, unique strings.
std::vector<std::string> read_tags(DocumentReader& reader, const Value& object,
                                   std::string_view key, const std::string& path) {
  const Value* tags = reader.required_array(object, key, path);
  if (tags == nullptr) {
    return {};
  }
  const std::string tags_path = child_path(path, key);
  if (tags->empty()) {
    reader.add("MissingRequiredField", tags_path, "at least one tag is required");
  }
  auto values = reader.string_array(*tags, tags_path, true);
  std::vector<std::pair<std::string, std::string>> items;
  for (std::size_t i = 0; i < tags->size(); ++i) {
    const Value& tag = (*tags)[i];
    if (tag.is_string() && !is_blank(*tag.get_ptr<const std::string*>())) {
      items.emplace_back(*tag.get_ptr<const std::string*>(), index_path(tags_path, i));
    }
  }
  reader.check_unique_strings(items, "tag");
  return values;
}

std::vector<CapabilityReference> read_capability_refs(DocumentReader& reader, const Value& document,
                                                      std::string_view key, bool non_empty) {
  std::vector<CapabilityReference> out;
  const Value* items = reader.required_array(document, key, "$");
  if (items == nullptr) {
    return out;
  }
  if (non_empty && items->empty()) {
    reader.add("MissingRequiredField", child_path("$", key),
               "at least one " + std::string(key.substr(0, key.size() - 1)) + " is required");
  }
  for (auto& item : contracts_detail::read_id_version_list(reader, *items, child_path("$", key),
                                                           "capability_id")) {
    out.push_back(CapabilityReference{std::move(item.id), std::move(item.version)});
  }
  return out;
}

void read_payload(DocumentReader& reader, const Value& document, EventContract& contract) {
  const Value* payload = reader.required_object(document, "payload", "$");
  if (payload == nullptr) {
    return;
  }
  if (const Value* schema = reader.required(*payload, "schema", "$.payload")) {
    if (!schema->is_object()) {
      reader.add("InvalidType", "$.payload.schema",
                 "a JSON Schema object is expected, found " + std::string(type_name(*schema)));
    } else {
      contract.payload_schema = *schema;
    }
  }
  if (auto compatibility =
          reader.required_enum(*payload, "compatibility", "$.payload",
                               {"backward-compatible", "forward-compatible", "breaking"})) {
    contract.payload_compatibility = std::move(*compatibility);
  }
}

void read_classification(DocumentReader& reader, const Value& document, EventContract& contract) {
  const Value* classification = reader.required_object(document, "classification", "$");
  if (classification == nullptr) {
    return;
  }
  const std::string path = "$.classification";
  for (const auto& [key, target] : {std::pair{"domain", &contract.domain},
                                    std::pair{"bounded_context", &contract.bounded_context}}) {
    if (auto text = reader.required_string(*classification, key, path)) {
      if (trim(*text).size() < 2) {
        reader.add("InvalidLength", child_path(path, key),
                   std::string(key) + " must have at least 2 characters");
      } else {
        *target = std::move(*text);
      }
    }
  }
  if (auto type = reader.required_enum(*classification, "event_type", path,
                                       {"domain", "integration", "system"})) {
    contract.event_type = std::move(*type);
  }
  read_tags(reader, *classification, "tags", path);
}

// Each element of the array at `key` that is an object, with its JSON path; other elements are
// reported as the wrong type.
template <typename Visit>
void for_each_object(DocumentReader& reader, const Value& document, std::string_view key,
                     Visit visit) {
  const Value* items = reader.required_array(document, key, "$");
  if (items == nullptr) {
    return;
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    const std::string item_path = index_path(child_path("$", key), i);
    if (!item.is_object()) {
      reader.add("InvalidType", item_path,
                 "expected object, found " + std::string(type_name(item)));
      continue;
    }
    visit(item, item_path);
  }
}

// Policies need unique ids.
void read_policies(DocumentReader& reader, const Value& document) {
  std::vector<std::pair<std::string, std::string>> policy_ids;
  for_each_object(reader, document, "policies", [&](const Value& item, const std::string& path) {
    if (const auto id = reader.required_string(item, "id", path)) {
      policy_ids.emplace_back(*id, path + ".id");
    }
  });
  reader.check_unique_strings(policy_ids, "policy id");
}

// Evidence needs unique (kind, ref) pairs.
void read_evidence(DocumentReader& reader, const Value& document) {
  std::map<std::pair<std::string, std::string>, std::string> seen;
  for_each_object(reader, document, "evidence", [&](const Value& item, const std::string& path) {
    const auto kind = reader.required_string(item, "kind", path);
    const auto ref = reader.required_string(item, "ref", path);
    if (kind && ref) {
      const auto [it, inserted] = seen.emplace(std::make_pair(*kind, *ref), path);
      if (!inserted) {
        reader.add("DuplicateItem", path,
                   "duplicate evidence " + *kind + " " + *ref + " (first at " + it->second + ")");
      }
    }
  });
}

void read_provenance(DocumentReader& reader, const Value& document) {
  if (const Value* provenance = reader.required_object(document, "provenance", "$")) {
    reader.required_enum(*provenance, "source", "$.provenance",
                         {"greenfield", "brownfield", "ai-generated", "extracted"});
    reader.required_string(*provenance, "author", "$.provenance");
    reader.required_string(*provenance, "created_at", "$.provenance");
  }
}

}  // namespace

std::expected<EventContract, ValidationErrors> parse_event_contract(const Value& document) {
  if (!document.is_object()) {
    return std::unexpected(contracts_detail::not_an_object(document, "an event contract"));
  }
  DocumentReader reader;
  EventContract contract;
  contract.document = document;

  reader.expect_literal(document, "kind", "$", "event_contract");
  reader.expect_literal(document, "schema_version", "$", "1.0.0");
  contracts_detail::read_contract_header(reader, document, contract, kBannedEventWording,
                                         "InvalidEventBoundary");
  read_payload(reader, document, contract);
  read_classification(reader, document, contract);
  contract.publishers = read_capability_refs(reader, document, "publishers", true);
  contract.subscribers = read_capability_refs(reader, document, "subscribers", false);
  read_policies(reader, document);
  contract.tags = read_tags(reader, document, "tags", "$");
  read_provenance(reader, document);
  read_evidence(reader, document);
  if (!reader.ok()) {
    return std::unexpected(reader.take());
  }
  return contract;
}

std::expected<EventContract, ValidationErrors> load_event_contract(
    const std::filesystem::path& path) {
  return contracts_detail::load_and_parse(
      path, [](const Value& document) { return parse_event_contract(document); });
}

}  // namespace traverse
