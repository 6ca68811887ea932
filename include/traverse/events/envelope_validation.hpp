// traverse/events/envelope_validation.hpp — the envelope checks every publish runs
// (docs/traces-and-events.md, "Events").
//
// `validate_envelope` returns the diagnostics EVP-001..011 in the reference's fixed order and
// whether the event is accepted: in Migration mode always, in Enforcement mode only when there
// are no diagnostics. The payload (`data`) is not checked. Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "traverse/events/traverse_event.hpp"

namespace traverse {

enum class EventValidationMode {
  Migration,    // report diagnostics, still deliver (default)
  Enforcement,  // reject an event with any diagnostic (ValidationRejected, first code)
};

[[nodiscard]] std::string_view to_string(EventValidationMode mode);  // "migration"/"enforcement"

struct EnvelopeDiagnostic {
  std::string code;  // "EVP-001" .. "EVP-011"
  std::string path;  // "/id", "/source", ..., "/type"
  std::string severity = "error";
  std::string remediation;  // what to change
  std::string contract_id;  // the event's event_type
  std::string version;      // the event's version

  friend bool operator==(const EnvelopeDiagnostic&, const EnvelopeDiagnostic&) = default;
};

struct EnvelopeValidation {
  bool accepted = true;
  std::vector<EnvelopeDiagnostic> diagnostics;  // fixed order: 001-005, 008-011, 006, 007
};

// Checks, in order: EVP-001 /id, EVP-002 /source, EVP-003 /datacontenttype, EVP-004 /time,
// EVP-005 /owner (empty after trim); EVP-008 /deduplicationid, EVP-009 /orderingscope,
// EVP-010 /correlationid, EVP-011 /causationid (missing or empty after trim); EVP-006 /version
// (not semver); EVP-007 /type (not a fact name: needs a '.', and the last dot-segment must be
// non-empty and end in "ed").
[[nodiscard]] EnvelopeValidation validate_envelope(const TraverseEvent& event,
                                                   EventValidationMode mode);

}  // namespace traverse
