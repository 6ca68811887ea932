#include "traverse/cluster/event_stream.hpp"

#include <nats/nats.h>

#include "nats_access.hpp"

namespace traverse {

namespace {

bool subject_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

ClusterError stream_error(const std::string& what, natsStatus status, jsErrCode code) {
  const ClusterErrorKind kind = status == NATS_CONNECTION_CLOSED
                                    ? ClusterErrorKind::ConnectionClosed
                                    : ClusterErrorKind::StreamUnavailable;
  std::string text = what + ": " + nats_status_text(status);
  if (code != 0) {
    text += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  }
  if (status == NATS_NO_RESPONDERS || status == NATS_TIMEOUT) {
    text += "; is JetStream enabled on the server (nats-server -js)?";
  }
  return ClusterError(kind, std::move(text));
}

EventStreamState state_of(const jsStreamInfo* info) {
  EventStreamState state;
  state.messages = info->State.Msgs;
  state.first_sequence = info->State.Msgs == 0 ? 0 : info->State.FirstSeq;
  state.last_sequence = info->State.LastSeq;
  return state;
}

jsOptions api_options(const EventStreamConfig& config) {
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = config.api_timeout.count();
  return options;
}

// REQUIRES: js valid. The state, or nullopt-like NATS_NOT_FOUND status in `status`.
std::expected<EventStreamState, ClusterError> lookup(jsCtx* js, const EventStreamConfig& config,
                                                     natsStatus& status) {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  jsOptions options = api_options(config);
  status = js_GetStreamInfo(&info, js, config.stream.c_str(), &options, &code);
  if (status != NATS_OK) {
    return std::unexpected(stream_error("stream " + config.stream, status, code));
  }
  const EventStreamState state = state_of(info);
  jsStreamInfo_Destroy(info);
  return state;
}

}  // namespace

std::expected<JsContextPtr, ClusterError> jetstream_context(const NatsConnection& connection,
                                                            jsOptions* options) {
  jsCtx* js = nullptr;
  if (natsStatus status =
          natsConnection_JetStream(&js, NatsConnectionAccess::native(connection), options);
      status != NATS_OK) {
    return std::unexpected(stream_error("JetStream context", status, static_cast<jsErrCode>(0)));
  }
  return JsContextPtr(js);
}

std::string event_subject(std::string_view subject_prefix, std::string_view event_type) {
  std::string subject(subject_prefix);
  subject += '.';
  bool token_empty = true;
  for (char c : event_type) {
    if (c == '.') {
      if (token_empty) {
        subject += '_';
      }
      subject += '.';
      token_empty = true;
      continue;
    }
    subject += subject_safe(c) ? c : '_';
    token_empty = false;
  }
  if (token_empty) {
    subject += '_';
  }
  return subject;
}

std::expected<EventStreamState, ClusterError> event_stream_state(const NatsConnection& connection,
                                                                 const EventStreamConfig& config) {
  auto js = jetstream_context(connection, nullptr);
  if (!js) {
    return std::unexpected(std::move(js.error()));
  }
  natsStatus status = NATS_OK;
  return lookup(js->get(), config, status);
}

std::expected<EventStreamState, ClusterError> ensure_event_stream(const NatsConnection& connection,
                                                                  const EventStreamConfig& config) {
  auto js = jetstream_context(connection, nullptr);
  if (!js) {
    return std::unexpected(std::move(js.error()));
  }
  natsStatus status = NATS_OK;
  auto found = lookup(js->get(), config, status);
  if (found || status != NATS_NOT_FOUND) {
    return found;
  }
  const std::string subjects = config.subject_prefix + ".>";
  const char* subject_list[] = {subjects.c_str()};
  jsStreamConfig stream;
  jsStreamConfig_Init(&stream);
  stream.Name = config.stream.c_str();
  stream.Subjects = subject_list;
  stream.SubjectsLen = 1;
  stream.Retention = js_LimitsPolicy;
  stream.Discard = js_DiscardOld;
  stream.Storage = config.memory_storage ? js_MemoryStorage : js_FileStorage;
  stream.MaxAge = std::chrono::duration_cast<std::chrono::nanoseconds>(config.max_age).count();
  stream.MaxBytes = config.max_bytes;
  stream.MaxMsgs = config.max_messages;
  stream.Duplicates =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config.duplicate_window).count();
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  jsOptions options = api_options(config);
  status = js_AddStream(&info, js->get(), &stream, &options, &code);
  if (status == NATS_OK) {
    const EventStreamState state = state_of(info);
    jsStreamInfo_Destroy(info);
    return state;
  }
  // Another process may have created it meanwhile (with other limits): use that one.
  natsStatus again = NATS_OK;
  if (auto created = lookup(js->get(), config, again)) {
    return created;
  }
  return std::unexpected(stream_error("cannot create stream " + config.stream, status, code));
}

}  // namespace traverse
