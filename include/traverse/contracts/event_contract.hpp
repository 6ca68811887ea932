// traverse/contracts/event_contract.hpp — an event's contract (kind "event_contract").
//
// Parsing checks shape and every rule of docs/formats.md "Event contract", reporting all
// violations. Value type; thread-compatible.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "traverse/contracts/validation_error.hpp"
#include "traverse/contracts/vocabulary.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

struct CapabilityReference {
  std::string capability_id;
  std::string version;
  friend bool operator==(const CapabilityReference&, const CapabilityReference&) = default;
};

struct EventContract {
  std::string id;
  std::string namespace_name;
  std::string name;
  std::string version;
  Lifecycle lifecycle = Lifecycle::Draft;
  Owner owner;
  std::string summary;
  std::string description;
  Value payload_schema = Value::object();
  std::string payload_compatibility;  // backward-compatible | forward-compatible | breaking
  std::string domain;
  std::string bounded_context;
  std::string event_type;  // classification.event_type: domain | integration | system
  std::vector<CapabilityReference> publishers;
  std::vector<CapabilityReference> subscribers;
  std::vector<std::string> tags;
  Value document;

  [[nodiscard]] std::string key() const { return id + "@" + version; }
};

// Codes as for capability contracts, plus InvalidEventBoundary (banned wording) and
// InvalidLength for classification.domain / bounded_context shorter than 2 characters.
[[nodiscard]] std::expected<EventContract, ValidationErrors> parse_event_contract(
    const Value& document);
[[nodiscard]] std::expected<EventContract, ValidationErrors> load_event_contract(
    const std::filesystem::path& path);

}  // namespace traverse
