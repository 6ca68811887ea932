#include "traverse/cluster/event_stream_reader.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <utility>

#include "nats_access.hpp"
#include "traverse/json/parse.hpp"

namespace traverse {

struct EventStreamReader::State {
  std::shared_ptr<NatsConnection> connection;
  EventStreamReaderConfig config;
  JsContextPtr js;
  natsSubscription* subscription = nullptr;
  std::uint64_t first_stored = 0;

  ~State() {
    if (subscription != nullptr) {
      natsSubscription_Unsubscribe(subscription);  // deletes the ephemeral consumer
      natsSubscription_Destroy(subscription);
    }
  }
};

std::expected<std::unique_ptr<EventStreamReader>, ClusterError> EventStreamReader::open(
    std::shared_ptr<NatsConnection> connection, EventStreamReaderConfig config) {
  if (!connection) {
    return std::unexpected(ClusterError(ClusterErrorKind::InvalidOptions, "no NATS connection"));
  }
  auto ensured = ensure_event_stream(*connection, config.stream);
  if (!ensured) {
    return std::unexpected(std::move(ensured.error()));
  }
  auto state = std::make_unique<State>();
  state->first_stored = ensured->first_sequence;
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = config.stream.api_timeout.count();
  auto js = jetstream_context(*connection, &options);
  if (!js) {
    return std::unexpected(std::move(js.error()));
  }
  state->js = std::move(*js);

  const std::string subject =
      config.event_types.size() == 1
          ? event_subject(config.stream.subject_prefix, config.event_types.front())
          : config.stream.subject_prefix + ".>";
  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = config.stream.stream.c_str();
  sub_options.Ordered = true;
  if (config.only_new) {
    sub_options.Config.DeliverPolicy = js_DeliverNew;
  } else if (config.from_sequence > 0) {
    sub_options.Config.DeliverPolicy = js_DeliverByStartSequence;
    sub_options.Config.OptStartSeq = config.from_sequence;
  } else {
    sub_options.Config.DeliverPolicy = js_DeliverAll;
  }
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus status = js_SubscribeSync(&state->subscription, state->js.get(), subject.c_str(),
                                             &options, &sub_options, &code);
  if (status != NATS_OK) {
    state->subscription = nullptr;
    return std::unexpected(ClusterError(
        status == NATS_CONNECTION_CLOSED ? ClusterErrorKind::ConnectionClosed
                                         : ClusterErrorKind::SubscribeFailed,
        "consumer on stream " + config.stream.stream + " (" + subject +
            "): " + nats_status_text(status) +
            (code != 0 ? " (JetStream error " + std::to_string(static_cast<int>(code)) + ")"
                       : std::string())));
  }
  // Pending messages of the subscription are bounded (the server's flow control pauses beyond).
  natsSubscription_SetPendingLimits(state->subscription, 65'536, 64 * 1024 * 1024);
  state->connection = std::move(connection);
  state->config = std::move(config);
  return std::make_unique<EventStreamReader>(std::move(state));
}

EventStreamReader::EventStreamReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
EventStreamReader::~EventStreamReader() = default;

std::uint64_t EventStreamReader::first_stored_sequence() const {
  return state_->first_stored;
}

std::expected<std::optional<StreamedEvent>, ClusterError> EventStreamReader::next(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    natsMsg* msg = nullptr;
    const natsStatus status = natsSubscription_NextMsg(&msg, state_->subscription,
                                                       std::max<std::int64_t>(left.count(), 1));
    if (status == NATS_TIMEOUT) {
      return std::optional<StreamedEvent>();
    }
    if (status != NATS_OK) {
      return std::unexpected(ClusterError(
          status == NATS_CONNECTION_CLOSED ? ClusterErrorKind::ConnectionClosed
                                           : ClusterErrorKind::SubscribeFailed,
          "reading stream " + state_->config.stream.stream + ": " + nats_status_text(status)));
    }
    StreamedEvent event;
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK && meta != nullptr) {
      event.sequence = meta->Sequence.Stream;
      jsMsgMetaData_Destroy(meta);
    }
    const char* subject = natsMsg_GetSubject(msg);
    event.subject = subject != nullptr ? subject : "";
    if (const char* id = nullptr;
        natsMsgHeader_Get(msg, kEventMessageIdHeader, &id) == NATS_OK && id != nullptr) {
      event.message_id = id;
    }
    const char* data = natsMsg_GetData(msg);
    const std::string_view text(
        data != nullptr ? data : "",
        data != nullptr ? static_cast<std::size_t>(natsMsg_GetDataLength(msg)) : 0);
    auto parsed = parse_json(text);
    natsMsg_Destroy(msg);
    if (!parsed || !parsed->is_object() || !parsed->contains("event_type") ||
        !(*parsed)["event_type"].is_string()) {
      return std::unexpected(ClusterError(
          ClusterErrorKind::MalformedMessage,
          "stream sequence " + std::to_string(event.sequence) + " on " + event.subject +
              (parsed ? ": $.event_type: not an event envelope" : ": not JSON")));
    }
    event.event_type = (*parsed)["event_type"].get<std::string>();
    const auto& types = state_->config.event_types;
    if (!types.empty() && std::find(types.begin(), types.end(), event.event_type) == types.end()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return std::optional<StreamedEvent>();
      }
      continue;
    }
    event.envelope = std::move(*parsed);
    return std::optional<StreamedEvent>(std::move(event));
  }
}

}  // namespace traverse
