#include "traverse/events/event_catalog.hpp"

#include <mutex>
#include <utility>

namespace traverse {

std::expected<void, EventError> EventCatalog::register_entry(EventCatalogEntry entry) {
  if (entry.event_type.empty()) {
    return std::unexpected(EventError::lifecycle_violation(
        "event type must not be empty (catalog entry $.event_type)"));
  }
  entry.consumer_count = 0;
  std::unique_lock lock(mutex_);
  auto it = entries_.find(entry.event_type);
  if (it != entries_.end()) {
    const EventCatalogEntry& existing = it->second;
    if (existing.owner == entry.owner && existing.version == entry.version &&
        existing.lifecycle_status == entry.lifecycle_status) {
      return {};  // the same contract registered again (e.g. shared by two bundles): a no-op
    }
    return std::unexpected(EventError::lifecycle_violation(
        "event type '" + entry.event_type + "' is already registered (version " + existing.version +
            ", " + std::string(to_string(existing.lifecycle_status)) +
            "); cannot register version " + entry.version + ", " +
            std::string(to_string(entry.lifecycle_status)),
        entry.event_type));
  }
  std::string key = entry.event_type;
  entries_.emplace(std::move(key), std::move(entry));
  return {};
}

std::expected<void, EventError> EventCatalog::register_contract(const EventContract& contract) {
  return register_entry(
      EventCatalogEntry{contract.id, contract.owner.team, contract.version, contract.lifecycle, 0});
}

std::expected<void, std::vector<EventError>> EventCatalog::register_contracts(
    std::span<const EventContract> contracts) {
  std::vector<EventError> errors;
  std::map<std::string, EventCatalogEntry, std::less<>> staged;
  const auto conflict = [](const EventCatalogEntry& existing, const EventCatalogEntry& entry) {
    return EventError::lifecycle_violation(
        "event type '" + entry.event_type + "' is already registered (version " + existing.version +
            ", " + std::string(to_string(existing.lifecycle_status)) +
            "); cannot register version " + entry.version + ", " +
            std::string(to_string(entry.lifecycle_status)),
        entry.event_type);
  };
  const auto same = [](const EventCatalogEntry& a, const EventCatalogEntry& b) {
    return a.owner == b.owner && a.version == b.version && a.lifecycle_status == b.lifecycle_status;
  };
  for (const EventContract& contract : contracts) {
    EventCatalogEntry entry{contract.id, contract.owner.team, contract.version, contract.lifecycle,
                            0};
    if (entry.event_type.empty()) {
      errors.push_back(EventError::lifecycle_violation(
          "event type must not be empty (catalog entry $.event_type)"));
      continue;
    }
    if (const auto it = staged.find(entry.event_type); it != staged.end()) {
      if (!same(it->second, entry)) {
        errors.push_back(conflict(it->second, entry));
      }
      continue;
    }
    std::string key = entry.event_type;
    staged.emplace(std::move(key), std::move(entry));
  }
  std::unique_lock lock(mutex_);
  for (const auto& [type, entry] : staged) {
    if (const auto it = entries_.find(type); it != entries_.end() && !same(it->second, entry)) {
      errors.push_back(conflict(it->second, entry));
    }
  }
  if (!errors.empty()) {
    return std::unexpected(std::move(errors));
  }
  for (auto& [type, entry] : staged) {
    entries_.try_emplace(type, std::move(entry));
  }
  return {};
}

std::optional<EventCatalogEntry> EventCatalog::get(std::string_view event_type) const {
  std::shared_lock lock(mutex_);
  auto it = entries_.find(event_type);
  if (it == entries_.end())
    return std::nullopt;
  return it->second;
}

std::vector<EventCatalogEntry> EventCatalog::list() const {
  std::shared_lock lock(mutex_);
  std::vector<EventCatalogEntry> out;
  out.reserve(entries_.size());
  for (const auto& [type, entry] : entries_)
    out.push_back(entry);
  return out;  // std::map: already sorted by event_type
}

std::expected<void, EventError> EventCatalog::increment_consumer_count(
    std::string_view event_type) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(event_type);
  if (it == entries_.end()) {
    return std::unexpected(EventError::unregistered_event_type(std::string(event_type)));
  }
  ++it->second.consumer_count;
  return {};
}

std::size_t EventCatalog::size() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

}  // namespace traverse
