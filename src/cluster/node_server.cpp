#include "traverse/cluster/node_server.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include "traverse/cluster/execution_wire.hpp"

namespace traverse {

namespace {
using Clock = std::chrono::steady_clock;

std::uint64_t micros_since(Clock::time_point start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

bool valid_node_name(std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c != '.' && c != '*' && c != '>' && static_cast<unsigned char>(c) > ' ' && c != 0x7f;
  });
}

// The error a node replies with for a runtime result that is not completed.
RemoteExecutionError remote_error_of(const RuntimeError& error) {
  ExecutorErrorClass error_class = ExecutorErrorClass::ExecutionFailed;
  if (const auto it = error.details().find("error_class");
      it != error.details().end() && it->is_string()) {
    error_class = executor_error_class(it->get<std::string>());
  }
  return RemoteExecutionError(error_class, error.code(), error.message());
}

}  // namespace

struct NodeServer::State : std::enable_shared_from_this<NodeServer::State> {
  std::shared_ptr<NatsConnection> connection;
  TraverseRuntime* runtime = nullptr;
  NodeServerConfig config;
  std::vector<NodeCapability> capabilities;
  std::vector<NatsSubscription> subscriptions;  // touched by start/stop only
  NatsSubscription pings;

  mutable std::mutex mutex;
  std::condition_variable changed;
  // Guarded by mutex.
  std::size_t in_flight = 0;
  std::uint64_t executions = 0;
  std::uint64_t duplicates = 0;
  std::unordered_map<std::string, std::uint64_t> runs_by_call;
  std::deque<std::string> call_order;  // FIFO bound on runs_by_call
  bool stopping = false;
  bool stopped = false;

  std::thread announcer;

  [[nodiscard]] NodeAnnouncement announcement_locked() const {
    NodeAnnouncement announcement;
    announcement.name = config.name;
    announcement.stopping = stopping;
    announcement.capacity = config.capacity;
    announcement.in_flight = in_flight;
    announcement.capabilities = capabilities;
    announcement.executions = executions;
    announcement.duplicates = duplicates;
    announcement.interval_ms = static_cast<std::uint64_t>(config.announce_interval.count());
    return announcement;
  }

  void announce() {
    std::string text;
    {
      std::lock_guard lock(mutex);
      text = encode(announcement_locked());
    }
    (void)connection->publish(std::string(kNodeSubjectPrefix) + config.name, text);
  }

  void reply(const std::string& subject, const RemoteExecutionResponse& response) {
    auto text = encode(response);
    if (!text) {
      RemoteExecutionResponse refused;
      refused.node = response.node;
      refused.duration_us = response.duration_us;
      refused.error =
          RemoteExecutionError(ExecutorErrorClass::ResourceExhausted, "", text.error().message());
      text = encode(refused);
    }
    if (text) {
      (void)connection->publish(subject, *text);
    }
  }

  void reply_error(const std::string& subject, RemoteExecutionError error,
                   Clock::time_point start) {
    RemoteExecutionResponse response;
    response.node = config.name;
    response.error = std::move(error);
    response.duration_us = micros_since(start);
    reply(subject, response);
  }

  // Counts one run of `call_id`. REQUIRES: mutex held.
  void count_locked(const std::string& call_id) {
    ++executions;
    auto [it, inserted] = runs_by_call.try_emplace(call_id, 0);
    if (!inserted) {
      ++duplicates;
    } else {
      call_order.push_back(call_id);
      if (call_order.size() > config.max_tracked_calls) {
        runs_by_call.erase(call_order.front());
        call_order.pop_front();
      }
    }
    ++it->second;
  }

  void on_execution(const NatsMessage& message) {
    const Clock::time_point start = Clock::now();
    if (message.reply.empty()) {
      return;  // nobody waits for it: nothing to run (at most once)
    }
    std::string reply_to(message.reply);
    auto request = decode_execution_request(message.data);
    if (!request) {
      reply_error(
          reply_to,
          {ExecutorErrorClass::ExecutionFailed, "request_invalid", request.error().to_string()},
          start);
      return;
    }
    {
      std::lock_guard lock(mutex);
      if (stopping || in_flight >= config.capacity) {
        const std::string why = stopping
                                    ? std::string("the node is stopping")
                                    : std::to_string(in_flight) + " calls in flight (capacity " +
                                          std::to_string(config.capacity) + ")";
        reply_error(reply_to, {ExecutorErrorClass::Overloaded, "", why}, start);
        return;
      }
      ++in_flight;
      count_locked(request->trace_id);
    }
    RuntimeRequest runtime_request;
    runtime_request.request_id =
        request->execution_id.empty() ? request->trace_id : request->execution_id;
    runtime_request.capability_id = request->capability_id;
    runtime_request.capability_version = request->capability_version;
    runtime_request.input = std::move(request->input);
    runtime_request.scope = LookupScope::PreferPrivate;
    Completion<RuntimeExecution> running = runtime->submit(std::move(runtime_request));
    std::move(running).then(
        [self = shared_from_this(), reply_to = std::move(reply_to), start](RuntimeExecution done) {
          RemoteExecutionResponse response;
          response.node = self->config.name;
          if (done.result.completed() && done.result.output) {
            response.output = std::move(*done.result.output);
          } else if (done.result.error) {
            response.error = remote_error_of(*done.result.error);
          } else {
            response.error =
                RemoteExecutionError(ExecutorErrorClass::ExecutionFailed, "execution_failed",
                                     "the node's runtime gave no output");
          }
          response.duration_us = micros_since(start);
          self->reply(reply_to, response);
          std::lock_guard lock(self->mutex);
          --self->in_flight;
          self->changed.notify_all();
        });
  }

  void run_announcer() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      lock.unlock();
      announce();
      lock.lock();
      changed.wait_for(lock, config.announce_interval, [this] { return stopping; });
    }
  }
};

NodeServer::NodeServer(std::shared_ptr<State> state) : state_(std::move(state)) {}

NodeServer::~NodeServer() {
  stop();
}

std::expected<std::unique_ptr<NodeServer>, ClusterError> NodeServer::start(
    std::shared_ptr<NatsConnection> connection, TraverseRuntime& runtime, NodeServerConfig config) {
  if (!valid_node_name(config.name)) {
    return std::unexpected(
        ClusterError(ClusterErrorKind::InvalidOptions,
                     "node name '" + config.name +
                         "' must be 1-128 characters without '.', '*', '>' or whitespace"));
  }
  if (config.capacity < 1 || config.capacity > 65'536 || config.max_tracked_calls < 1 ||
      config.announce_interval.count() <= 0) {
    return std::unexpected(ClusterError(ClusterErrorKind::InvalidOptions,
                                        "node capacity must be 1..65536, max_tracked_calls and "
                                        "announce_interval positive"));
  }
  auto state = std::make_shared<State>();
  state->connection = std::move(connection);
  state->runtime = &runtime;
  state->config = std::move(config);
  const std::set<std::string> natives(state->config.native_capability_ids.begin(),
                                      state->config.native_capability_ids.end());
  std::set<std::pair<std::string, std::string>> served;
  for (const CapabilityRecordPtr& record : runtime.capability_registry()->list()) {
    const bool wasm =
        record->artifact.kind == ArtifactKind::Wasm && !record->artifact.wasm_path.empty();
    const bool native =
        record->artifact.kind == ArtifactKind::Native && natives.contains(record->contract.id);
    if (record->runnable() && (wasm || native)) {
      served.emplace(record->contract.id, record->contract.version);
    }
  }
  State* raw = state.get();
  for (const auto& [id, version] : served) {
    auto subject = execution_subject(id, version);
    if (!subject) {
      continue;  // cannot be addressed over NATS; not announced either
    }
    auto subscription = state->connection->subscribe(
        *subject, kNodeQueueGroup,
        [raw](const NatsMessage& message) { raw->on_execution(message); });
    if (!subscription) {
      return std::unexpected(std::move(subscription.error()));
    }
    state->subscriptions.push_back(std::move(*subscription));
    state->capabilities.push_back({id, version});
  }
  auto pings = state->connection->subscribe(kClusterPingSubject, {},
                                            [raw](const NatsMessage&) { raw->announce(); });
  if (!pings) {
    return std::unexpected(std::move(pings.error()));
  }
  state->pings = std::move(*pings);
  (void)state->connection->flush(std::chrono::milliseconds(2000));
  state->announcer = std::thread([raw] { raw->run_announcer(); });
  return std::make_unique<NodeServer>(std::move(state));
}

void NodeServer::stop() {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopped) {
      return;
    }
    state_->stopped = true;
  }
  for (NatsSubscription& subscription : state_->subscriptions) {
    subscription.close();
  }
  {
    std::unique_lock lock(state_->mutex);
    state_->changed.wait_for(lock, state_->config.drain_timeout,
                             [this] { return state_->in_flight == 0; });
    state_->stopping = true;
    state_->changed.notify_all();
  }
  if (state_->announcer.joinable()) {
    state_->announcer.join();
  }
  state_->pings.close();
  state_->announce();  // status "stopping"
  (void)state_->connection->flush(std::chrono::milliseconds(2000));
}

NodeAnnouncement NodeServer::announcement() const {
  std::lock_guard lock(state_->mutex);
  return state_->announcement_locked();
}

std::uint64_t NodeServer::executions_of(std::string_view call_id) const {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->runs_by_call.find(std::string(call_id));
  return it == state_->runs_by_call.end() ? 0 : it->second;
}

}  // namespace traverse
