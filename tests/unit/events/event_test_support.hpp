// Helpers shared by the events unit tests.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "traverse/events/traverse_event.hpp"

namespace traverse::event_test {

inline constexpr const char* kType = "demo.order.placed";

// A fully populated event that passes every envelope check.
inline TraverseEvent valid_event(std::string id, std::string type = kType) {
  TraverseEvent e;
  e.id = std::move(id);
  e.source = "traverse-runtime/demo.shop";
  e.event_type = std::move(type);
  e.time = "2026-11-26T12:00:00.000Z";
  e.data = Value{{"order", e.id}};
  e.owner = "demo.shop";
  e.version = "1.0.0";
  e.deduplication_id = "dedup-" + e.id;
  e.ordering_scope = "demo.shop";
  e.correlation_id = "corr-1";
  e.causation_id = "cause-1";
  return e;
}

// A steady clock the test moves by hand; safe to read from any thread.
class ManualClock {
 public:
  [[nodiscard]] std::chrono::steady_clock::time_point now() const {
    return std::chrono::steady_clock::time_point{std::chrono::milliseconds{ms_.load()}};
  }
  void advance(std::chrono::milliseconds by) { ms_.fetch_add(by.count()); }
  void set(std::chrono::milliseconds at) { ms_.store(at.count()); }

 private:
  std::atomic<std::int64_t> ms_{1'000'000};
};

}  // namespace traverse::event_test
