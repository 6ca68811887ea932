// Helpers for the workflow engine tests: a scriptable StepRunner, workflow documents built in
// code (parsed by the real parse_workflow_definition), and small evidence utilities.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "traverse/contracts/workflow_definition.hpp"
#include "traverse/events/traverse_event.hpp"
#include "traverse/executor/native_executor.hpp"
#include "traverse/executor/thread_pool_executor.hpp"
#include "traverse/json/value.hpp"
#include "traverse/workflow/step_runner.hpp"
#include "traverse/workflow/workflow_engine.hpp"

namespace traverse::workflow_test {

using StepResultT = std::expected<StepOutcome, StepFailure>;
using Handler = std::function<StepResultT(const StepRequest&)>;

inline StepResultT ok(Value output, std::vector<TraverseEvent> events = {}) {
  StepOutcome outcome;
  outcome.output = std::move(output);
  outcome.emitted_events = std::move(events);
  return outcome;
}

inline StepResultT fail(std::string message, std::string code = "execution_failed",
                        std::string error_class = "ExecutionFailed") {
  return std::unexpected(StepFailure(std::move(code), std::move(error_class), std::move(message)));
}

inline TraverseEvent event(std::string event_id, std::string version, Value data,
                           std::string id = "evt-1") {
  TraverseEvent e;
  e.id = std::move(id);
  e.source = "traverse-runtime/test";
  e.event_type = std::move(event_id);
  e.time = "2026-01-01T00:00:00.000Z";
  e.data = std::move(data);
  e.owner = "test";
  e.version = std::move(version);
  e.deduplication_id = e.id;
  e.ordering_scope = "test";
  e.correlation_id = "corr";
  e.causation_id = "cause";
  return e;
}

// A StepRunner that dispatches on capability id to scripted handlers and records every call.
// A capability without handler fails with capability_not_found. Each outcome without a trace id
// gets "trace-<node_id>". Thread-safe (handlers must be, too).
class FakeStepRunner final : public StepRunner {
 public:
  void on(const std::string& capability_id, Handler handler) {
    handlers_[capability_id] = std::move(handler);
  }

  StepResultT run_step(const StepRequest& request) const override {
    {
      std::lock_guard lock(mutex_);
      ++calls_[request.capability_id];
      requests_.push_back(request);
    }
    const auto it = handlers_.find(request.capability_id);
    if (it == handlers_.end()) {
      return fail("capability " + request.capability_id + "@" + request.capability_version +
                      " is not registered",
                  "capability_not_found", "CapabilityNotFound");
    }
    StepResultT result = it->second(request);
    if (result && result->trace_id.empty()) {
      result->trace_id = "trace-" + request.node_id;
    }
    return result;
  }

  int calls(const std::string& capability_id) const {
    std::lock_guard lock(mutex_);
    const auto it = calls_.find(capability_id);
    return it == calls_.end() ? 0 : it->second;
  }

  std::vector<StepRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  // The request made for `node_id` (the last one).
  StepRequest request_for(const std::string& node_id) const {
    std::lock_guard lock(mutex_);
    for (auto it = requests_.rbegin(); it != requests_.rend(); ++it) {
      if (it->node_id == node_id) {
        return *it;
      }
    }
    ADD_FAILURE() << "no request for node " << node_id;
    return {};
  }

 private:
  std::map<std::string, Handler> handlers_;  // set up before any run; read-only afterwards
  mutable std::mutex mutex_;
  mutable std::map<std::string, int> calls_;
  mutable std::vector<StepRequest> requests_;
};

// ---- Workflow documents ----

inline Value node(const std::string& id, const std::string& capability,
                  std::vector<std::string> reads, std::vector<std::string> writes,
                  std::optional<std::string> publish_as = std::nullopt) {
  Value output{{"to_workflow_state", writes}};
  if (publish_as) {
    output["publish_to_state_as"] = *publish_as;
  }
  return Value{{"node_id", id},
               {"capability_id", capability},
               {"capability_version", "1.0.0"},
               {"input", {{"from_workflow_input", reads}}},
               {"output", output}};
}

inline Value direct(const std::string& id, const std::string& from, const std::string& to) {
  return Value{{"edge_id", id}, {"from", from}, {"to", to}, {"trigger", "direct"}};
}

inline Value on_event(const std::string& id, const std::string& from, const std::string& to,
                      const std::string& event_id, const std::string& version = "1.0.0",
                      std::optional<Value> predicate = std::nullopt) {
  Value edge{{"edge_id", id},
             {"from", from},
             {"to", to},
             {"trigger", "event"},
             {"event", {{"event_id", event_id}, {"version", version}}}};
  if (predicate) {
    edge["predicate"] = *predicate;
  }
  return edge;
}

struct Doc {
  std::string schema_version = "1.0.0";
  Value nodes = Value::array();
  Value edges = Value::array();
  std::string start;
  std::vector<std::string> terminals;
  std::vector<std::string> projection;
  Value input_schema = Value{{"type", "object"}};
  Value output_schema = Value{{"type", "object"}};
};

inline Value document(const Doc& doc) {
  return Value{{"kind", "workflow_definition"},
               {"schema_version", doc.schema_version},
               {"id", "test.workflow"},
               {"name", "test workflow"},
               {"version", "1.0.0"},
               {"lifecycle", "active"},
               {"owner", {{"team", "workflow-tests"}, {"contact", "tests@example.com"}}},
               {"summary", "A workflow built by a unit test."},
               {"inputs", {{"schema", doc.input_schema}}},
               {"outputs", {{"schema", doc.output_schema}}},
               {"nodes", doc.nodes},
               {"edges", doc.edges},
               {"start_node", doc.start},
               {"terminal_nodes", doc.terminals},
               {"output_projection", doc.projection},
               {"tags", Value::array()},
               {"governing_spec", "007-workflow-registry-traversal"}};
}

// Parses with the real parser; a test fails if the document is rejected.
inline WorkflowDefinition parse(const Doc& doc) {
  auto parsed = parse_workflow_definition(document(doc));
  if (!parsed) {
    std::string all;
    for (const auto& error : parsed.error()) {
      all += to_string(error) + "\n";
    }
    ADD_FAILURE() << "workflow rejected:\n" << all;
    return {};
  }
  return *parsed;
}

inline WorkflowDefinition load(const std::string& file) {
  auto loaded =
      load_workflow_definition(std::string(TRAVERSE_SOURCE_DIR) + "/tests/data/workflow/" + file);
  if (!loaded) {
    ADD_FAILURE() << "cannot load " << file << ": " << to_string(loaded.error().front());
    return {};
  }
  return *loaded;
}

// A ThreadPoolExecutor used only as the engine's TaskScheduler (its native executor has no
// handlers: the fake step runners do the work inside the tasks).
inline std::shared_ptr<ThreadPoolExecutor> make_scheduler(std::size_t capacity) {
  ThreadPoolExecutorConfig config;
  config.capacity = capacity;
  auto pool = ThreadPoolExecutor::create(
      config, std::make_unique<NativeExecutor>(NativeExecutor::HandlerTable{}));
  if (!pool) {
    ADD_FAILURE() << pool.error().message();
    std::abort();
  }
  return std::move(*pool);
}

// Threads of this process (/proc/self/task). ThreadSanitizer starts a background thread of its
// own on the first thread creation; one throwaway thread first makes sure it already exists.
inline std::size_t thread_count() {
  static const bool runtime_threads_started = [] {
    std::thread([] {}).join();
    return true;
  }();
  (void)runtime_threads_started;
  std::size_t count = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* entry = readdir(dir)) {
      count += entry->d_name[0] != '.' ? 1 : 0;
    }
    closedir(dir);
  }
  return count;
}

// An engine over `runner`. With max_parallelism > 1 its steps run on a thread pool of that
// capacity (the engine's scheduler); with 1 they run on the calling thread.
inline WorkflowEngine make_engine(std::shared_ptr<const StepRunner> runner,
                                  std::size_t max_parallelism = 1,
                                  std::shared_ptr<EventBroker> broker = nullptr) {
  WorkflowEngineOptions options;
  options.max_parallelism = max_parallelism;
  options.broker = std::move(broker);
  if (max_parallelism > 1) {
    options.scheduler = make_scheduler(max_parallelism);
  }
  auto engine = WorkflowEngine::create(std::move(runner), options);
  if (!engine) {
    ADD_FAILURE() << engine.error().message();
    std::abort();
  }
  return *engine;
}

// The evidence without what legitimately differs between runs: the run id and timings.
inline Value stable_evidence(Value evidence) {
  evidence.erase("workflow_run_id");
  for (Value& visited : evidence["visited_nodes"]) {
    visited.erase("duration_ms");
  }
  return evidence;
}

inline std::vector<std::string> visited(const WorkflowRun& run) {
  std::vector<std::string> out;
  for (const Value& v : run.evidence["visited_nodes"]) {
    out.push_back(v["node_id"].get<std::string>() + ":" + v["status"].get<std::string>());
  }
  return out;
}

inline std::vector<std::string> traversed(const WorkflowRun& run) {
  std::vector<std::string> out;
  for (const Value& v : run.evidence["traversed_edges"]) {
    out.push_back(v["edge_id"].get<std::string>());
  }
  return out;
}

// Counts down `latch` and waits (bounded, without sleeping) until every party arrived. Returns
// false if the others did not arrive within `limit` — i.e. the steps did not overlap.
inline bool arrive_and_wait(std::latch& latch,
                            std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  latch.count_down();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!latch.try_wait()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

// Tracks how many steps run at once.
struct Concurrency {
  std::atomic<int> active{0};
  std::atomic<int> peak{0};
  void enter() {
    const int now = ++active;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  }
  void leave() { --active; }
};

}  // namespace traverse::workflow_test
