#include "traverse/cluster/jetstream_event_bridge.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <utility>
#include <vector>

#include "nats_access.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

namespace {

// What the acknowledgement handler updates. It is the handler's closure, so it lives as long as
// a handler may run: freed by close() only once every acknowledgement has been handled, leaked
// on purpose otherwise (a late handler must never touch freed memory).
struct AckState {
  std::atomic<std::uint64_t> stored{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> pending{0};
  std::atomic<std::uint64_t> last_sequence{0};
  mutable std::mutex problem_mutex;
  std::string last_problem;  // guarded by problem_mutex

  void fail(std::string problem) {
    failed.fetch_add(1);
    note(std::move(problem));
  }
  void note(std::string problem) {
    std::lock_guard lock(problem_mutex);
    last_problem = std::move(problem);
  }
};

void on_ack(jsCtx* /*js*/, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto* acks = static_cast<AckState*>(closure);
  if (ack != nullptr) {
    (ack->Duplicate ? acks->duplicates : acks->stored).fetch_add(1);
    std::uint64_t seen = acks->last_sequence.load();
    while (ack->Sequence > seen &&
           !acks->last_sequence.compare_exchange_weak(seen, ack->Sequence)) {
    }
  } else {
    const char* id = nullptr;
    if (msg != nullptr) {
      natsMsgHeader_Get(msg, kEventMessageIdHeader, &id);
    }
    std::string problem = "the stream did not store event ";
    problem += id != nullptr ? id : "?";
    problem += ": ";
    if (error != nullptr && error->ErrText != nullptr && error->ErrText[0] != '\0') {
      problem += error->ErrText;
    } else {
      problem += natsStatus_GetText(error != nullptr ? error->Err : NATS_ERR);
    }
    acks->fail(std::move(problem));
  }
  natsMsg_Destroy(msg);
  acks->pending.fetch_sub(1);  // the last touch of `acks` (close() waits for it)
}

bool before_in_time(const TraverseEvent& a, const TraverseEvent& b) {
  return a.time < b.time;
}

}  // namespace

struct JetStreamEventBridge::State {
  std::shared_ptr<NatsConnection> connection;
  std::shared_ptr<EventBroker> broker;
  std::shared_ptr<EventCatalog> catalog;
  JetStreamEventBridgeConfig config;
  AckState* acks = new AckState();  // never null
  bool acks_owned = true;           // false: leaked on purpose (see AckState)

  std::shared_mutex js_mutex;  // shared: sends and flushes; exclusive: close
  JsContextPtr js;             // guarded by js_mutex; null once closed

  std::atomic<std::uint64_t> offered{0};
  std::atomic<std::uint64_t> dropped{0};

  std::mutex poll_mutex;                             // one poll at a time
  std::map<std::string, std::string> subscriptions;  // event type -> id; guarded by poll_mutex
  bool polling_done = false;  // guarded by poll_mutex: close() took the last poll

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;  // guarded by mutex
  bool closed = false;    // guarded by mutex
  std::thread poller;

  // Problem reporting (poller thread only).
  std::uint64_t reported_problems = 0;
  std::chrono::steady_clock::time_point last_report{};

  ~State() {
    if (acks_owned) {
      delete acks;
    }
  }

  std::expected<void, ClusterError> send(const TraverseEvent& event) {
    offered.fetch_add(1);
    const std::string subject = event_subject(config.stream.subject_prefix, event.event_type);
    const std::string text = canonical_dump(to_json(event));
    auto fail = [this](ClusterErrorKind kind, std::string problem) {
      acks->fail(problem);
      return std::unexpected(ClusterError(kind, std::move(problem)));
    };
    std::shared_lock lock(js_mutex);
    if (!js) {
      return fail(ClusterErrorKind::ConnectionClosed,
                  "event " + event.id + " not sent: the bridge is closed");
    }
    if (static_cast<std::int64_t>(text.size()) > connection->max_payload()) {
      return fail(ClusterErrorKind::PayloadTooLarge,
                  "event " + event.id + " not sent: " + std::to_string(text.size()) +
                      " bytes exceed the server's max_payload");
    }
    natsMsg* msg = nullptr;
    natsStatus status =
        natsMsg_Create(&msg, subject.c_str(), nullptr, text.data(), static_cast<int>(text.size()));
    if (status == NATS_OK) {
      status = natsMsgHeader_Set(msg, kEventMessageIdHeader, event.id.c_str());
    }
    if (status == NATS_OK) {
      status = natsMsgHeader_Set(msg, kEventTypeHeader, event.event_type.c_str());
    }
    if (status == NATS_OK) {
      jsPubOptions options;
      jsPubOptions_Init(&options);
      options.MaxWait = config.ack_timeout.count();
      acks->pending.fetch_add(1);
      status = js_PublishMsgAsync(js.get(), &msg, &options);
      if (status != NATS_OK) {
        acks->pending.fetch_sub(1);
      }
    }
    natsMsg_Destroy(msg);  // no-op when the library took it
    if (status != NATS_OK) {
      return fail(
          status == NATS_CONNECTION_CLOSED ? ClusterErrorKind::ConnectionClosed
                                           : ClusterErrorKind::PublishFailed,
          "event " + event.id + " not sent on " + subject + ": " + nats_status_text(status));
    }
    return {};
  }

  // Takes what the broker has for every catalog type and sends it.
  void poll_once() {
    if (!broker || !catalog) {
      return;
    }
    std::lock_guard poll_lock(poll_mutex);
    if (polling_done) {
      return;
    }
    if (catalog->size() != subscriptions.size()) {
      for (const auto& entry : catalog->list()) {
        if (subscriptions.contains(entry.event_type)) {
          continue;
        }
        // From the oldest retained event: what was published before the bridge started is
        // sent too (the stream refuses what it already has).
        if (auto subscription = broker->subscribe(entry.event_type, "0")) {
          subscriptions.emplace(entry.event_type, subscription->subscription_id);
        } else {
          acks->note("cannot subscribe to event type " + entry.event_type + ": " +
                     subscription.error().message());
        }
      }
    }
    std::vector<TraverseEvent> batch;
    for (const auto& [type, id] : subscriptions) {
      for (;;) {
        auto polled = broker->poll(id, config.poll_batch);
        if (!polled) {
          break;  // CursorExpired fast-forwards the subscription; the next poll continues
        }
        dropped.fetch_add(polled->dropped);
        for (auto& event : polled->events) {
          batch.push_back(std::move(event.event));
        }
        if (polled->events.size() < config.poll_batch) {
          break;
        }
      }
    }
    std::stable_sort(batch.begin(), batch.end(), before_in_time);
    for (const TraverseEvent& event : batch) {
      (void)send(event);  // counted in acks
    }
  }

  void report_problems() {
    if (!config.on_problem) {
      return;
    }
    const std::uint64_t failed = acks->failed.load();
    const std::uint64_t lost = dropped.load();
    const auto now = std::chrono::steady_clock::now();
    if (failed + lost == reported_problems || now - last_report < config.problem_interval) {
      return;
    }
    reported_problems = failed + lost;
    last_report = now;
    std::string text = "event stream " + config.stream.stream + ": " + std::to_string(failed) +
                       " event(s) not stored, " + std::to_string(lost) + " dropped before sending";
    {
      std::lock_guard lock(acks->problem_mutex);
      if (!acks->last_problem.empty()) {
        text += " (latest: " + acks->last_problem + ")";
      }
    }
    config.on_problem(text);
  }

  void run() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      lock.unlock();
      poll_once();
      report_problems();
      lock.lock();
      wake.wait_for(lock, config.poll_interval, [this] { return stopping; });
    }
  }

  bool wait_acks(std::chrono::milliseconds timeout) {
    std::shared_lock lock(js_mutex);
    if (!js) {
      return acks->pending.load() == 0;
    }
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = std::max<std::int64_t>(timeout.count(), 1);
    return js_PublishAsyncComplete(js.get(), &options) == NATS_OK;
  }
};

std::expected<std::unique_ptr<JetStreamEventBridge>, ClusterError> JetStreamEventBridge::start(
    std::shared_ptr<NatsConnection> connection, std::shared_ptr<EventBroker> broker,
    std::shared_ptr<EventCatalog> catalog, JetStreamEventBridgeConfig config) {
  if (!connection) {
    return std::unexpected(ClusterError(ClusterErrorKind::InvalidOptions, "no NATS connection"));
  }
  if (broker && !catalog) {
    return std::unexpected(ClusterError(ClusterErrorKind::InvalidOptions,
                                        "a broker needs its event catalog (the types to follow)"));
  }
  if (config.poll_interval < std::chrono::milliseconds(1) ||
      config.poll_interval > std::chrono::seconds(10) || config.poll_batch == 0 ||
      config.max_pending_acks < 1 || config.stall_wait.count() < 0 ||
      config.ack_timeout.count() <= 0) {
    return std::unexpected(ClusterError(
        ClusterErrorKind::InvalidOptions,
        "event bridge bounds: poll_interval 1 ms..10 s, poll_batch >= 1, max_pending_acks >= 1, "
        "stall_wait >= 0, ack_timeout > 0"));
  }
  if (auto ensured = ensure_event_stream(*connection, config.stream); !ensured) {
    return std::unexpected(std::move(ensured.error()));
  }
  auto state = std::make_shared<State>();
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = config.stream.api_timeout.count();
  options.PublishAsync.MaxPending = config.max_pending_acks;
  options.PublishAsync.AckHandler = on_ack;
  options.PublishAsync.AckHandlerClosure = state->acks;
  options.PublishAsync.StallWait = std::max<std::int64_t>(config.stall_wait.count(), 1);
  auto js = jetstream_context(*connection, &options);
  if (!js) {
    return std::unexpected(std::move(js.error()));
  }
  state->js = std::move(*js);
  state->connection = std::move(connection);
  state->broker = std::move(broker);
  state->catalog = std::move(catalog);
  state->config = std::move(config);
  if (state->broker) {
    state->poller = std::thread([raw = state.get()] { raw->run(); });
  }
  return std::make_unique<JetStreamEventBridge>(std::move(state));
}

JetStreamEventBridge::JetStreamEventBridge(std::shared_ptr<State> state)
    : state_(std::move(state)) {}

JetStreamEventBridge::~JetStreamEventBridge() {
  close();
}

std::expected<void, ClusterError> JetStreamEventBridge::publish(const TraverseEvent& event) {
  return state_->send(event);
}

bool JetStreamEventBridge::flush(std::chrono::milliseconds timeout) {
  state_->poll_once();
  return state_->wait_acks(timeout);
}

void JetStreamEventBridge::close() {
  State& state = *state_;
  {
    std::lock_guard lock(state.mutex);
    if (state.closed) {
      return;
    }
    state.closed = true;
    state.stopping = true;
  }
  state.wake.notify_all();
  if (state.poller.joinable()) {
    state.poller.join();
  }
  state.poll_once();
  const bool acknowledged = state.wait_acks(state.config.close_timeout);
  {
    std::lock_guard poll_lock(state.poll_mutex);
    state.polling_done = true;
    if (state.broker) {
      for (const auto& [type, id] : state.subscriptions) {
        (void)state.broker->cancel(id);
      }
    }
    state.subscriptions.clear();
  }
  std::unique_lock lock(state.js_mutex);
  state.js.reset();  // no acknowledgement handler starts after this
  if (!acknowledged || state.acks->pending.load() != 0) {
    // A handler may still run for a send that was never acknowledged: keep its closure.
    state.acks_owned = false;
  }
}

EventBridgeStats JetStreamEventBridge::stats() const {
  EventBridgeStats stats;
  stats.offered = state_->offered.load();
  stats.dropped = state_->dropped.load();
  const AckState& acks = *state_->acks;
  stats.stored = acks.stored.load();
  stats.duplicates = acks.duplicates.load();
  stats.failed = acks.failed.load();
  stats.pending = acks.pending.load();
  stats.last_sequence = acks.last_sequence.load();
  std::lock_guard lock(acks.problem_mutex);
  stats.last_problem = acks.last_problem;
  return stats;
}

const EventStreamConfig& JetStreamEventBridge::stream() const {
  return state_->config.stream;
}

}  // namespace traverse
