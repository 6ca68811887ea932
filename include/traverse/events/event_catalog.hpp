// traverse/events/event_catalog.hpp — the event types a broker accepts (docs/traces-and-events.md,
// D2).
//
// One entry per event type (the event contract id): owner, version, lifecycle and how many
// subscriptions were ever opened on it. Entries come from event contracts (bundles, packages)
// or are registered by hand; there is no update or unregister. Share one catalog between the
// runtime and its broker through std::shared_ptr.
// Thread safety: safe for concurrent access from many threads without external synchronization.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/contracts/event_contract.hpp"
#include "traverse/contracts/vocabulary.hpp"
#include "traverse/events/event_error.hpp"

namespace traverse {

struct EventCatalogEntry {
  std::string event_type;  // event contract id, e.g. "core.action-item.status-transitioned"
  std::string owner;       // owning team (contract owner.team) or producer id
  std::string version;     // event contract version
  Lifecycle lifecycle_status = Lifecycle::Active;  // only Active types can be published
  std::uint64_t consumer_count = 0;                // subscriptions ever opened (never decremented)

  friend bool operator==(const EventCatalogEntry&, const EventCatalogEntry&) = default;
};

class EventCatalog {
 public:
  EventCatalog() = default;
  EventCatalog(const EventCatalog&) = delete;
  EventCatalog& operator=(const EventCatalog&) = delete;

  // Adds an entry (its consumer_count is ignored and starts at 0).
  // Success also when an entry with the same type, owner, version and lifecycle already exists
  // (a no-op: several bundles may ship the same event contract). Failure (nothing changed):
  //   LifecycleViolation "event type 'X' is already registered" — same type, different fields;
  //   LifecycleViolation — empty event_type. Thread-safe.
  [[nodiscard]] std::expected<void, EventError> register_entry(EventCatalogEntry entry);

  // register_entry({contract.id, contract.owner.team, contract.version, contract.lifecycle}).
  // Thread-safe.
  [[nodiscard]] std::expected<void, EventError> register_contract(const EventContract& contract);

  // Registers every contract, all or nothing: each is checked as register_contract would (also
  // against the others in `contracts`), and only when none fails are the new ones added, under
  // one lock. Failure: one EventError per refused contract, in order; nothing changed.
  // Thread-safe.
  [[nodiscard]] std::expected<void, std::vector<EventError>> register_contracts(
      std::span<const EventContract> contracts);

  // The entry for `event_type`, or nullopt. Thread-safe.
  [[nodiscard]] std::optional<EventCatalogEntry> get(std::string_view event_type) const;

  // Every entry, sorted by event_type. Thread-safe.
  [[nodiscard]] std::vector<EventCatalogEntry> list() const;

  // consumer_count += 1. UnregisteredEventType if unknown. Thread-safe.
  [[nodiscard]] std::expected<void, EventError> increment_consumer_count(
      std::string_view event_type);

  [[nodiscard]] std::size_t size() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, EventCatalogEntry, std::less<>> entries_;  // guarded by mutex_
};

}  // namespace traverse
