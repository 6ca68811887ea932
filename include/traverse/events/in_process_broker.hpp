// traverse/events/in_process_broker.hpp — the in-memory EventBroker (docs/traces-and-events.md).
//
// Per event type: a cursor counter (first cursor 1), a retained buffer pruned by age
// (`retention_window`) and by count (`max_retained_per_type`), and the ids seen in that buffer
// (a retained id is a duplicate; an id may be republished after it expires). Per subscription:
// a queue bounded by `max_queue_len` that drops its oldest item when full (counted in
// SubscriptionPoll::dropped). Publish checks, in order: envelope validation, catalog
// registration, lifecycle (only Active publishes), dedup.
//
// Differences from the reference, deliberately: (1) a poll that finds the subscription's cursor
// expired returns CursorExpired once and KEEPS the subscription, fast-forwarded to the oldest
// available cursor (the reference removed it, so the next poll said SubscriptionNotFound);
// (2) publish_with_cursor requires a cursor greater than the type's last, so cursor order is
// always publish order; (3) the retained buffer and the number of subscriptions are bounded.
//
// Ownership: created through `create` and shared (std::shared_ptr); it shares the catalog.
// Thread safety: safe for concurrent access from many threads without external
// synchronization. Concurrent publishers of one type never lose, duplicate or reorder events:
// cursor order is the order in which publishes took the type's lock. Locks are per type and
// short; the clock and catalog are called outside them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "traverse/events/envelope_validation.hpp"
#include "traverse/events/event_broker.hpp"
#include "traverse/events/event_catalog.hpp"

namespace traverse {

// Monotonic time source for retention; injectable so tests control expiry. Must be callable
// from any thread and must not throw.
using BrokerClock = std::function<std::chrono::steady_clock::time_point()>;

struct InProcessBrokerConfig {
  // Behaviour
  // How long a published event stays retained (replayable, deduplicated). Must be > 0.
  std::chrono::milliseconds retention_window = std::chrono::minutes(5);
  // Per-subscription queue bound; the oldest queued event is dropped when full. Must be > 0.
  std::size_t max_queue_len = 1024;
  // Migration (default) reports envelope diagnostics and delivers; Enforcement rejects.
  EventValidationMode validation_mode = EventValidationMode::Migration;

  // Resource bounds
  // Retained events per type; beyond it the oldest is pruned as if it had expired. Must be > 0.
  std::size_t max_retained_per_type = 65536;
  // Open subscriptions across all types; subscribe beyond it fails with CapacityExceeded.
  std::size_t max_subscriptions = 4096;
};

// Counters since creation (the reference's metrics; its telemetry/lineage lists are not kept).
struct BrokerMetrics {
  std::uint64_t publications = 0;         // events accepted and given a cursor
  std::uint64_t duplicates = 0;           // publishes ignored as duplicates
  std::uint64_t deliveries = 0;           // events handed out by poll
  std::uint64_t validation_failures = 0;  // publishes with at least one envelope diagnostic
  std::uint64_t quarantines = 0;          // publishes rejected by Enforcement mode
  std::uint64_t dropped = 0;              // queued events dropped (overflow or expiry)
};

class InProcessBroker final : public EventBroker {
 public:
  // Success: a broker using `catalog` (an empty catalog is created if null) and `clock`
  // (steady_clock::now if empty). Failure: InvalidRetentionWindow ("retention_window must be
  // > 0", "max_queue_len must be > 0", "max_retained_per_type must be > 0").
  [[nodiscard]] static std::expected<std::shared_ptr<InProcessBroker>, EventError> create(
      InProcessBrokerConfig config = {}, std::shared_ptr<EventCatalog> catalog = nullptr,
      BrokerClock clock = {});

  ~InProcessBroker() override;
  InProcessBroker(const InProcessBroker&) = delete;
  InProcessBroker& operator=(const InProcessBroker&) = delete;

  [[nodiscard]] std::expected<PublishReceipt, EventError> publish(
      const TraverseEvent& event) override;
  [[nodiscard]] std::expected<PublishReceipt, EventError> publish_with_cursor(
      const TraverseEvent& event, std::uint64_t cursor) override;
  [[nodiscard]] std::expected<Subscription, EventError> subscribe(
      std::string_view event_type, std::string_view from_cursor,
      std::optional<std::string> subject_id = std::nullopt) override;
  // On CursorExpired the subscription stays open with its cursor moved to the error's
  // oldest_available_cursor; poll again to continue (see the file comment).
  [[nodiscard]] std::expected<SubscriptionPoll, EventError> poll(std::string_view subscription_id,
                                                                 std::size_t max) override;
  [[nodiscard]] std::expected<void, EventError> cancel(std::string_view subscription_id) override;
  void seed_restart_floor(std::uint64_t floor) override;

  [[nodiscard]] const std::shared_ptr<EventCatalog>& catalog() const { return catalog_; }
  [[nodiscard]] const InProcessBrokerConfig& config() const { return config_; }
  [[nodiscard]] BrokerMetrics metrics() const;

 private:
  struct TypeState;
  struct SubscriptionState;

  InProcessBroker(InProcessBrokerConfig config, std::shared_ptr<EventCatalog> catalog,
                  BrokerClock clock);

  [[nodiscard]] std::expected<PublishReceipt, EventError> publish_impl(
      const TraverseEvent& event, std::optional<std::uint64_t> cursor);
  [[nodiscard]] std::shared_ptr<TypeState> type_state(const std::string& event_type);
  [[nodiscard]] std::shared_ptr<SubscriptionState> find_subscription(std::string_view id);
  // REQUIRES: type's mutex held. The oldest acceptable cursor if `cursor` has expired.
  [[nodiscard]] static std::optional<std::uint64_t> expired_cursor(const TypeState& type,
                                                                   std::uint64_t cursor,
                                                                   std::uint64_t floor);

  const InProcessBrokerConfig config_;
  const std::shared_ptr<EventCatalog> catalog_;  // provides its own synchronization
  const BrokerClock clock_;

  std::mutex types_mutex_;
  // Guarded by types_mutex_; each TypeState has its own mutex for its contents.
  std::unordered_map<std::string, std::shared_ptr<TypeState>> types_;

  std::mutex subscriptions_mutex_;
  // Guarded by subscriptions_mutex_.
  std::unordered_map<std::string, std::shared_ptr<SubscriptionState>> subscriptions_;
  std::size_t pending_subscriptions_ = 0;  // slots reserved by subscribes in progress

  std::atomic<std::uint64_t> next_subscription_{1};
  std::atomic<std::uint64_t> restart_floor_{0};
  std::atomic<std::uint64_t> publications_{0}, duplicates_{0}, deliveries_{0},
      validation_failures_{0}, quarantines_{0}, dropped_{0};
};

}  // namespace traverse
