#include "traverse/service/http_status_table.hpp"

#include <array>

namespace traverse {
namespace {

struct Row {
  std::string_view code;
  unsigned status;
  bool retry_after;
};

// THE table (see the header). Keep in step with docs/service.md "Errors".
constexpr std::array kTable = {
    // The request or its input is wrong: fix it.
    Row{"request_invalid", 400, false},
    Row{"placement_unsupported", 400, false},
    Row{"invalid_request", 400, false},
    Row{"invalid_json", 400, false},
    Row{"invalid_parameter", 400, false},
    Row{"contract_invalid", 400, false},
    Row{"workflow_invalid", 400, false},
    Row{"unauthorized", 401, false},
    Row{"forbidden", 403, false},
    // Nothing by that name.
    Row{"not_found", 404, false},
    Row{"capability_not_found", 404, false},
    Row{"workflow_not_found", 404, false},
    Row{"trace_not_found", 404, false},
    Row{"execution_not_found", 404, false},
    Row{"method_not_allowed", 405, false},
    // It exists but conflicts with the request.
    Row{"capability_ambiguous", 409, false},
    Row{"capability_not_runnable", 409, false},
    Row{"registration_conflict", 409, false},
    Row{"body_too_large", 413, false},
    Row{"contract_violation", 422, false},
    Row{"header_too_large", 431, false},
    // The capability ran and failed, or its workflow could not be traversed.
    Row{"execution_failed", 502, false},
    Row{"output_validation_failed", 502, false},
    Row{"ambiguous_next_edge", 502, false},
    Row{"missing_required_event", 502, false},
    Row{"terminal_node_not_reached", 502, false},
    Row{"event_broker_unavailable", 502, false},
    // The service cannot serve it now.
    Row{"artifact_missing", 503, false},
    Row{"overloaded", 503, true},
    Row{"shutting_down", 503, true},
    Row{"deadline_exceeded", 504, false},
    Row{"trace_store_unavailable", 503, true},
};

}  // namespace

HttpErrorStatus http_status_for(std::string_view code, std::string_view error_class) {
  if (error_class == "Overloaded") {
    return {503, true};
  }
  if (error_class == "Timeout") {
    return {504, false};
  }
  for (const auto& row : kTable) {
    if (row.code == code) {
      return {row.status, row.retry_after};
    }
  }
  return {500, false};
}

std::string_view http_reason(unsigned status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

}  // namespace traverse
