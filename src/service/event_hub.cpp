#include "traverse/service/event_hub.hpp"

#include <algorithm>
#include <utility>

#include "traverse/json/value.hpp"

namespace traverse {
namespace {

constexpr std::size_t kPollBatch = 256;

}  // namespace

EventHub::EventHub(std::shared_ptr<EventBroker> broker, std::shared_ptr<EventCatalog> catalog,
                   std::size_t capacity)
    : broker_(std::move(broker)),
      catalog_(std::move(catalog)),
      capacity_(std::max<std::size_t>(capacity, 1)) {}

EventHub::~EventHub() {
  std::lock_guard lock(pump_mutex_);
  if (broker_) {
    for (const auto& [type, id] : subscriptions_) {
      (void)broker_->cancel(id);
    }
  }
}

std::size_t EventHub::pump() {
  if (!broker_ || !catalog_) {
    return 0;
  }
  std::lock_guard pump_lock(pump_mutex_);
  if (catalog_->size() != subscriptions_.size()) {
    for (const auto& entry : catalog_->list()) {
      if (subscriptions_.contains(entry.event_type)) {
        continue;
      }
      // From the oldest retained event: what was published before the service started is
      // streamed too.
      if (auto subscription = broker_->subscribe(entry.event_type, "0")) {
        subscriptions_.emplace(entry.event_type, subscription->subscription_id);
      }
    }
  }
  std::size_t added = 0;
  for (const auto& [type, id] : subscriptions_) {
    for (;;) {
      auto polled = broker_->poll(id, kPollBatch);
      if (!polled) {
        break;  // CursorExpired fast-forwards the subscription; the next pump continues
      }
      std::lock_guard lock(mutex_);
      broker_dropped_ += polled->dropped;
      for (auto& event : polled->events) {
        ring_.push_back(HubEvent{next_sequence_++, type, std::move(event.cursor),
                                 canonical_dump(to_json(event.event))});
        if (ring_.size() > capacity_) {
          ring_.pop_front();
        }
        ++added;
      }
      if (polled->events.size() < kPollBatch) {
        break;
      }
    }
  }
  return added;
}

HubRead EventHub::read(std::uint64_t after, std::size_t max,
                       const std::vector<std::string>& types) const {
  HubRead result;
  std::lock_guard lock(mutex_);
  result.last = after;
  if (ring_.empty()) {
    result.dropped = next_sequence_ - 1 > after ? next_sequence_ - 1 - after : 0;
    result.last = std::max(after, next_sequence_ - 1);
    return result;
  }
  const std::uint64_t first = ring_.front().sequence;
  if (after + 1 < first) {
    result.dropped = first - 1 - after;
    after = first - 1;
    result.last = after;
  }
  if (after + 1 - first >= ring_.size()) {
    return result;  // nothing newer (or a cursor from beyond the newest event)
  }
  for (auto it = ring_.begin() + static_cast<std::ptrdiff_t>(after + 1 - first);
       it != ring_.end() && result.events.size() < max; ++it) {
    result.last = it->sequence;
    if (types.empty() || std::find(types.begin(), types.end(), it->event_type) != types.end()) {
      result.events.push_back(*it);
    }
  }
  return result;
}

std::uint64_t EventHub::last_sequence() const {
  std::lock_guard lock(mutex_);
  return next_sequence_ - 1;
}

std::uint64_t EventHub::broker_dropped() const {
  std::lock_guard lock(mutex_);
  return broker_dropped_;
}

}  // namespace traverse
