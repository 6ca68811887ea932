#include "traverse/contracts/runtime_request.hpp"

#include <utility>

#include "document_reader.hpp"
#include "traverse/contracts/semver.hpp"

namespace traverse {
namespace {

using contracts_detail::DocumentReader;
using contracts_detail::is_blank;
using contracts_detail::type_name;

constexpr std::string_view kGoverningSpec = "006-runtime-request-execution";

// An optional intent string: absent/null is fine; present means non-empty.
std::optional<std::string> intent_field(DocumentReader& reader, const Value& intent,
                                        std::string_view key) {
  auto text = reader.optional_string(intent, key, "$.intent");
  if (text && is_blank(*text)) {
    reader.add("MissingRequiredField", "$.intent." + std::string(key),
               std::string(key) + " must be non-empty when present");
    return std::nullopt;
  }
  return text;
}

}  // namespace

std::expected<RuntimeRequest, ValidationErrors> parse_runtime_request(const Value& document) {
  if (!document.is_object()) {
    return std::unexpected(contracts_detail::not_an_object(document, "a runtime request"));
  }
  DocumentReader reader;
  RuntimeRequest request;
  reader.expect_literal(document, "kind", "$", "runtime_request");
  reader.expect_literal(document, "schema_version", "$", "1.0.0");
  reader.expect_literal(document, "governing_spec", "$", kGoverningSpec);
  if (auto v = reader.required_string(document, "request_id", "$")) {
    request.request_id = std::move(*v);
  }

  if (const Value* intent = reader.required_object(document, "intent", "$")) {
    request.capability_id = intent_field(reader, *intent, "capability_id");
    request.capability_version = intent_field(reader, *intent, "capability_version");
    request.version_range = intent_field(reader, *intent, "version_range");
    request.intent_key = intent_field(reader, *intent, "intent_key");
    const Value* id_value = DocumentReader::find(*intent, "capability_id");
    const Value* key_value = DocumentReader::find(*intent, "intent_key");
    const bool has_id = id_value != nullptr && !id_value->is_null();
    const bool has_key = key_value != nullptr && !key_value->is_null();
    if (!has_id && !has_key) {
      reader.add("InvalidIntent", "$.intent",
                 "the intent needs a non-empty capability_id or intent_key");
    }
    if (request.capability_version) {
      if (!is_semver(*request.capability_version)) {
        reader.add("InvalidSemver", "$.intent.capability_version",
                   "\"" + *request.capability_version + "\" is not a semantic version");
      }
      if (!has_id) {
        reader.add("InvalidIntent", "$.intent.capability_version",
                   "capability_version requires capability_id");
      }
    }
    if (request.version_range) {
      if (!SemVerRange::parse(*request.version_range)) {
        reader.add("InvalidVersionRange", "$.intent.version_range",
                   "\"" + *request.version_range + "\" is not a semantic version range");
      }
      if (!has_id) {
        reader.add("InvalidIntent", "$.intent.version_range",
                   "version_range requires capability_id");
      }
      if (request.capability_version) {
        reader.add("InvalidIntent", "$.intent.version_range",
                   "version_range and capability_version are mutually exclusive");
      }
    }
  }

  if (const Value* input = DocumentReader::find(document, "input")) {
    request.input = *input;
  } else {
    reader.add("MissingRequiredField", "$.input", "required field 'input' is missing");
  }

  if (const Value* lookup = reader.required_object(document, "lookup", "$")) {
    if (const auto scope =
            reader.required_enum(*lookup, "scope", "$.lookup", {"public_only", "prefer_private"})) {
      request.scope =
          *scope == "public_only" ? LookupScope::PublicOnly : LookupScope::PreferPrivate;
    }
    if (const auto ambiguity = reader.required_bool(*lookup, "allow_ambiguity", "$.lookup")) {
      if (*ambiguity) {
        reader.add("AmbiguityNotAllowed", "$.lookup.allow_ambiguity",
                   "allow_ambiguity must be false: a request resolves to exactly one capability");
      }
    }
  }

  if (const Value* context = reader.required_object(document, "context", "$")) {
    request.context = *context;
    if (auto target = reader.required_string(*context, "requested_target", "$.context")) {
      request.requested_target = std::move(*target);
    }
    request.correlation_id = reader.optional_string(*context, "correlation_id", "$.context");
    for (const std::string_view key : {"caller", "traceparent", "tracestate"}) {
      (void)reader.optional_string(*context, key, "$.context");
    }
    (void)reader.optional_object(*context, "metadata", "$.context");
  }

  if (!reader.ok()) {
    return std::unexpected(reader.take());
  }
  return request;
}

std::expected<RuntimeRequest, ValidationErrors> load_runtime_request(
    const std::filesystem::path& path) {
  return contracts_detail::load_and_parse(
      path, [](const Value& document) { return parse_runtime_request(document); });
}

Value to_json(const RuntimeRequest& request) {
  Value intent = Value::object();
  if (request.capability_id) {
    intent["capability_id"] = *request.capability_id;
  }
  if (request.capability_version) {
    intent["capability_version"] = *request.capability_version;
  }
  if (request.version_range) {
    intent["version_range"] = *request.version_range;
  }
  if (request.intent_key) {
    intent["intent_key"] = *request.intent_key;
  }
  Value context = request.context.is_object() ? request.context : Value::object();
  context["requested_target"] = request.requested_target;
  if (request.correlation_id) {
    context["correlation_id"] = *request.correlation_id;
  } else {
    context.erase("correlation_id");
  }
  Value out = Value::object();
  out["kind"] = "runtime_request";
  out["schema_version"] = "1.0.0";
  out["request_id"] = request.request_id;
  out["intent"] = std::move(intent);
  out["input"] = request.input;
  out["lookup"] =
      Value{{"scope", request.scope == LookupScope::PublicOnly ? "public_only" : "prefer_private"},
            {"allow_ambiguity", false}};
  out["context"] = std::move(context);
  out["governing_spec"] = std::string(kGoverningSpec);
  return out;
}

}  // namespace traverse
