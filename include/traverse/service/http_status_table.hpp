// traverse/service/http_status_table.hpp — the one table mapping error codes to HTTP statuses.
//
// Runtime error codes (runtime_result.hpp), workflow engine codes and the service's own codes
// all map here, so every route answers the same status for the same failure:
//   400 request_invalid, placement_unsupported, invalid_request (malformed HTTP), invalid_json,
//   invalid_parameter, contract_invalid 401 unauthorized   403 forbidden   404 not_found,
//   capability_not_found, workflow_not_found, trace_not_found, execution_not_found   405
//   method_not_allowed   409 capability_ambiguous, capability_not_runnable, registration_conflict
//   413 body_too_large 422 contract_violation   431 header_too_large   502 execution_failed,
//   output_validation_failed and the workflow traversal failures   503 artifact_missing,
//   overloaded (with Retry-After), shutting_down   504 deadline_exceeded.
// An execution_failed whose error_class is Overloaded is 503 with Retry-After, Timeout is 504.
// Unknown codes are 500 (never produced for bad input: every input check has a code above).
// Thread safety: pure functions.
#pragma once

#include <string_view>

namespace traverse {

struct HttpErrorStatus {
  unsigned status = 500;
  bool retry_after = false;  // answer with `Retry-After`
};

// The status for an error `code`, refined by the runtime's details.error_class when given.
[[nodiscard]] HttpErrorStatus http_status_for(std::string_view code,
                                              std::string_view error_class = {});

// The standard reason phrase ("Not Found"), or "Unknown".
[[nodiscard]] std::string_view http_reason(unsigned status);

}  // namespace traverse
