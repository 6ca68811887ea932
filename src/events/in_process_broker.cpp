#include "traverse/events/in_process_broker.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <limits>
#include <utility>
#include <vector>

namespace traverse {

namespace {

using TimePoint = std::chrono::steady_clock::time_point;

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos)
    return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

std::optional<std::uint64_t> parse_cursor(std::string_view text) {
  text = trim(text);
  if (text.empty())
    return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

// "Draft", "Deprecated", ... as the reference's Debug names.
std::string debug_name(Lifecycle lifecycle) {
  std::string name(to_string(lifecycle));
  if (!name.empty())
    name[0] = static_cast<char>(name[0] - 'a' + 'A');
  return name;
}

struct Retained {
  std::uint64_t cursor;
  TimePoint published_at;
  std::shared_ptr<const BrokerEvent> event;
};

struct Queued {
  std::uint64_t cursor;
  std::shared_ptr<const BrokerEvent> event;
};

}  // namespace

struct InProcessBroker::SubscriptionState {
  std::string id;
  std::string event_type;
  std::optional<std::string> subject_id;
  TypeState* type = nullptr;  // owned by the broker's types_ map, which outlives this

  // Guarded by type->mutex.
  std::deque<Queued> queue;
  std::uint64_t cursor = 0;
  std::uint64_t dropped = 0;
  bool cancelled = false;
};

struct InProcessBroker::TypeState {
  std::mutex mutex;
  // Guarded by mutex.
  std::uint64_t counter = 0;  // last cursor assigned
  TimePoint last_published_at{};
  std::deque<Retained> buffer;                          // ascending cursors
  std::unordered_map<std::string, std::uint64_t> seen;  // retained event id -> its cursor
  std::vector<std::shared_ptr<SubscriptionState>> subscriptions;
};

namespace {

// REQUIRES: type mutex held. Drops queued items whose event is no longer retained.
template <typename Type>
std::uint64_t trim_queues(Type& type) {
  const std::uint64_t oldest =
      type.buffer.empty() ? std::numeric_limits<std::uint64_t>::max() : type.buffer.front().cursor;
  std::uint64_t dropped = 0;
  for (auto& sub : type.subscriptions) {
    while (!sub->queue.empty() && sub->queue.front().cursor < oldest) {
      sub->queue.pop_front();
      ++sub->dropped;
      ++dropped;
    }
  }
  return dropped;
}

// REQUIRES: type mutex held. Prunes by age and by count; returns queued items dropped.
template <typename Type>
std::uint64_t prune(Type& type, TimePoint now, std::chrono::milliseconds window,
                    std::size_t max_retained) {
  bool pruned = false;
  while (!type.buffer.empty()) {
    const Retained& front = type.buffer.front();
    const auto age = now > front.published_at ? now - front.published_at : TimePoint::duration{};
    if (age <= window && type.buffer.size() <= max_retained)
      break;
    type.seen.erase(front.event->event.id);
    type.buffer.pop_front();
    pruned = true;
  }
  return pruned ? trim_queues(type) : 0;
}

}  // namespace

std::expected<std::shared_ptr<InProcessBroker>, EventError> InProcessBroker::create(
    InProcessBrokerConfig config, std::shared_ptr<EventCatalog> catalog, BrokerClock clock) {
  if (config.retention_window <= std::chrono::milliseconds::zero()) {
    return std::unexpected(EventError::invalid_retention_window("retention_window must be > 0"));
  }
  if (config.max_queue_len == 0) {
    return std::unexpected(EventError::invalid_retention_window("max_queue_len must be > 0"));
  }
  if (config.max_retained_per_type == 0) {
    return std::unexpected(
        EventError::invalid_retention_window("max_retained_per_type must be > 0"));
  }
  if (!catalog)
    catalog = std::make_shared<EventCatalog>();
  if (!clock)
    clock = [] { return std::chrono::steady_clock::now(); };
  return std::shared_ptr<InProcessBroker>(
      new InProcessBroker(config, std::move(catalog), std::move(clock)));
}

InProcessBroker::InProcessBroker(InProcessBrokerConfig config,
                                 std::shared_ptr<EventCatalog> catalog, BrokerClock clock)
    : config_(config), catalog_(std::move(catalog)), clock_(std::move(clock)) {}

InProcessBroker::~InProcessBroker() = default;

std::shared_ptr<InProcessBroker::TypeState> InProcessBroker::type_state(
    const std::string& event_type) {
  std::lock_guard lock(types_mutex_);
  auto& slot = types_[event_type];
  if (!slot)
    slot = std::make_shared<TypeState>();
  return slot;
}

std::expected<PublishReceipt, EventError> InProcessBroker::publish(const TraverseEvent& event) {
  return publish_impl(event, std::nullopt);
}

std::expected<PublishReceipt, EventError> InProcessBroker::publish_with_cursor(
    const TraverseEvent& event, std::uint64_t cursor) {
  return publish_impl(event, cursor);
}

std::expected<PublishReceipt, EventError> InProcessBroker::publish_impl(
    const TraverseEvent& event, std::optional<std::uint64_t> cursor) {
  // 1. Envelope validation (also for unregistered types).
  const EnvelopeValidation validation = validate_envelope(event, config_.validation_mode);
  if (!validation.diagnostics.empty())
    validation_failures_.fetch_add(1);
  if (!validation.accepted) {
    quarantines_.fetch_add(1);
    return std::unexpected(
        EventError::validation_rejected(validation.diagnostics.front().code, event.event_type));
  }
  // 2. Catalog and lifecycle (the catalog has its own lock; none of ours is held).
  const auto entry = catalog_->get(event.event_type);
  if (!entry)
    return std::unexpected(EventError::unregistered_event_type(event.event_type));
  if (entry->lifecycle_status != Lifecycle::Active) {
    return std::unexpected(EventError::lifecycle_violation(
        "event type '" + event.event_type + "' is " + debug_name(entry->lifecycle_status) +
            " and cannot be published",
        event.event_type));
  }
  // Prepare everything that may allocate or call out before taking the type lock.
  const TimePoint now = clock_();
  auto broker_event = std::make_shared<BrokerEvent>(BrokerEvent{{}, event});
  const std::shared_ptr<TypeState> type = type_state(event.event_type);
  const std::uint64_t floor = restart_floor_.load();

  std::uint64_t dropped = 0;
  std::uint64_t assigned = 0;
  {
    std::lock_guard lock(type->mutex);
    dropped += prune(*type, now, config_.retention_window, config_.max_retained_per_type);
    // 4. Dedup on id among retained events of this type.
    if (auto seen = type->seen.find(event.id); seen != type->seen.end()) {
      const std::uint64_t original = seen->second;
      duplicates_.fetch_add(1);
      dropped_.fetch_add(dropped);
      return PublishReceipt{std::to_string(original), true};
    }
    // 6. Cursor.
    const std::uint64_t last = std::max(type->counter, floor);
    if (cursor) {
      if (*cursor <= last) {
        dropped_.fetch_add(dropped);
        return std::unexpected(EventError{
            EventErrorKind::InvalidCursor, std::to_string(*cursor), event.event_type, {}});
      }
      assigned = *cursor;
    } else {
      assigned = last + 1;
    }
    type->counter = assigned;
    broker_event->cursor = std::to_string(assigned);
    // 7. Retain and fan out. Published-at never goes backwards within a type.
    const TimePoint published_at = std::max(now, type->last_published_at);
    type->last_published_at = published_at;
    std::shared_ptr<const BrokerEvent> shared = std::move(broker_event);
    type->buffer.push_back(Retained{assigned, published_at, shared});
    type->seen.emplace(event.id, assigned);
    for (auto& sub : type->subscriptions) {
      if (sub->subject_id && event.subject_id != sub->subject_id)
        continue;
      sub->queue.push_back(Queued{assigned, shared});
      if (sub->queue.size() > config_.max_queue_len) {
        sub->queue.pop_front();
        ++sub->dropped;
        ++dropped;
      }
    }
    if (type->buffer.size() > config_.max_retained_per_type) {
      dropped += prune(*type, now, config_.retention_window, config_.max_retained_per_type);
    }
  }
  publications_.fetch_add(1);
  dropped_.fetch_add(dropped);
  return PublishReceipt{std::to_string(assigned), false};
}

std::expected<Subscription, EventError> InProcessBroker::subscribe(
    std::string_view event_type, std::string_view from_cursor,
    std::optional<std::string> subject_id) {
  const std::string type_name(event_type);
  if (!catalog_->get(type_name)) {
    return std::unexpected(EventError::unregistered_event_type(type_name));
  }
  const auto from = parse_cursor(from_cursor);
  if (!from) {
    return std::unexpected(EventError::invalid_cursor(std::string(from_cursor), type_name));
  }
  // Reserve a subscription slot (released on failure).
  {
    std::lock_guard lock(subscriptions_mutex_);
    if (subscriptions_.size() + pending_subscriptions_ >= config_.max_subscriptions) {
      return std::unexpected(EventError::capacity_exceeded(
          "the broker already has its maximum of " + std::to_string(config_.max_subscriptions) +
          " open subscriptions; cancel one first"));
    }
    ++pending_subscriptions_;
  }
  // Released on every way out — an early return, or anything thrown by an allocation, the
  // clock or the catalog — unless the subscription took the slot over (commit below).
  class SlotReservation {
   public:
    SlotReservation(std::mutex& mutex, std::size_t& pending) : mutex_(mutex), pending_(pending) {}
    ~SlotReservation() {
      if (held_) {
        std::lock_guard lock(mutex_);
        --pending_;
      }
    }
    SlotReservation(const SlotReservation&) = delete;
    SlotReservation& operator=(const SlotReservation&) = delete;
    void committed() { held_ = false; }  // the caller moved the slot to subscriptions_

   private:
    std::mutex& mutex_;
    std::size_t& pending_;
    bool held_ = true;
  };
  SlotReservation reservation(subscriptions_mutex_, pending_subscriptions_);

  auto sub = std::make_shared<SubscriptionState>();
  sub->id = "sub-" + std::to_string(next_subscription_.fetch_add(1));
  sub->event_type = type_name;
  sub->subject_id = subject_id;
  sub->cursor = *from;
  const TimePoint now = clock_();
  const std::shared_ptr<TypeState> type = type_state(type_name);
  sub->type = type.get();
  const std::uint64_t floor = restart_floor_.load();
  std::uint64_t dropped = 0;
  {
    std::lock_guard lock(type->mutex);
    dropped += prune(*type, now, config_.retention_window, config_.max_retained_per_type);
    if (auto expired = expired_cursor(*type, *from, floor)) {
      dropped_.fetch_add(dropped);
      return std::unexpected(EventError::cursor_expired(type_name, std::to_string(*expired)));
    }
    for (const Retained& retained : type->buffer) {
      if (*from != 0 && retained.cursor <= *from)
        continue;
      if (subject_id && retained.event->event.subject_id != subject_id)
        continue;
      sub->queue.push_back(Queued{retained.cursor, retained.event});
      if (sub->queue.size() > config_.max_queue_len) {
        sub->queue.pop_front();
        ++sub->dropped;
        ++dropped;
      }
    }
    type->subscriptions.push_back(sub);
  }
  dropped_.fetch_add(dropped);
  (void)catalog_->increment_consumer_count(type_name);  // registered above; never unregistered
  {
    std::lock_guard lock(subscriptions_mutex_);
    subscriptions_.emplace(sub->id, sub);
    --pending_subscriptions_;
    reservation.committed();
  }
  return Subscription{sub->id, type_name, std::to_string(*from), std::move(subject_id)};
}

std::optional<std::uint64_t> InProcessBroker::expired_cursor(const TypeState& type,
                                                             std::uint64_t cursor,
                                                             std::uint64_t floor) {
  if (cursor == 0)
    return std::nullopt;
  if (!type.buffer.empty()) {
    const std::uint64_t oldest_ok = type.buffer.front().cursor - 1;
    if (cursor < oldest_ok)
      return oldest_ok;
    return std::nullopt;
  }
  const std::uint64_t last = std::max(type.counter, floor);
  if (last > 0 && cursor < last)
    return last;
  return std::nullopt;
}

std::shared_ptr<InProcessBroker::SubscriptionState> InProcessBroker::find_subscription(
    std::string_view subscription_id) {
  std::lock_guard lock(subscriptions_mutex_);
  auto it = subscriptions_.find(std::string(subscription_id));
  return it == subscriptions_.end() ? nullptr : it->second;
}

std::expected<SubscriptionPoll, EventError> InProcessBroker::poll(std::string_view subscription_id,
                                                                  std::size_t max) {
  const auto sub = find_subscription(subscription_id);
  if (!sub) {
    return std::unexpected(EventError::subscription_not_found(std::string(subscription_id)));
  }
  const TimePoint now = clock_();
  const std::uint64_t floor = restart_floor_.load();
  std::vector<std::shared_ptr<const BrokerEvent>> taken;
  SubscriptionPoll result;
  result.subscription_id = sub->id;
  result.event_type = sub->event_type;
  std::uint64_t dropped = 0;
  {
    TypeState& type = *sub->type;
    std::lock_guard lock(type.mutex);
    if (sub->cancelled) {
      return std::unexpected(EventError::subscription_not_found(std::string(subscription_id)));
    }
    dropped += prune(type, now, config_.retention_window, config_.max_retained_per_type);
    if (auto expired = expired_cursor(type, sub->cursor, floor)) {
      // Deliberate difference from the reference: keep the subscription, fast-forwarded.
      sub->cursor = *expired;
      dropped_.fetch_add(dropped);
      return std::unexpected(EventError::cursor_expired(sub->event_type, std::to_string(*expired)));
    }
    const std::size_t n = std::min(max, sub->queue.size());
    taken.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      sub->cursor = sub->queue.front().cursor;
      taken.push_back(std::move(sub->queue.front().event));
      sub->queue.pop_front();
    }
    result.cursor = std::to_string(sub->cursor);
    result.dropped = std::exchange(sub->dropped, 0);
  }
  dropped_.fetch_add(dropped);
  deliveries_.fetch_add(taken.size());
  // Copy the events out after releasing the lock.
  result.events.reserve(taken.size());
  for (const auto& event : taken)
    result.events.push_back(*event);
  return result;
}

std::expected<void, EventError> InProcessBroker::cancel(std::string_view subscription_id) {
  std::shared_ptr<SubscriptionState> sub;
  {
    std::lock_guard lock(subscriptions_mutex_);
    auto it = subscriptions_.find(std::string(subscription_id));
    if (it == subscriptions_.end()) {
      return std::unexpected(EventError::subscription_not_found(std::string(subscription_id)));
    }
    sub = std::move(it->second);
    subscriptions_.erase(it);
  }
  TypeState& type = *sub->type;
  std::lock_guard lock(type.mutex);
  sub->cancelled = true;
  sub->queue.clear();
  std::erase(type.subscriptions, sub);
  return {};
}

void InProcessBroker::seed_restart_floor(std::uint64_t floor) {
  std::uint64_t current = restart_floor_.load();
  while (current < floor && !restart_floor_.compare_exchange_weak(current, floor)) {
  }
}

BrokerMetrics InProcessBroker::metrics() const {
  return BrokerMetrics{publications_.load(),        duplicates_.load(),  deliveries_.load(),
                       validation_failures_.load(), quarantines_.load(), dropped_.load()};
}

}  // namespace traverse
