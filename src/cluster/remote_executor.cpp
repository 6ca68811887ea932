#include "traverse/cluster/remote_executor.hpp"

#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "traverse/cluster/execution_wire.hpp"

namespace traverse {

namespace {

using Clock = std::chrono::steady_clock;

struct PendingCall {
  CompletionPromise<ExecutorResult> promise;
  Clock::time_point deadline;
  std::string capability;  // "id@version", for messages
};

}  // namespace

struct RemoteExecutor::Impl {
  std::shared_ptr<NatsConnection> connection;
  RemoteExecutorConfig config;
  std::string inbox;  // replies arrive on "<inbox>.<call id>"
  NatsSubscription replies;
  std::uint64_t listener = 0;

  mutable std::mutex mutex;
  std::condition_variable timer_cv;
  // Guarded by mutex.
  std::map<std::uint64_t, PendingCall> pending;
  std::set<std::pair<Clock::time_point, std::uint64_t>> deadlines;
  std::uint64_t next_id = 1;
  bool stopping = false;
  RemoteExecutorStats stats;

  std::thread timer;

  // Removes a pending call (nullopt when it already concluded). REQUIRES: mutex held.
  std::optional<PendingCall> take_locked(std::uint64_t id) {
    const auto it = pending.find(id);
    if (it == pending.end()) {
      return std::nullopt;
    }
    PendingCall call = std::move(it->second);
    pending.erase(it);
    deadlines.erase({call.deadline, id});
    return call;
  }

  std::optional<PendingCall> take(std::uint64_t id) {
    std::lock_guard lock(mutex);
    return take_locked(id);
  }

  void on_reply(const NatsMessage& message) {
    const std::string_view subject = message.subject;
    const auto dot = subject.rfind('.');
    std::uint64_t id = 0;
    if (dot == std::string_view::npos ||
        std::from_chars(subject.data() + dot + 1, subject.data() + subject.size(), id).ec !=
            std::errc{}) {
      return;
    }
    std::optional<PendingCall> call;
    {
      std::lock_guard lock(mutex);
      call = take_locked(id);
      if (!call) {
        ++stats.late_replies;
        return;
      }
      if (message.no_responders) {
        ++stats.unavailable;
      } else {
        ++stats.replied;
      }
    }
    if (message.no_responders) {
      call->promise.fulfil(std::unexpected(ExecutorError::remote_unavailable(
          "no node serves " + call->capability + " (no responders)")));
      return;
    }
    auto response = decode_execution_response(message.data);
    if (!response) {
      call->promise.fulfil(std::unexpected(ExecutorError::execution_failed(
          "the node's reply for " + call->capability +
          " is not an execution response: " + response.error().to_string())));
      return;
    }
    if (response->error) {
      call->promise.fulfil(std::unexpected(to_executor_error(*response->error, response->node)));
      return;
    }
    call->promise.fulfil(ExecutorOutput{std::move(*response->output), {}});
  }

  // Fails every pending call (connection lost, or shutting down).
  void fail_all(const std::string& why) {
    std::map<std::uint64_t, PendingCall> failed;
    {
      std::lock_guard lock(mutex);
      failed.swap(pending);
      deadlines.clear();
      stats.unavailable += failed.size();
    }
    for (auto& [id, call] : failed) {
      call.promise.fulfil(
          std::unexpected(ExecutorError::remote_unavailable(call.capability + ": " + why)));
    }
  }

  void run_timer() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      if (deadlines.empty()) {
        timer_cv.wait(lock);
        continue;
      }
      const Clock::time_point next = deadlines.begin()->first;
      if (Clock::now() < next) {
        timer_cv.wait_until(lock, next);
        continue;
      }
      std::vector<PendingCall> expired;
      const Clock::time_point now = Clock::now();
      while (!deadlines.empty() && deadlines.begin()->first <= now) {
        const std::uint64_t id = deadlines.begin()->second;
        if (auto call = take_locked(id)) {
          expired.push_back(std::move(*call));
        }
      }
      stats.timed_out += expired.size();
      lock.unlock();
      for (PendingCall& call : expired) {
        call.promise.fulfil(std::unexpected(
            ExecutorError::timeout("no reply from a node for " + call.capability + " within " +
                                   std::to_string(config.timeout.count()) + " ms")));
      }
      lock.lock();
    }
  }
};

RemoteExecutor::RemoteExecutor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::expected<std::shared_ptr<RemoteExecutor>, ClusterError> RemoteExecutor::create(
    std::shared_ptr<NatsConnection> connection, RemoteExecutorConfig config) {
  if (connection == nullptr) {
    return std::unexpected(ClusterError(ClusterErrorKind::InvalidOptions, "no connection"));
  }
  if (config.max_pending < 1 || config.max_pending > 1'000'000 || config.timeout.count() <= 0) {
    return std::unexpected(ClusterError(ClusterErrorKind::InvalidOptions,
                                        "remote executor: max_pending must be 1..1000000 and "
                                        "timeout positive"));
  }
  auto impl = std::make_shared<Impl>();
  impl->connection = std::move(connection);
  impl->config = config;
  impl->inbox = impl->connection->new_inbox();
  Impl* raw = impl.get();
  auto replies = impl->connection->subscribe(
      impl->inbox + ".*", {}, [raw](const NatsMessage& message) { raw->on_reply(message); });
  if (!replies) {
    return std::unexpected(std::move(replies.error()));
  }
  impl->replies = std::move(*replies);
  impl->listener = impl->connection->add_connection_listener(
      [raw] { raw->fail_all("the connection to the NATS server was lost"); });
  impl->timer = std::thread([raw] { raw->run_timer(); });
  return std::make_shared<RemoteExecutor>(std::move(impl));
}

RemoteExecutor::~RemoteExecutor() {
  impl_->connection->remove_connection_listener(impl_->listener);
  impl_->replies.close();
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->timer_cv.notify_all();
  impl_->timer.join();
  impl_->fail_all("the remote executor was destroyed");
}

ExecutorCompletion RemoteExecutor::submit(const ExecutorCapability& capability, const Value& input,
                                          ExecutionContext& context) const {
  const std::string name = capability.capability_id + "@" + capability.capability_version;
  auto subject = execution_subject(capability.capability_id, capability.capability_version);
  if (!subject) {
    return ExecutorCompletion::fulfilled(
        std::unexpected(ExecutorError::runtime_setup_failed(subject.error().message())));
  }
  RemoteExecutionRequest request;
  request.capability_id = capability.capability_id;
  request.capability_version = capability.capability_version;
  request.input = input;
  request.timeout_ms = static_cast<std::uint64_t>(impl_->config.timeout.count());
  request.execution_id = context.execution_id();
  request.trace_id = context.trace_id();
  auto payload = encode(request);
  if (!payload) {
    return ExecutorCompletion::fulfilled(
        std::unexpected(ExecutorError::resource_exhausted(payload.error().message())));
  }

  PendingCall call;
  call.capability = name;
  call.deadline = Clock::now() + impl_->config.timeout;
  ExecutorCompletion completion = call.promise.completion();
  std::uint64_t id = 0;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->pending.size() >= impl_->config.max_pending) {
      call.promise.fulfil(std::unexpected(ExecutorError::overloaded(
          std::to_string(impl_->config.max_pending) + " remote calls are already pending")));
      return completion;
    }
    id = impl_->next_id++;
    const bool earliest =
        impl_->deadlines.empty() || call.deadline < impl_->deadlines.begin()->first;
    impl_->deadlines.emplace(call.deadline, id);
    impl_->pending.emplace(id, std::move(call));
    ++impl_->stats.sent;
    if (earliest) {
      impl_->timer_cv.notify_one();
    }
  }
  const std::string reply = impl_->inbox + "." + std::to_string(id);
  if (auto sent = impl_->connection->publish_request(*subject, reply, *payload); !sent) {
    if (auto failed = impl_->take(id)) {
      {
        std::lock_guard lock(impl_->mutex);
        ++impl_->stats.unavailable;
      }
      failed->promise.fulfil(std::unexpected(ExecutorError::remote_unavailable(
          name + ": the call could not be sent: " + sent.error().to_string())));
    }
  }
  return completion;
}

RemoteExecutorStats RemoteExecutor::stats() const {
  std::lock_guard lock(impl_->mutex);
  RemoteExecutorStats copy = impl_->stats;
  copy.pending = impl_->pending.size();
  return copy;
}

}  // namespace traverse
