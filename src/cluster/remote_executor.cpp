#include "traverse/cluster/remote_executor.hpp"

#include <algorithm>
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

std::uint64_t micros_since(Clock::time_point start) {
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  return elapsed < 0 ? 0 : static_cast<std::uint64_t>(elapsed);
}

// One call, across its tries. `capability`, `input` and `context` are the caller's: they stay
// alive until the call's completion is fulfilled (capability_executor.hpp).
struct PendingCall {
  CompletionPromise<ExecutorResult> promise;
  const ExecutorCapability* capability = nullptr;
  const Value* input = nullptr;
  ExecutionContext* context = nullptr;
  std::string name;     // "id@version", for messages
  std::string subject;  // traverse.exec.<id>.<version>
  std::uint32_t attempt = 1;
  std::uint32_t max_attempts = 1;  // > 1 only for capabilities the retry policy lists
  Clock::time_point sent_at;
  Clock::time_point deadline;  // of the current try
};

}  // namespace

struct RemoteExecutor::Impl {
  std::shared_ptr<NatsConnection> connection;
  RemoteExecutorConfig config;
  std::string inbox;  // replies arrive on "<inbox>.<try id>"
  NatsSubscription replies;
  std::uint64_t listener = 0;

  mutable std::mutex mutex;
  std::condition_variable timer_cv;
  // Guarded by mutex. A call is in `pending` (a try is out, keyed by its try id) or in
  // `waiting` (its next try is due at the time `retries` holds for it).
  std::map<std::uint64_t, PendingCall> pending;
  std::set<std::pair<Clock::time_point, std::uint64_t>> deadlines;
  std::map<std::uint64_t, PendingCall> waiting;
  std::set<std::pair<Clock::time_point, std::uint64_t>> retries;
  std::uint64_t next_id = 1;
  bool stopping = false;
  RemoteExecutorStats stats;

  std::thread timer;

  // Removes a pending try (nullopt when it already concluded). REQUIRES: mutex held.
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

  // The wait before try number `next` (2, 3, ...): backoff doubled per further try, capped.
  [[nodiscard]] std::chrono::milliseconds backoff_before(std::uint32_t next) const {
    std::chrono::milliseconds wait = config.retry.backoff;
    for (std::uint32_t n = 2; n < next && wait < config.retry.max_backoff; ++n) {
      wait *= 2;
    }
    return std::min(wait, config.retry.max_backoff);
  }

  // Records how one try ended and either fulfils the call with `result` or, when the try may be
  // retried and tries are left, schedules the next try.
  void conclude_try(PendingCall call, ExecutionAttempt attempt, ExecutorResult result,
                    bool retryable) {
    attempt.number = call.attempt;
    attempt.round_trip_us = micros_since(call.sent_at);
    call.context->record_attempt(std::move(attempt));
    if (retryable && call.attempt < call.max_attempts) {
      const Clock::time_point due = Clock::now() + backoff_before(call.attempt + 1);
      std::unique_lock lock(mutex);
      if (!stopping) {
        const std::uint64_t id = next_id++;
        const bool earliest = retries.empty() || due < retries.begin()->first;
        ++call.attempt;
        retries.emplace(due, id);
        waiting.emplace(id, std::move(call));
        ++stats.retried;
        if (earliest) {
          timer_cv.notify_one();
        }
        return;
      }
    }
    call.promise.fulfil(std::move(result));
  }

  // Sends a try of `call` (its first, or a retry). Never blocks on the network.
  void send(PendingCall call) {
    RemoteExecutionRequest request;
    request.capability_id = call.capability->capability_id;
    request.capability_version = call.capability->capability_version;
    request.input = *call.input;
    request.timeout_ms = static_cast<std::uint64_t>(config.timeout.count());
    request.execution_id = call.context->execution_id();
    request.trace_id = call.context->trace_id();
    request.attempt = call.attempt;
    auto payload = encode(request);
    if (!payload) {
      call.promise.fulfil(
          std::unexpected(ExecutorError::resource_exhausted(payload.error().message())));
      return;
    }
    call.sent_at = Clock::now();
    call.deadline = call.sent_at + config.timeout;
    const std::string subject = call.subject;
    const std::string name = call.name;
    std::uint64_t id = 0;
    {
      // Also while stopping: the destructor's fail_all, after the timer thread is joined,
      // concludes whatever is still pending.
      std::lock_guard lock(mutex);
      id = next_id++;
      const bool earliest = deadlines.empty() || call.deadline < deadlines.begin()->first;
      deadlines.emplace(call.deadline, id);
      pending.emplace(id, std::move(call));
      ++stats.sent;
      if (earliest) {
        timer_cv.notify_one();
      }
    }
    const std::string reply = inbox + "." + std::to_string(id);
    if (auto sent = connection->publish_request(subject, reply, *payload); !sent) {
      if (auto failed = take(id)) {
        {
          std::lock_guard lock(mutex);
          ++stats.unavailable;
        }
        ExecutionAttempt attempt;
        attempt.outcome = "RemoteUnavailable";
        conclude_try(std::move(*failed), std::move(attempt),
                     std::unexpected(ExecutorError::remote_unavailable(
                         name + ": the call could not be sent: " + sent.error().to_string())),
                     false);
      }
    }
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
    ExecutionAttempt attempt;
    if (message.no_responders) {
      attempt.outcome = "RemoteUnavailable";
      auto error =
          ExecutorError::remote_unavailable("no node serves " + call->name + " (no responders)");
      conclude_try(std::move(*call), std::move(attempt), std::unexpected(std::move(error)), true);
      return;
    }
    auto response = decode_execution_response(message.data);
    if (!response) {
      attempt.outcome = "ExecutionFailed";
      auto error = ExecutorError::execution_failed(
          "the node's reply for " + call->name +
          " is not an execution response: " + response.error().to_string());
      conclude_try(std::move(*call), std::move(attempt), std::unexpected(std::move(error)), false);
      return;
    }
    attempt.node = response->node;
    attempt.remote_duration_us = response->duration_us;
    if (response->error) {
      ExecutorError error = to_executor_error(*response->error, response->node);
      attempt.outcome = std::string(error.class_name());
      // Nothing ran on a node that was full or stopping: the next try may find room.
      const bool retryable = error.kind() == ExecutorErrorClass::Overloaded ||
                             error.kind() == ExecutorErrorClass::RemoteUnavailable;
      conclude_try(std::move(*call), std::move(attempt), std::unexpected(std::move(error)),
                   retryable);
      return;
    }
    attempt.outcome = "ok";
    conclude_try(std::move(*call), std::move(attempt),
                 ExecutorOutput{std::move(*response->output), {}}, false);
  }

  // Fails every call not concluded yet, without retry (connection lost, or shutting down).
  void fail_all(const std::string& why) {
    std::map<std::uint64_t, PendingCall> failed;
    std::map<std::uint64_t, PendingCall> not_retried;
    {
      std::lock_guard lock(mutex);
      failed.swap(pending);
      deadlines.clear();
      not_retried.swap(waiting);
      retries.clear();
      stats.unavailable += failed.size();
    }
    for (auto& [id, call] : failed) {
      ExecutionAttempt attempt;
      attempt.outcome = "RemoteUnavailable";
      auto error = ExecutorError::remote_unavailable(call.name + ": " + why);
      conclude_try(std::move(call), std::move(attempt), std::unexpected(std::move(error)), false);
    }
    for (auto& [id, call] : not_retried) {
      call.promise.fulfil(std::unexpected(ExecutorError::remote_unavailable(
          call.name + ": " + why + " before try " + std::to_string(call.attempt))));
    }
  }

  void run_timer() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      if (deadlines.empty() && retries.empty()) {
        timer_cv.wait(lock);
        continue;
      }
      Clock::time_point next = Clock::time_point::max();
      if (!deadlines.empty()) {
        next = deadlines.begin()->first;
      }
      if (!retries.empty()) {
        next = std::min(next, retries.begin()->first);
      }
      if (Clock::now() < next) {
        timer_cv.wait_until(lock, next);
        continue;
      }
      std::vector<PendingCall> expired;
      std::vector<PendingCall> due;
      const Clock::time_point now = Clock::now();
      while (!deadlines.empty() && deadlines.begin()->first <= now) {
        const std::uint64_t id = deadlines.begin()->second;
        if (auto call = take_locked(id)) {
          expired.push_back(std::move(*call));
        }
      }
      while (!retries.empty() && retries.begin()->first <= now) {
        const std::uint64_t id = retries.begin()->second;
        retries.erase(retries.begin());
        if (const auto it = waiting.find(id); it != waiting.end()) {
          due.push_back(std::move(it->second));
          waiting.erase(it);
        }
      }
      stats.timed_out += expired.size();
      lock.unlock();
      for (PendingCall& call : expired) {
        ExecutionAttempt attempt;
        attempt.outcome = "Timeout";
        auto error = ExecutorError::timeout("no reply from a node for " + call.name + " within " +
                                            std::to_string(config.timeout.count()) + " ms");
        conclude_try(std::move(call), std::move(attempt), std::unexpected(std::move(error)), true);
      }
      for (PendingCall& call : due) {
        send(std::move(call));
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
  if (config.max_pending < 1 || config.max_pending > 1'000'000 || config.timeout.count() <= 0 ||
      config.retry.max_attempts < 1 || config.retry.max_attempts > 100 ||
      config.retry.backoff.count() < 0 || config.retry.max_backoff.count() < 0) {
    return std::unexpected(ClusterError(
        ClusterErrorKind::InvalidOptions,
        "remote executor: max_pending must be 1..1000000, timeout positive, retry max_attempts "
        "1..100 and backoffs not negative"));
  }
  auto impl = std::make_shared<Impl>();
  impl->connection = std::move(connection);
  impl->config = std::move(config);
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
  auto subject = execution_subject(capability.capability_id, capability.capability_version);
  if (!subject) {
    return ExecutorCompletion::fulfilled(
        std::unexpected(ExecutorError::runtime_setup_failed(subject.error().message())));
  }
  PendingCall call;
  call.capability = &capability;
  call.input = &input;
  call.context = &context;
  call.name = capability.capability_id + "@" + capability.capability_version;
  call.subject = std::move(*subject);
  call.max_attempts =
      impl_->config.retry.retries(capability.capability_id) ? impl_->config.retry.max_attempts : 1;
  ExecutorCompletion completion = call.promise.completion();
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->pending.size() + impl_->waiting.size() >= impl_->config.max_pending) {
      call.promise.fulfil(std::unexpected(ExecutorError::overloaded(
          std::to_string(impl_->config.max_pending) + " remote calls are already pending")));
      return completion;
    }
  }
  impl_->send(std::move(call));
  return completion;
}

RemoteExecutorStats RemoteExecutor::stats() const {
  std::lock_guard lock(impl_->mutex);
  RemoteExecutorStats copy = impl_->stats;
  copy.pending = impl_->pending.size() + impl_->waiting.size();
  return copy;
}

}  // namespace traverse
