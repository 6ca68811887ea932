// Shared by the runtime module's tests: the test bundle, requests against it, and a trace store
// whose inserts a test can watch or fail.
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"

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

// An InMemoryTraceStore behind the TraceStore interface whose inserts a test watches or fails:
// before_insert runs first, and an error it returns is the insert's result (nothing stored).
class WatchedTraceStore : public TraceStore {
 public:
  std::expected<void, TraceError> insert(PublicTraceEntry public_entry,
                                         std::optional<PrivateTraceEntry> private_entry) final {
    if (auto allowed = before_insert(); !allowed) {
      return allowed;
    }
    return inner_.insert(std::move(public_entry), std::move(private_entry));
  }
  std::expected<TraceRecord, TraceError> get(std::string_view id) const final {
    return inner_.get(id);
  }
  std::expected<std::vector<PublicTraceEntry>, TraceError> list_public(
      const TraceQuery& query) const final {
    return inner_.list_public(query);
  }
  std::expected<std::vector<PublicTraceEntry>, TraceError> list_run(
      std::string_view workflow_run_id) const final {
    return inner_.list_run(workflow_run_id);
  }
  std::expected<std::size_t, TraceError> count(const TraceQuery& query) const final {
    return inner_.count(query);
  }
  bool keeps_payloads() const final { return inner_.keeps_payloads(); }

 protected:
  virtual std::expected<void, TraceError> before_insert() = 0;

 private:
  InMemoryTraceStore inner_;
};

}  // namespace traverse::runtime_test
