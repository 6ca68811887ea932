#include "traverse/events/envelope_validation.hpp"

#include "traverse/contracts/semver.hpp"

namespace traverse {

namespace {

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos)
    return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

bool blank(std::string_view text) {
  return trim(text).empty();
}
bool blank_optional(const std::optional<std::string>& text) {
  return !text || blank(*text);
}

// A fact name: contains '.', and the last dot-segment is non-empty and ends in "ed".
bool is_fact_name(std::string_view type) {
  const auto dot = type.rfind('.');
  if (dot == std::string_view::npos)
    return false;
  const std::string_view last = type.substr(dot + 1);
  return !last.empty() && last.ends_with("ed");
}

}  // namespace

std::string_view to_string(EventValidationMode mode) {
  return mode == EventValidationMode::Migration ? "migration" : "enforcement";
}

EnvelopeValidation validate_envelope(const TraverseEvent& event, EventValidationMode mode) {
  EnvelopeValidation result;
  auto add = [&](const char* code, const char* path, const char* remediation) {
    result.diagnostics.push_back(
        EnvelopeDiagnostic{code, path, "error", remediation, event.event_type, event.version});
  };
  if (blank(event.id))
    add("EVP-001", "/id", "set a unique, non-empty event id (e.g. a UUIDv4)");
  if (blank(event.source)) {
    add("EVP-002", "/source", "set source to the producer, e.g. traverse-runtime/<capability id>");
  }
  if (blank(event.datacontenttype)) {
    add("EVP-003", "/datacontenttype", "set datacontenttype, e.g. application/json");
  }
  if (blank(event.time))
    add("EVP-004", "/time", "set time to an RFC 3339 timestamp");
  if (blank(event.owner))
    add("EVP-005", "/owner", "set owner to the producing capability id");
  if (blank_optional(event.deduplication_id)) {
    add("EVP-008", "/deduplicationid", "set a non-empty deduplication_id");
  }
  if (blank_optional(event.ordering_scope)) {
    add("EVP-009", "/orderingscope", "set a non-empty ordering_scope");
  }
  if (blank_optional(event.correlation_id)) {
    add("EVP-010", "/correlationid", "set a non-empty correlation_id");
  }
  if (blank_optional(event.causation_id))
    add("EVP-011", "/causationid", "set a non-empty causation_id");
  if (!is_semver(event.version)) {
    add("EVP-006", "/version", "set version to the event contract's semantic version (x.y.z)");
  }
  if (!is_fact_name(event.event_type)) {
    add("EVP-007", "/type",
        "name the event type as a dotted past-tense fact, e.g. core.order.placed");
  }
  result.accepted = mode == EventValidationMode::Migration || result.diagnostics.empty();
  return result;
}

}  // namespace traverse
