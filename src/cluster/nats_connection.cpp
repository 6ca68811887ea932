#include "traverse/cluster/nats_connection.hpp"

#include <nats/nats.h>

#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <utility>

#include "nats_access.hpp"

namespace traverse {

std::string nats_status_text(natsStatus status) {
  std::string text = natsStatus_GetText(status);
  natsStatus last = NATS_OK;
  if (const char* detail = nats_GetLastError(&last); detail != nullptr && detail[0] != '\0') {
    text += " (";
    text += detail;
    text += ")";
  }
  return text;
}

namespace {

ClusterError error(ClusterErrorKind kind, std::string what, natsStatus status) {
  return ClusterError(kind, std::move(what) + ": " + nats_status_text(status));
}

// Frees natsOptions on scope exit.
struct OptionsHolder {
  natsOptions* options = nullptr;
  ~OptionsHolder() {
    if (options != nullptr) {
      natsOptions_Destroy(options);
    }
  }
};

bool fits_int(std::size_t size) {
  return size <= static_cast<std::size_t>(std::numeric_limits<int>::max());
}

}  // namespace

// ---- Subscriptions ----

struct NatsSubscription::State {
  natsSubscription* subscription = nullptr;
  NatsMessageHandler handler;
  std::mutex mutex;
  std::condition_variable completed_cv;
  bool completed = false;  // guarded by mutex: the handler will not run again
};

namespace {

void on_message(natsConnection* /*connection*/, natsSubscription* /*subscription*/, natsMsg* msg,
                void* closure) {
  auto* state = static_cast<NatsSubscription::State*>(closure);
  NatsMessage message;
  const char* subject = natsMsg_GetSubject(msg);
  const char* reply = natsMsg_GetReply(msg);
  const char* data = natsMsg_GetData(msg);
  message.subject = subject != nullptr ? subject : "";
  message.reply = reply != nullptr ? reply : "";
  const int length = natsMsg_GetDataLength(msg);
  message.data = std::string_view(data != nullptr ? data : "",
                                  data != nullptr ? static_cast<std::size_t>(length) : 0);
  message.no_responders = natsMsg_IsNoResponders(msg);
  try {
    state->handler(message);
  } catch (...) {
    // A handler must not throw into the C client; the message is dropped.
  }
  natsMsg_Destroy(msg);
}

void on_complete(void* closure) {
  auto* state = static_cast<NatsSubscription::State*>(closure);
  std::lock_guard lock(state->mutex);
  state->completed = true;
  state->completed_cv.notify_all();
}

}  // namespace

NatsSubscription::~NatsSubscription() {
  close();
}

NatsSubscription::NatsSubscription(NatsSubscription&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)) {}

NatsSubscription& NatsSubscription::operator=(NatsSubscription&& other) noexcept {
  if (this != &other) {
    close();
    state_ = std::exchange(other.state_, nullptr);
  }
  return *this;
}

void NatsSubscription::close() {
  State* state = std::exchange(state_, nullptr);
  if (state == nullptr) {
    return;
  }
  natsSubscription_Unsubscribe(state->subscription);
  bool completed = false;
  {
    std::unique_lock lock(state->mutex);
    completed = state->completed_cv.wait_for(lock, std::chrono::seconds(5),
                                             [state] { return state->completed; });
  }
  natsSubscription_Destroy(state->subscription);
  if (completed) {
    delete state;
  }
  // Else the handler may still run: the state is leaked on purpose rather than freed under it.
}

// ---- The connection ----

struct NatsConnection::Impl {
  natsConnection* connection = nullptr;

  std::mutex listeners_mutex;
  std::condition_variable listeners_idle;
  std::map<std::uint64_t, std::function<void()>> listeners;  // guarded by listeners_mutex
  std::uint64_t next_listener = 1;                           // guarded by listeners_mutex
  int notifying = 0;                                         // guarded by listeners_mutex

  std::mutex closed_mutex;
  std::condition_variable closed_cv;
  bool closed = false;  // guarded by closed_mutex

  void notify_lost() {
    std::unique_lock lock(listeners_mutex);
    ++notifying;
    auto copy = listeners;
    lock.unlock();
    for (auto& [id, listener] : copy) {
      listener();
    }
    lock.lock();
    --notifying;
    listeners_idle.notify_all();
  }

  ~Impl() {
    if (connection != nullptr) {
      natsConnection_Close(connection);
      {
        std::unique_lock lock(closed_mutex);
        closed_cv.wait_for(lock, std::chrono::seconds(5), [this] { return closed; });
      }
      natsConnection_Destroy(connection);
    }
  }
};

namespace {

void on_disconnected(natsConnection* /*connection*/, void* closure) {
  static_cast<NatsConnection::Impl*>(closure)->notify_lost();
}

void on_closed(natsConnection* /*connection*/, void* closure) {
  auto* impl = static_cast<NatsConnection::Impl*>(closure);
  impl->notify_lost();
  std::lock_guard lock(impl->closed_mutex);
  impl->closed = true;
  impl->closed_cv.notify_all();
}

std::expected<void, ClusterError> apply_options(natsOptions* options, const NatsOptions& given,
                                                NatsConnection::Impl* impl) {
  auto check = [](natsStatus status, const char* what) -> std::expected<void, ClusterError> {
    if (status != NATS_OK) {
      return std::unexpected(error(ClusterErrorKind::InvalidOptions, what, status));
    }
    return {};
  };
  std::expected<void, ClusterError> ok;
  ok = check(natsOptions_SetURL(options, given.url.c_str()), "NATS URL");
  if (ok) {
    ok = check(natsOptions_SetSendAsap(options, true), "send asap");
  }
  if (ok && !given.name.empty()) {
    ok = check(natsOptions_SetName(options, given.name.c_str()), "connection name");
  }
  if (ok) {
    ok = check(natsOptions_SetTimeout(options, given.connect_timeout.count()), "connect timeout");
  }
  if (ok) {
    ok = check(natsOptions_SetMaxReconnect(options, given.max_reconnect), "max reconnect");
  }
  if (ok) {
    ok = check(natsOptions_SetReconnectWait(options, given.reconnect_wait.count()),
               "reconnect wait");
  }
  if (ok && !given.credentials_file.empty()) {
    ok = check(
        natsOptions_SetUserCredentialsFromFiles(options, given.credentials_file.c_str(), nullptr),
        ("credentials file " + given.credentials_file).c_str());
  }
  if (ok && !given.token.empty()) {
    ok = check(natsOptions_SetToken(options, given.token.c_str()), "token");
  }
  if (ok && !given.user.empty()) {
    ok = check(natsOptions_SetUserInfo(options, given.user.c_str(), given.password.c_str()),
               "user and password");
  }
  const bool tls = given.tls || given.url.starts_with("tls://") || !given.tls_ca_file.empty() ||
                   !given.tls_cert_file.empty();
  if (ok && tls) {
    ok = check(natsOptions_SetSecure(options, true), "TLS");
  }
  if (ok && !given.tls_ca_file.empty()) {
    ok = check(natsOptions_LoadCATrustedCertificates(options, given.tls_ca_file.c_str()),
               ("TLS CA file " + given.tls_ca_file).c_str());
  }
  if (ok && !given.tls_cert_file.empty()) {
    ok = check(natsOptions_LoadCertificatesChain(options, given.tls_cert_file.c_str(),
                                                 given.tls_key_file.c_str()),
               ("TLS certificate " + given.tls_cert_file).c_str());
  }
  if (ok && !given.tls_hostname.empty()) {
    ok = check(natsOptions_SetExpectedHostname(options, given.tls_hostname.c_str()),
               "TLS host name");
  }
  if (ok) {
    ok = check(natsOptions_SetDisconnectedCB(options, on_disconnected, impl), "callbacks");
  }
  if (ok) {
    ok = check(natsOptions_SetClosedCB(options, on_closed, impl), "callbacks");
  }
  return ok;
}

}  // namespace

natsConnection* NatsConnectionAccess::native(const NatsConnection& connection) {
  return connection.impl_->connection;
}

NatsConnection::NatsConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NatsConnection::~NatsConnection() = default;

std::expected<std::shared_ptr<NatsConnection>, ClusterError> NatsConnection::connect(
    const NatsOptions& options) {
  OptionsHolder holder;
  if (natsStatus status = natsOptions_Create(&holder.options); status != NATS_OK) {
    return std::unexpected(error(ClusterErrorKind::InvalidOptions, "NATS options", status));
  }
  auto impl = std::make_unique<Impl>();
  if (auto applied = apply_options(holder.options, options, impl.get()); !applied) {
    return std::unexpected(std::move(applied.error()));
  }
  if (natsStatus status = natsConnection_Connect(&impl->connection, holder.options);
      status != NATS_OK) {
    impl->connection = nullptr;
    return std::unexpected(
        error(ClusterErrorKind::ConnectFailed, "cannot connect to " + options.url, status));
  }
  return std::make_shared<NatsConnection>(std::move(impl));
}

namespace {

ClusterError publish_error(natsStatus status, std::string_view subject) {
  const ClusterErrorKind kind = status == NATS_CONNECTION_CLOSED
                                    ? ClusterErrorKind::ConnectionClosed
                                : status == NATS_MAX_PAYLOAD ? ClusterErrorKind::PayloadTooLarge
                                                             : ClusterErrorKind::PublishFailed;
  return error(kind, "publish on " + std::string(subject), status);
}

}  // namespace

std::expected<void, ClusterError> NatsConnection::publish(std::string_view subject,
                                                          std::string_view data) const {
  return publish_request(subject, {}, data);
}

std::expected<void, ClusterError> NatsConnection::publish_request(std::string_view subject,
                                                                  std::string_view reply,
                                                                  std::string_view data) const {
  if (!fits_int(data.size())) {
    return std::unexpected(ClusterError(
        ClusterErrorKind::PayloadTooLarge,
        "message of " + std::to_string(data.size()) + " bytes on " + std::string(subject)));
  }
  const std::string subject_text(subject);
  const std::string reply_text(reply);
  const natsStatus status =
      reply.empty() ? natsConnection_Publish(impl_->connection, subject_text.c_str(), data.data(),
                                             static_cast<int>(data.size()))
                    : natsConnection_PublishRequest(impl_->connection, subject_text.c_str(),
                                                    reply_text.c_str(), data.data(),
                                                    static_cast<int>(data.size()));
  if (status != NATS_OK) {
    return std::unexpected(publish_error(status, subject));
  }
  return {};
}

std::expected<NatsSubscription, ClusterError> NatsConnection::subscribe(
    std::string_view subject, std::string_view queue_group, NatsMessageHandler handler,
    int max_pending) const {
  auto state = std::make_unique<NatsSubscription::State>();
  state->handler = std::move(handler);
  const std::string subject_text(subject);
  const std::string queue_text(queue_group);
  const natsStatus status =
      queue_group.empty() ? natsConnection_Subscribe(&state->subscription, impl_->connection,
                                                     subject_text.c_str(), on_message, state.get())
                          : natsConnection_QueueSubscribe(&state->subscription, impl_->connection,
                                                          subject_text.c_str(), queue_text.c_str(),
                                                          on_message, state.get());
  if (status != NATS_OK) {
    return std::unexpected(
        error(ClusterErrorKind::SubscribeFailed, "subscribe to " + subject_text, status));
  }
  natsSubscription_SetOnCompleteCB(state->subscription, on_complete, state.get());
  natsSubscription_SetPendingLimits(state->subscription, max_pending, -1);
  return NatsSubscription(state.release());
}

std::expected<std::string, ClusterError> NatsConnection::request(
    std::string_view subject, std::string_view data, std::chrono::milliseconds timeout) const {
  if (!fits_int(data.size())) {
    return std::unexpected(ClusterError(
        ClusterErrorKind::PayloadTooLarge,
        "request of " + std::to_string(data.size()) + " bytes on " + std::string(subject)));
  }
  natsMsg* reply = nullptr;
  const std::string subject_text(subject);
  const natsStatus status =
      natsConnection_Request(&reply, impl_->connection, subject_text.c_str(), data.data(),
                             static_cast<int>(data.size()), timeout.count());
  if (status == NATS_TIMEOUT) {
    return std::unexpected(ClusterError(
        ClusterErrorKind::PublishFailed,
        "no reply on " + subject_text + " within " + std::to_string(timeout.count()) + " ms"));
  }
  if (status == NATS_NO_RESPONDERS) {
    return std::unexpected(
        ClusterError(ClusterErrorKind::PublishFailed, "no responders on " + subject_text));
  }
  if (status != NATS_OK) {
    return std::unexpected(publish_error(status, subject));
  }
  const char* bytes = natsMsg_GetData(reply);
  std::string text(bytes != nullptr ? bytes : "",
                   bytes != nullptr ? static_cast<std::size_t>(natsMsg_GetDataLength(reply)) : 0);
  natsMsg_Destroy(reply);
  return text;
}

std::expected<void, ClusterError> NatsConnection::flush(std::chrono::milliseconds timeout) const {
  if (natsStatus status = natsConnection_FlushTimeout(impl_->connection, timeout.count());
      status != NATS_OK) {
    return std::unexpected(error(status == NATS_CONNECTION_CLOSED
                                     ? ClusterErrorKind::ConnectionClosed
                                     : ClusterErrorKind::PublishFailed,
                                 "flush", status));
  }
  return {};
}

std::string NatsConnection::new_inbox() const {
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) {
    return "_INBOX.traverse";
  }
  std::string text(inbox);
  natsInbox_Destroy(inbox);
  return text;
}

std::int64_t NatsConnection::max_payload() const {
  return natsConnection_GetMaxPayload(impl_->connection);
}

bool NatsConnection::connected() const {
  return natsConnection_Status(impl_->connection) == NATS_CONN_STATUS_CONNECTED;
}

std::uint64_t NatsConnection::add_connection_listener(std::function<void()> listener) {
  std::lock_guard lock(impl_->listeners_mutex);
  const std::uint64_t id = impl_->next_listener++;
  impl_->listeners.emplace(id, std::move(listener));
  return id;
}

void NatsConnection::remove_connection_listener(std::uint64_t id) {
  std::unique_lock lock(impl_->listeners_mutex);
  impl_->listeners.erase(id);
  impl_->listeners_idle.wait(lock, [this] { return impl_->notifying == 0; });
}

}  // namespace traverse
