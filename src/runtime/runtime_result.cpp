#include "traverse/runtime/runtime_result.hpp"

#include <string>

namespace traverse {

std::string_view to_string(RuntimeStatus status) {
  return status == RuntimeStatus::Completed ? "completed" : "error";
}

Value to_json(const RuntimeError& error) {
  return Value{{"code", error.code}, {"message", error.message}, {"details", error.details}};
}

Value to_json(const RuntimeResult& result) {
  Value json = Value::object();
  json["kind"] = "runtime_result";
  json["schema_version"] = kRuntimeSchemaVersion;
  json["execution_id"] = result.execution_id;
  json["request_id"] = result.request_id;
  json["status"] = to_string(result.status);
  json["trace_ref"] = result.trace_ref;
  if (result.output) {
    json["output"] = *result.output;
  }
  if (result.error) {
    json["error"] = to_json(*result.error);
  }
  Value warnings = Value::array();
  for (const RuntimeWarning& warning : result.warnings) {
    warnings.push_back(Value{{"code", warning.code}, {"message", warning.message}});
  }
  json["warnings"] = std::move(warnings);
  return json;
}

}  // namespace traverse
