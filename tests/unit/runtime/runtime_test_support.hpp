// Shared by the runtime module's tests: the test bundle and requests against it.
#pragma once

#include <filesystem>
#include <string>
#include <utility>

#include "traverse/runtime/traverse_runtime.hpp"

namespace traverse::runtime_test {

inline const std::filesystem::path kBundle =
    std::filesystem::path(TRAVERSE_SOURCE_DIR) / "tests/data/runtime/bundle/manifest.json";
inline constexpr const char* kItemRecorded = "demo.runtime.item-recorded";

// A request for `capability_id`@1.0.0, resolved PreferPrivate.
inline RuntimeRequest request_for(std::string request_id, std::string capability_id, Value input) {
  RuntimeRequest request;
  request.request_id = std::move(request_id);
  request.capability_id = std::move(capability_id);
  request.capability_version = "1.0.0";
  request.input = std::move(input);
  request.scope = LookupScope::PreferPrivate;
  return request;
}

// The bundle's record-item handler: emits item-recorded and returns {"recorded": item_id}.
inline NativeHandler::Result record_item(const Value& input, ExecutionContext& context) {
  const std::string item = input["item_id"].get<std::string>();
  if (auto emitted = context.emit(kItemRecorded, "1.0.0", Value{{"item_id", item}}); !emitted) {
    return std::unexpected("emit refused");
  }
  return Value{{"recorded", item}};
}

}  // namespace traverse::runtime_test
