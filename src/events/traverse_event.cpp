#include "traverse/events/traverse_event.hpp"

#include <utility>

namespace traverse {

namespace {

void put_optional(Value& json, const char* key, const std::optional<std::string>& value) {
  if (value)
    json[key] = *value;
}

}  // namespace

Value to_json(const TraverseEvent& event) {
  Value json = Value::object();
  json["id"] = event.id;
  json["source"] = event.source;
  json["event_type"] = event.event_type;
  json["datacontenttype"] = event.datacontenttype;
  json["time"] = event.time;
  json["data"] = event.data;
  json["owner"] = event.owner;
  json["version"] = event.version;
  json["lifecycle_status"] = std::string(to_string(event.lifecycle_status));
  put_optional(json, "deduplication_id", event.deduplication_id);
  put_optional(json, "ordering_scope", event.ordering_scope);
  put_optional(json, "correlation_id", event.correlation_id);
  put_optional(json, "causation_id", event.causation_id);
  put_optional(json, "subject_id", event.subject_id);
  put_optional(json, "actor_id", event.actor_id);
  return json;
}

std::expected<TraverseEvent, ValidationErrors> traverse_event_from_json(const Value& json) {
  ValidationErrors errors;
  if (!json.is_object()) {
    errors.push_back({"InvalidType", "$", "expected a traverse event object", ""});
    return std::unexpected(std::move(errors));
  }
  TraverseEvent event;
  auto required = [&](const char* key, std::string& out) {
    auto it = json.find(key);
    if (it == json.end()) {
      errors.push_back({"MissingRequiredField", std::string("$.") + key,
                        std::string("required field '") + key + "' is missing", ""});
    } else if (!it->is_string()) {
      errors.push_back({"InvalidType", std::string("$.") + key, "expected a string", ""});
    } else {
      out = it->get<std::string>();
    }
  };
  auto optional = [&](const char* key, std::optional<std::string>& out) {
    auto it = json.find(key);
    if (it == json.end() || it->is_null())
      return;
    if (!it->is_string()) {
      errors.push_back({"InvalidType", std::string("$.") + key, "expected a string or null", ""});
      return;
    }
    out = it->get<std::string>();
  };
  required("id", event.id);
  required("source", event.source);
  required("event_type", event.event_type);
  required("datacontenttype", event.datacontenttype);
  required("time", event.time);
  if (auto it = json.find("data"); it == json.end()) {
    errors.push_back({"MissingRequiredField", "$.data", "required field 'data' is missing", ""});
  } else {
    event.data = *it;
  }
  required("owner", event.owner);
  required("version", event.version);
  std::string lifecycle;
  const std::size_t before = errors.size();
  required("lifecycle_status", lifecycle);
  if (errors.size() == before) {
    auto parsed = parse_lifecycle(lifecycle);
    if (!parsed || (*parsed != Lifecycle::Draft && *parsed != Lifecycle::Active &&
                    *parsed != Lifecycle::Deprecated)) {
      errors.push_back({"InvalidEnumValue", "$.lifecycle_status",
                        "expected one of draft, active, deprecated; got \"" + lifecycle + "\"",
                        ""});
    } else {
      event.lifecycle_status = *parsed;
    }
  }
  optional("deduplication_id", event.deduplication_id);
  optional("ordering_scope", event.ordering_scope);
  optional("correlation_id", event.correlation_id);
  optional("causation_id", event.causation_id);
  optional("subject_id", event.subject_id);
  optional("actor_id", event.actor_id);
  if (!errors.empty())
    return std::unexpected(std::move(errors));
  return event;
}

}  // namespace traverse
