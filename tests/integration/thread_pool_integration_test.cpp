// Governing spec: 047-thread-pool-executor
//
// The ThreadPoolExecutor integration suite (spec 047, R7): a TraverseRuntime whose native executor
// is a ThreadPoolExecutor, driven end to end (registry, placement, router, TraceStore, event
// broker, workflows) from many threads at once, with a WASM capability registered beside the native
// ones. Contracts are built in code and registered through the runtime. Concurrent tests release
// their callers with a latch, and the handlers meet at a bounded rendezvous, so the calls really
// overlap on distinct pool workers. A broken pool makes a test fail, never hang.
#include <gtest/gtest.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "traverse/contracts/capability_contract.hpp"
#include "traverse/contracts/event_contract.hpp"
#include "traverse/contracts/workflow_definition.hpp"
#include "traverse/events/event_catalog.hpp"
#include "traverse/events/in_process_broker.hpp"
#include "traverse/executor/native_executor.hpp"
#include "traverse/executor/thread_pool_executor.hpp"
#include "traverse/json/value.hpp"
#include "traverse/registry/artifact_reference.hpp"
#include "traverse/runtime/run_workflow.hpp"
#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/support/digest.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"
#include "traverse/wasm/wasm_executor.hpp"

namespace traverse {
namespace {

constexpr std::string_view kPoolThreadPrefix = "traverse-pool-";
// Upper bound of every in-handler wait; only a broken pool ever reaches it.
constexpr std::chrono::seconds kRendezvousTimeout{60};
const std::string kMarkRecorded = "it.pool.mark-recorded";
const std::filesystem::path kExpedition =
    std::filesystem::path(TRAVERSE_SOURCE_DIR) / "examples/expedition";
const std::string kCaptureObjective = "expedition.planning.capture-expedition-objective";
const std::string kObjectiveCaptured = "expedition.planning.objective-captured";

// ---------------------------------------------------------------------------------------------
// JSON access that never throws.

const Value* member(const Value& object, const std::string& key) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

const std::string* string_member(const Value& object, const std::string& key) {
  const Value* value = member(object, key);
  return value == nullptr ? nullptr : value->get_ptr<const std::string*>();
}

std::optional<std::int64_t> integer_member(const Value& object, const std::string& key) {
  const Value* value = member(object, key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (const auto* signed_value = value->get_ptr<const Value::number_integer_t*>()) {
    return *signed_value;
  }
  if (const auto* unsigned_value = value->get_ptr<const Value::number_unsigned_t*>()) {
    return static_cast<std::int64_t>(*unsigned_value);
  }
  return std::nullopt;
}

// "<what>: expected <type>" for a handler's missing or mistyped input field.
NativeHandler::Result bad_input(const std::string& field, std::string_view expected) {
  return std::unexpected("$." + field + ": expected " + std::string(expected));
}

// ---------------------------------------------------------------------------------------------
// Threads.

std::string current_thread_name() {
  std::array<char, 16> name{};
  if (pthread_getname_np(pthread_self(), name.data(), name.size()) != 0) {
    return {};
  }
  return std::string(name.data());
}

bool is_pool_thread_name(std::string_view name) {
  return name.starts_with(kPoolThreadPrefix);
}

// Where handlers ran: the name and id of the calling thread, one entry per call.
class ThreadLog {
 public:
  void record() {
    std::string name = current_thread_name();
    std::lock_guard lock(mutex_);
    names_.push_back(std::move(name));
    ids_.push_back(std::this_thread::get_id());
  }
  [[nodiscard]] std::vector<std::string> names() const {
    std::lock_guard lock(mutex_);
    return names_;
  }
  [[nodiscard]] std::vector<std::thread::id> ids() const {
    std::lock_guard lock(mutex_);
    return ids_;
  }
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mutex_);
    return names_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> names_;    // guarded by mutex_
  std::vector<std::thread::id> ids_;  // guarded by mutex_
};

std::size_t count_pool_names(const std::vector<std::string>& names) {
  return static_cast<std::size_t>(std::count_if(
      names.begin(), names.end(), [](const auto& name) { return is_pool_thread_name(name); }));
}

// A reusable barrier whose wait is bounded: `parties` handlers must be inside it at the same time
// for any of them to pass, so passing proves that many calls overlapped on the pool. A timed-out
// wait returns false (the handler then fails its call) instead of hanging the suite.
class Rendezvous {
 public:
  explicit Rendezvous(std::size_t parties) : parties_(parties) {}

  [[nodiscard]] bool arrive_and_wait() {
    std::unique_lock lock(mutex_);
    const std::uint64_t round = round_;
    if (++arrived_ == parties_) {
      arrived_ = 0;
      ++round_;
      released_.notify_all();
      return true;
    }
    return released_.wait_for(lock, kRendezvousTimeout, [&] { return round_ != round; });
  }

 private:
  const std::size_t parties_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::size_t arrived_ = 0;  // guarded by mutex_
  std::uint64_t round_ = 0;  // guarded by mutex_
};

// Meets the others at `rendezvous` (if any); the error a handler returns when it times out.
std::optional<std::string> meet(const std::shared_ptr<Rendezvous>& rendezvous) {
  if (rendezvous && !rendezvous->arrive_and_wait()) {
    return "rendezvous timed out: the calls did not overlap on the pool";
  }
  return std::nullopt;
}

// Runs body(0) .. body(count - 1), each on its own std::jthread; a latch releases them together.
// Returns once every thread has finished.
template <typename Body>
void run_concurrently(std::size_t count, const Body& body) {
  std::latch start(static_cast<std::ptrdiff_t>(count));
  std::vector<std::jthread> threads;
  threads.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    threads.emplace_back([&start, &body, i] {
      start.arrive_and_wait();
      body(i);
    });
  }
}  // the jthreads join here

// ---------------------------------------------------------------------------------------------
// Contracts, built in code and registered through the runtime.

struct TestCapability {
  std::string id;  // "it.pool.<name>"
  std::string version;
  Value input_schema;
  Value output_schema;
  std::vector<std::string> emits;  // event ids, each version 1.0.0
  NativeHandler handler;
};

TestCapability capability(std::string id, Value input_schema, Value output_schema,
                          NativeHandler handler, std::vector<std::string> emits = {},
                          std::string version = "1.0.0") {
  return TestCapability{std::move(id),           std::move(version),
                        std::move(input_schema), std::move(output_schema),
                        std::move(emits),        std::move(handler)};
}

// {"type": "object", "required": [every key], "properties": {key: {"type": type}}}.
Value object_schema(const std::vector<std::pair<std::string, std::string>>& properties) {
  Value schema = Value::object();
  schema["type"] = "object";
  schema["properties"] = Value::object();
  schema["required"] = Value::array();
  for (const auto& [key, type] : properties) {
    Value property = Value::object();
    property["type"] = type;
    schema["properties"][key] = std::move(property);
    schema["required"].push_back(key);
  }
  return schema;
}

std::pair<std::string, std::string> split_id(const std::string& id) {
  const std::size_t dot = id.rfind('.');
  return {id.substr(0, dot), id.substr(dot + 1)};
}

Value owner() {
  Value value = Value::object();
  value["team"] = "thread-pool-integration";
  value["contact"] = "thread-pool-integration@traverse.example";
  return value;
}

Value id_list(std::initializer_list<std::string> ids) {
  Value list = Value::array();
  for (const std::string& id : ids) {
    Value item = Value::object();
    item["id"] = id;
    list.push_back(std::move(item));
  }
  return list;
}

Value capability_document(const TestCapability& spec) {
  const auto [namespace_name, name] = split_id(spec.id);
  const bool subscribable = !spec.emits.empty();
  Value doc = Value::object();
  doc["kind"] = "capability_contract";
  doc["schema_version"] = "1.0.0";
  doc["id"] = spec.id;
  doc["namespace"] = namespace_name;
  doc["name"] = name;
  doc["version"] = spec.version;
  doc["lifecycle"] = "active";
  doc["owner"] = owner();
  doc["summary"] = "Integration capability " + name + " served by native pool workers.";
  doc["description"] =
      "Native capability of the thread pool integration suite; its handler runs on a "
      "ThreadPoolExecutor worker behind the runtime's router.";
  doc["artifact_type"] = "native";
  doc["service_type"] = subscribable ? "subscribable" : "stateless";
  doc["permitted_targets"] = Value::array({"local"});
  doc["inputs"] = Value::object();
  doc["inputs"]["schema"] = spec.input_schema;
  doc["outputs"] = Value::object();
  doc["outputs"]["schema"] = spec.output_schema;
  Value precondition = Value::object();
  precondition["id"] = "input-present";
  precondition["description"] = "The request carries the fields the input schema requires.";
  doc["preconditions"] = Value::array({precondition});
  Value postcondition = Value::object();
  postcondition["id"] = "output-returned";
  postcondition["description"] = "The output satisfies the output schema.";
  doc["postconditions"] = Value::array({postcondition});
  Value side_effect = Value::object();
  side_effect["kind"] = subscribable ? "event_emission" : "memory_only";
  side_effect["description"] =
      subscribable ? "Emits its declared events after success." : "Computes in memory only.";
  doc["side_effects"] = Value::array({side_effect});
  doc["emits"] = Value::array();
  for (const std::string& event_id : spec.emits) {
    Value reference = Value::object();
    reference["event_id"] = event_id;
    reference["version"] = "1.0.0";
    doc["emits"].push_back(std::move(reference));
  }
  doc["consumes"] = Value::array();
  doc["permissions"] = id_list({"it.pool.execute"});
  Value execution = Value::object();
  execution["binary_format"] = "wasm";
  execution["entrypoint"] = Value::object();
  execution["entrypoint"]["kind"] = "wasi-command";
  execution["entrypoint"]["command"] = "run";
  execution["preferred_targets"] = Value::array({"local"});
  execution["constraints"] = Value::object();
  execution["constraints"]["host_api_access"] = "none";
  execution["constraints"]["network_access"] = "forbidden";
  execution["constraints"]["filesystem_access"] = "none";
  doc["execution"] = std::move(execution);
  doc["policies"] = id_list({"it.pool.test-only"});
  doc["dependencies"] = Value::array();
  Value provenance = Value::object();
  provenance["source"] = "greenfield";
  provenance["author"] = "Traverse C++ maintainers";
  provenance["created_at"] = "2026-11-26";
  provenance["adr_refs"] = Value::array();
  provenance["exception_refs"] = Value::array();
  doc["provenance"] = std::move(provenance);
  Value evidence = Value::object();
  evidence["evidence_id"] = name + "-contract-validation";
  evidence["type"] = "contract_validation";
  evidence["status"] = "passed";
  doc["evidence"] = Value::array({evidence});
  if (subscribable) {
    doc["event_trigger"] = spec.id + ".requested";
  }
  return doc;
}

// An active event contract, version 1.0.0, payload {publisher, seq}, published by `publishers`.
Value event_document(const std::string& id, const std::vector<std::string>& publishers) {
  const auto [namespace_name, name] = split_id(id);
  Value doc = Value::object();
  doc["kind"] = "event_contract";
  doc["schema_version"] = "1.0.0";
  doc["id"] = id;
  doc["namespace"] = namespace_name;
  doc["name"] = name;
  doc["version"] = "1.0.0";
  doc["lifecycle"] = "active";
  doc["owner"] = owner();
  doc["summary"] = "A capability on a pool worker recorded a mark.";
  doc["description"] =
      "Emitted by the thread pool integration capabilities; carries the publishing capability "
      "and the mark's sequence number.";
  doc["payload"] = Value::object();
  doc["payload"]["schema"] = object_schema({{"publisher", "string"}, {"seq", "integer"}});
  doc["payload"]["compatibility"] = "backward-compatible";
  Value classification = Value::object();
  classification["domain"] = "thread-pool-integration";
  classification["bounded_context"] = "thread-pool-integration";
  classification["event_type"] = "domain";
  classification["tags"] = Value::array({"integration"});
  doc["classification"] = std::move(classification);
  doc["publishers"] = Value::array();
  for (const std::string& publisher : publishers) {
    Value reference = Value::object();
    reference["capability_id"] = publisher;
    reference["version"] = "1.0.0";
    doc["publishers"].push_back(std::move(reference));
  }
  doc["subscribers"] = Value::array();
  doc["policies"] = id_list({"it.pool.test-only"});
  doc["tags"] = Value::array({"integration", "thread-pool"});
  Value provenance = Value::object();
  provenance["source"] = "greenfield";
  provenance["author"] = "Traverse C++ maintainers";
  provenance["created_at"] = "2026-11-26";
  doc["provenance"] = std::move(provenance);
  Value evidence = Value::object();
  evidence["kind"] = "contract_validation";
  evidence["ref"] = "tests/integration/thread_pool_integration_test.cpp";
  doc["evidence"] = Value::array({evidence});
  return doc;
}

std::string describe(const ValidationErrors& errors) {
  std::string text;
  for (const ValidationError& error : errors) {
    text += (text.empty() ? "" : "; ") + to_string(error);
  }
  return text;
}

std::string describe(const RuntimeResult& result) {
  if (!result.error) {
    return "completed";
  }
  return result.error->code() + ": " + result.error->message();
}

std::expected<void, std::string> register_capabilities(TraverseRuntime& runtime,
                                                       const std::vector<TestCapability>& specs) {
  for (const TestCapability& spec : specs) {
    auto contract = parse_capability_contract(capability_document(spec));
    if (!contract) {
      return std::unexpected(spec.id + ": " + describe(contract.error()));
    }
    auto registered = runtime.register_capability(Scope::Public, std::move(*contract),
                                                  ArtifactReference::native(spec.id));
    if (!registered) {
      return std::unexpected(spec.id + ": " + to_string(registered.error()));
    }
  }
  return {};
}

std::expected<void, std::string> register_event(TraverseRuntime& runtime, const std::string& id,
                                                const std::vector<std::string>& publishers) {
  auto contract = parse_event_contract(event_document(id, publishers));
  if (!contract) {
    return std::unexpected(id + ": " + describe(contract.error()));
  }
  if (auto registered = runtime.register_event(*contract); !registered) {
    return std::unexpected(id + ": " + registered.error().message());
  }
  return {};
}

NativeExecutor::HandlerTable handler_table(const std::vector<TestCapability>& specs) {
  NativeExecutor::HandlerTable table;
  for (const TestCapability& spec : specs) {
    table.emplace(spec.id, spec.handler);
  }
  return table;
}

using RuntimeOrError = std::expected<std::unique_ptr<TraverseRuntime>, std::string>;

RuntimeOrError build_and_register(TraverseRuntime::Builder& builder,
                                  const std::vector<TestCapability>& specs) {
  auto built = builder.build();
  if (!built) {
    return std::unexpected(built.error().to_string());
  }
  if (auto registered = register_capabilities(**built, specs); !registered) {
    return std::unexpected(registered.error());
  }
  return std::move(*built);
}

// A runtime whose Native executor is the builder's own ThreadPoolExecutor (`capacity` workers)
// over the handlers of `specs`, which are registered as native capabilities.
RuntimeOrError pooled_runtime(const std::vector<TestCapability>& specs, std::size_t capacity,
                              TraverseRuntime::Builder builder = TraverseRuntime::Builder()) {
  builder.with_native_pool_capacity(capacity);
  for (const TestCapability& spec : specs) {
    builder.with_native_handler(spec.id, spec.handler);
  }
  return build_and_register(builder, specs);
}

// A runtime whose Native executor is `executor`; `specs` are registered as native capabilities.
RuntimeOrError runtime_with_native_executor(
    std::shared_ptr<const CapabilityExecutor> executor, const std::vector<TestCapability>& specs,
    TraverseRuntime::Builder builder = TraverseRuntime::Builder()) {
  builder.with_executor(ArtifactType::Native, std::move(executor));
  return build_and_register(builder, specs);
}

std::shared_ptr<const ThreadPoolExecutor> pool_of(const TraverseRuntime& runtime) {
  return std::dynamic_pointer_cast<const ThreadPoolExecutor>(
      runtime.executor(ArtifactType::Native));
}

RuntimeRequest request_for(std::string request_id, std::string capability_id, Value input,
                           std::optional<std::string> version = "1.0.0") {
  RuntimeRequest request;
  request.request_id = std::move(request_id);
  request.capability_id = std::move(capability_id);
  request.capability_version = std::move(version);
  request.input = std::move(input);
  return request;
}

// A runtime with its own catalog and InProcessBroker (so the test can read broker metrics).
struct BrokerSetup {
  std::shared_ptr<EventCatalog> catalog;
  std::shared_ptr<InProcessBroker> broker;
};

std::expected<BrokerSetup, std::string> make_broker() {
  auto catalog = std::make_shared<EventCatalog>();
  auto broker = InProcessBroker::create({}, catalog);
  if (!broker) {
    return std::unexpected(broker.error().message());
  }
  return BrokerSetup{std::move(catalog), std::move(*broker)};
}

std::uint64_t parse_cursor(const std::string& cursor) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), value);
  return error == std::errc() && end == cursor.data() + cursor.size() ? value : 0;
}

// ---------------------------------------------------------------------------------------------
// The capabilities.

std::string ascii_upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return text;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : text + " ") {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!word.empty()) {
        words.push_back(std::move(word));
        word.clear();
      }
    } else {
      word.push_back(c);
    }
  }
  return words;
}

// it.pool.word-stats: a deterministic output with strings, an array, an integer and a float.
TestCapability word_stats(std::shared_ptr<ThreadLog> log) {
  return capability(
      "it.pool.word-stats", object_schema({{"text", "string"}}),
      object_schema({{"text", "string"},
                     {"upper", "string"},
                     {"words", "array"},
                     {"word_count", "integer"},
                     {"mean_word_length", "number"}}),
      [log](const Value& input) -> NativeHandler::Result {
        log->record();
        const std::string* text = string_member(input, "text");
        if (text == nullptr) {
          return bad_input("text", "string");
        }
        const std::vector<std::string> words = split_words(*text);
        std::size_t letters = 0;
        for (const std::string& word : words) {
          letters += word.size();
        }
        Value output = Value::object();
        output["text"] = *text;
        output["upper"] = ascii_upper(*text);
        output["words"] = words;
        output["word_count"] = static_cast<std::int64_t>(words.size());
        output["mean_word_length"] =
            words.empty() ? 0.0 : static_cast<double>(letters) / static_cast<double>(words.size());
        return output;
      });
}

// it.pool.whoami: reports the thread and the ExecutionContext it was given.
TestCapability whoami(std::shared_ptr<ThreadLog> log) {
  return capability("it.pool.whoami", object_schema({}),
                    object_schema({{"worker", "string"},
                                   {"capability_id", "string"},
                                   {"execution_id", "string"},
                                   {"trace_id", "string"}}),
                    [log](const Value&, ExecutionContext& context) -> NativeHandler::Result {
                      log->record();
                      Value output = Value::object();
                      output["worker"] = current_thread_name();
                      output["capability_id"] = context.capability_id();
                      output["execution_id"] = context.execution_id();
                      output["trace_id"] = context.trace_id();
                      return output;
                    });
}

// it.pool.square: {n} -> {n, square}, after meeting the others at `rendezvous`.
TestCapability square(std::shared_ptr<ThreadLog> log, std::shared_ptr<Rendezvous> rendezvous) {
  return capability("it.pool.square", object_schema({{"n", "integer"}}),
                    object_schema({{"n", "integer"}, {"square", "integer"}}),
                    [log, rendezvous](const Value& input) -> NativeHandler::Result {
                      log->record();
                      if (auto timed_out = meet(rendezvous)) {
                        return std::unexpected(*timed_out);
                      }
                      const auto n = integer_member(input, "n");
                      if (!n) {
                        return bad_input("n", "integer");
                      }
                      return Value{{"n", *n}, {"square", *n * *n}};
                    });
}

// it.pool.label: echoes its label with the execution and trace ids its context carries.
TestCapability label(std::shared_ptr<ThreadLog> log, std::shared_ptr<Rendezvous> rendezvous) {
  return capability(
      "it.pool.label", object_schema({{"label", "string"}}),
      object_schema({{"label", "string"}, {"execution_id", "string"}, {"trace_id", "string"}}),
      [log, rendezvous](const Value& input, ExecutionContext& context) -> NativeHandler::Result {
        log->record();
        if (auto timed_out = meet(rendezvous)) {
          return std::unexpected(*timed_out);
        }
        const std::string* text = string_member(input, "label");
        if (text == nullptr) {
          return bad_input("label", "string");
        }
        return Value{{"label", *text},
                     {"execution_id", context.execution_id()},
                     {"trace_id", context.trace_id()}};
      });
}

// Four different capabilities for the "different capabilities" test: add, reverse, upper and
// repeat, each meeting the others at `rendezvous` first.
std::vector<TestCapability> four_text_capabilities(std::shared_ptr<ThreadLog> log,
                                                   std::shared_ptr<Rendezvous> rendezvous) {
  std::vector<TestCapability> specs;
  specs.push_back(capability("it.pool.add", object_schema({{"a", "integer"}, {"b", "integer"}}),
                             object_schema({{"sum", "integer"}}),
                             [log, rendezvous](const Value& input) -> NativeHandler::Result {
                               log->record();
                               if (auto timed_out = meet(rendezvous)) {
                                 return std::unexpected(*timed_out);
                               }
                               const auto a = integer_member(input, "a");
                               const auto b = integer_member(input, "b");
                               if (!a || !b) {
                                 return bad_input("a|b", "integer");
                               }
                               return Value{{"sum", *a + *b}};
                             }));
  specs.push_back(
      capability("it.pool.reverse", object_schema({{"text", "string"}}),
                 object_schema({{"reversed", "string"}}),
                 [log, rendezvous](const Value& input) -> NativeHandler::Result {
                   log->record();
                   if (auto timed_out = meet(rendezvous)) {
                     return std::unexpected(*timed_out);
                   }
                   const std::string* text = string_member(input, "text");
                   if (text == nullptr) {
                     return bad_input("text", "string");
                   }
                   return Value{{"reversed", std::string(text->rbegin(), text->rend())}};
                 }));
  specs.push_back(capability("it.pool.upper", object_schema({{"text", "string"}}),
                             object_schema({{"upper", "string"}}),
                             [log, rendezvous](const Value& input) -> NativeHandler::Result {
                               log->record();
                               if (auto timed_out = meet(rendezvous)) {
                                 return std::unexpected(*timed_out);
                               }
                               const std::string* text = string_member(input, "text");
                               if (text == nullptr) {
                                 return bad_input("text", "string");
                               }
                               return Value{{"upper", ascii_upper(*text)}};
                             }));
  specs.push_back(capability("it.pool.repeat",
                             object_schema({{"text", "string"}, {"times", "integer"}}),
                             object_schema({{"repeated", "string"}}),
                             [log, rendezvous](const Value& input) -> NativeHandler::Result {
                               log->record();
                               if (auto timed_out = meet(rendezvous)) {
                                 return std::unexpected(*timed_out);
                               }
                               const std::string* text = string_member(input, "text");
                               const auto times = integer_member(input, "times");
                               if (text == nullptr || !times || *times < 0) {
                                 return bad_input("text|times", "string and non-negative integer");
                               }
                               std::string repeated;
                               for (std::int64_t i = 0; i < *times; ++i) {
                                 repeated += *text;
                               }
                               return Value{{"repeated", repeated}};
                             }));
  return specs;
}

// A Subscribable capability that emits `count` kMarkRecorded events {publisher, seq, worker}.
TestCapability publisher(std::string id, std::int64_t count, std::shared_ptr<ThreadLog> log,
                         std::shared_ptr<Rendezvous> rendezvous) {
  return capability(
      std::move(id), object_schema({}), object_schema({{"published", "integer"}}),
      [count, log, rendezvous](const Value&, ExecutionContext& context) -> NativeHandler::Result {
        log->record();
        if (auto timed_out = meet(rendezvous)) {
          return std::unexpected(*timed_out);
        }
        for (std::int64_t seq = 0; seq < count; ++seq) {
          Value payload{{"publisher", context.capability_id()},
                        {"seq", seq},
                        {"worker", current_thread_name()}};
          if (auto emitted = context.emit(kMarkRecorded, "1.0.0", std::move(payload)); !emitted) {
            return std::unexpected("emit refused: " + std::string(to_string(emitted.error())));
          }
        }
        return Value{{"published", count}};
      },
      {kMarkRecorded});
}

// ---------------------------------------------------------------------------------------------
// The workflow: normalise a name, greet it, shout the greeting (three native steps).

struct StepCalls {
  std::atomic<int> normalise{0};
  std::atomic<int> greet{0};
  std::atomic<int> shout{0};
};

const std::string kWorkflowId = "it.pool.greeting-pipeline";

// "  ada   LOVELACE " -> "Ada Lovelace".
std::string normalise_name(const std::string& name) {
  std::string result;
  for (std::string word : split_words(name)) {
    for (std::size_t i = 0; i < word.size(); ++i) {
      const char c = word[i];
      if (i == 0 && c >= 'a' && c <= 'z') {
        word[i] = static_cast<char>(c - 'a' + 'A');
      } else if (i > 0 && c >= 'A' && c <= 'Z') {
        word[i] = static_cast<char>(c - 'A' + 'a');
      }
    }
    result += (result.empty() ? "" : " ") + word;
  }
  return result;
}

// The three step capabilities. greet-name fails for "Nobody".
std::vector<TestCapability> pipeline_capabilities(std::shared_ptr<StepCalls> calls,
                                                  std::shared_ptr<ThreadLog> log) {
  std::vector<TestCapability> specs;
  specs.push_back(capability("it.pool.normalise-name", object_schema({{"name", "string"}}),
                             object_schema({{"normalised", "string"}}),
                             [calls, log](const Value& input) -> NativeHandler::Result {
                               calls->normalise.fetch_add(1);
                               log->record();
                               const std::string* name = string_member(input, "name");
                               if (name == nullptr) {
                                 return bad_input("name", "string");
                               }
                               return Value{{"normalised", normalise_name(*name)}};
                             }));
  specs.push_back(capability("it.pool.greet-name", object_schema({{"normalised", "string"}}),
                             object_schema({{"greeting", "string"}}),
                             [calls, log](const Value& input) -> NativeHandler::Result {
                               calls->greet.fetch_add(1);
                               log->record();
                               const std::string* name = string_member(input, "normalised");
                               if (name == nullptr) {
                                 return bad_input("normalised", "string");
                               }
                               if (*name == "Nobody") {
                                 return std::unexpected("cannot greet '" + *name +
                                                        "': no such person");
                               }
                               return Value{{"greeting", "Hello, " + *name + "!"}};
                             }));
  specs.push_back(capability("it.pool.shout-greeting", object_schema({{"greeting", "string"}}),
                             object_schema({{"shout", "string"}}),
                             [calls, log](const Value& input) -> NativeHandler::Result {
                               calls->shout.fetch_add(1);
                               log->record();
                               const std::string* greeting = string_member(input, "greeting");
                               if (greeting == nullptr) {
                                 return bad_input("greeting", "string");
                               }
                               return Value{{"shout", ascii_upper(*greeting)}};
                             }));
  return specs;
}

Value pipeline_node(const std::string& node_id, const std::string& capability_id,
                    const std::string& reads, const std::string& writes) {
  Value node = Value::object();
  node["node_id"] = node_id;
  node["capability_id"] = capability_id;
  node["capability_version"] = "1.0.0";
  node["input"] = Value::object();
  node["input"]["from_workflow_input"] = Value::array({reads});
  node["output"] = Value::object();
  node["output"]["to_workflow_state"] = Value::array({writes});
  return node;
}

Value pipeline_edge(const std::string& from, const std::string& to) {
  Value edge = Value::object();
  edge["edge_id"] = from + "-to-" + to;
  edge["from"] = from;
  edge["to"] = to;
  edge["trigger"] = "direct";
  return edge;
}

Value pipeline_document() {
  Value doc = Value::object();
  doc["kind"] = "workflow_definition";
  doc["schema_version"] = "1.0.0";
  doc["id"] = kWorkflowId;
  doc["name"] = "greeting pipeline";
  doc["version"] = "1.0.0";
  doc["lifecycle"] = "active";
  doc["owner"] = owner();
  doc["summary"] = "Normalise a name, greet it, then shout the greeting.";
  doc["inputs"] = Value::object();
  doc["inputs"]["schema"] = object_schema({{"name", "string"}});
  doc["outputs"] = Value::object();
  doc["outputs"]["schema"] = object_schema({{"greeting", "string"}, {"shout", "string"}});
  doc["nodes"] =
      Value::array({pipeline_node("normalise", "it.pool.normalise-name", "name", "normalised"),
                    pipeline_node("greet", "it.pool.greet-name", "normalised", "greeting"),
                    pipeline_node("shout", "it.pool.shout-greeting", "greeting", "shout")});
  doc["edges"] =
      Value::array({pipeline_edge("normalise", "greet"), pipeline_edge("greet", "shout")});
  doc["start_node"] = "normalise";
  doc["terminal_nodes"] = Value::array({"shout"});
  doc["output_projection"] = Value::array({"greeting", "shout"});
  doc["tags"] = Value::array({"integration"});
  doc["governing_spec"] = "007-workflow-registry-traversal";
  return doc;
}

// A pooled runtime (capacity 4) with the pipeline's capabilities and workflow registered.
RuntimeOrError pipeline_runtime(std::shared_ptr<StepCalls> calls, std::shared_ptr<ThreadLog> log) {
  auto runtime = pooled_runtime(pipeline_capabilities(std::move(calls), std::move(log)), 4);
  if (!runtime) {
    return runtime;
  }
  auto definition = parse_workflow_definition(pipeline_document());
  if (!definition) {
    return std::unexpected(kWorkflowId + ": " + describe(definition.error()));
  }
  auto registered = (*runtime)->workflow_registry()->register_workflow(
      Scope::Public, std::move(*definition), *(*runtime)->capability_registry());
  if (!registered) {
    return std::unexpected(kWorkflowId + ": " + describe(registered.error()));
  }
  return runtime;
}

WorkflowRunRequest pipeline_request(std::string request_id, const std::string& name) {
  WorkflowRunRequest request;
  request.workflow_id = kWorkflowId;
  request.workflow_version = "1.0.0";
  request.input = Value{{"name", name}};
  request.request_id = std::move(request_id);
  return request;
}

std::string describe(const WorkflowRun& run) {
  if (!run.error) {
    return "completed";
  }
  return std::string(to_string(run.error->kind())) + " at node " +
         run.error->node_id().value_or("-") + ": " + run.error->message();
}

// ---------------------------------------------------------------------------------------------
// A decorator that counts the calls it forwards, per artifact type, and the ids it saw.

class CountingExecutor final : public CapabilityExecutor {
 public:
  // A synchronous double: the completion is fulfilled on the caller.
  ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                            ExecutionContext& context) const override {
    return ExecutorCompletion::fulfilled(execute(capability, input, context));
  }

 public:
  explicit CountingExecutor(std::shared_ptr<const CapabilityExecutor> inner)
      : inner_(std::move(inner)) {}

  [[nodiscard]] std::expected<ExecutorOutput, ExecutorError> execute(
      const ExecutorCapability& capability, const Value& input,
      ExecutionContext& context) const override {
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(capability.capability_id);
    }
    (capability.artifact_type == ArtifactType::Wasm ? wasm_calls_ : native_calls_).fetch_add(1);
    return inner_->execute(capability, input, context);
  }

  [[nodiscard]] std::uint64_t native_calls() const { return native_calls_.load(); }
  [[nodiscard]] std::uint64_t wasm_calls() const { return wasm_calls_.load(); }
  [[nodiscard]] std::vector<std::string> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::shared_ptr<const CapabilityExecutor> inner_;
  mutable std::atomic<std::uint64_t> native_calls_{0};
  mutable std::atomic<std::uint64_t> wasm_calls_{0};
  mutable std::mutex mutex_;
  mutable std::vector<std::string> seen_;  // guarded by mutex_
};

// FNV-1a-32, as capture-expedition-objective computes objective_id over its canonical input.
std::string fnv1a32_hex(std::string_view bytes) {
  std::uint32_t hash = 2166136261U;
  for (const char c : bytes) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 16777619U;
  }
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string hex(8, '0');
  for (std::size_t i = 0; i < 8; ++i) {
    hex[7 - i] = kDigits[(hash >> (4 * i)) & 0xFU];
  }
  return hex;
}

Value objective_input(const std::string& objective) {
  return Value{{"objective", objective},
               {"region", "Mont Blanc massif"},
               {"start_date", "2027-07-14"},
               {"duration_days", 4}};
}

// The documented output of capture-expedition-objective for `input` (see its C source).
Value expected_capture(const Value& input, const std::string& title) {
  const std::string objective_id = "obj-" + fnv1a32_hex(canonical_dump(input));
  return Value{{"objective_id", objective_id},
               {"captured_objective",
                {{"duration_days", 4},
                 {"objective_id", objective_id},
                 {"region", "Mont Blanc massif"},
                 {"start_date", "2027-07-14"},
                 {"title", title}}}};
}

// =============================================================================================
// The suite.

// R7.1: the same capability and input give byte-identical output through a runtime whose Native
// executor is a plain NativeExecutor and through one whose Native executor is the pool.
TEST(ThreadPoolIntegration, native_executor_and_thread_pool_produce_identical_output) {
  auto log = std::make_shared<ThreadLog>();
  const std::vector<TestCapability> specs = {word_stats(log)};
  auto plain =
      runtime_with_native_executor(std::make_shared<NativeExecutor>(handler_table(specs)), specs);
  ASSERT_TRUE(plain.has_value()) << plain.error();
  auto pooled = pooled_runtime(specs, 2);
  ASSERT_TRUE(pooled.has_value()) << pooled.error();
  ASSERT_NE(dynamic_cast<const NativeExecutor*>((*plain)->executor(ArtifactType::Native).get()),
            nullptr);
  const auto pool = pool_of(**pooled);
  ASSERT_NE(pool, nullptr);

  const std::vector<Value> inputs = {Value{{"text", "the quick brown fox"}},
                                     Value{{"text", "  Gr\u00fc\u00dfe aus Z\u00fcrich  "}},
                                     Value{{"text", ""}}};
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string n = std::to_string(i);
    const RuntimeResult direct =
        (*plain)->execute_capability(request_for("plain-" + n, "it.pool.word-stats", inputs[i]));
    const RuntimeResult via_pool =
        (*pooled)->execute_capability(request_for("pool-" + n, "it.pool.word-stats", inputs[i]));
    ASSERT_TRUE(direct.completed()) << describe(direct);
    ASSERT_TRUE(via_pool.completed()) << describe(via_pool);
    ASSERT_TRUE(direct.output.has_value());
    ASSERT_TRUE(via_pool.output.has_value());
    const std::string bytes = canonical_dump(*direct.output);
    EXPECT_EQ(canonical_dump(*via_pool.output), bytes) << "input " << i;

    // The evidence agrees: both trace stores hold the SHA-256 of those same bytes.
    auto direct_record = (*plain)->trace_store()->get(direct.trace_ref);
    auto pool_record = (*pooled)->trace_store()->get(via_pool.trace_ref);
    ASSERT_TRUE(direct_record.has_value()) << direct_record.error().to_string();
    ASSERT_TRUE(pool_record.has_value()) << pool_record.error().to_string();
    ASSERT_TRUE(direct_record->private_entry.has_value());
    ASSERT_TRUE(pool_record->private_entry.has_value());
    EXPECT_EQ(pool_record->private_entry->outputs_hash, sha256_hex(bytes));
    EXPECT_EQ(direct_record->private_entry->outputs_hash, sha256_hex(bytes));
  }

  // The bytes are the right ones, not merely equal (float in the canonical layout).
  const RuntimeResult first =
      (*pooled)->execute_capability(request_for("pool-check", "it.pool.word-stats", inputs[0]));
  ASSERT_TRUE(first.completed()) << describe(first);
  ASSERT_TRUE(first.output.has_value());
  EXPECT_EQ(canonical_dump(*first.output),
            R"({"mean_word_length":4.0,"text":"the quick brown fox","upper":"THE QUICK BROWN FOX",)"
            R"("word_count":4,"words":["the","quick","brown","fox"]})");

  // The two paths really differ: NativeExecutor ran the handler on the caller, the pool on its
  // workers.
  const std::vector<std::string> names = log->names();
  ASSERT_EQ(names.size(), 7U);
  EXPECT_EQ(count_pool_names(names), 4U);
  EXPECT_EQ(pool->stats().completed, 4U);
}

// R5.1: a ThreadPoolExecutor held as std::unique_ptr<CapabilityExecutor> executes through the
// interface, keeps its behaviour (WASM rejection) and serves a runtime as its Native executor.
TEST(ThreadPoolIntegration, thread_pool_executor_satisfies_capability_executor_trait_object) {
  static_assert(std::is_base_of_v<CapabilityExecutor, ThreadPoolExecutor>);
  static_assert(std::is_convertible_v<std::unique_ptr<ThreadPoolExecutor>,
                                      std::unique_ptr<CapabilityExecutor>>);
  auto log = std::make_shared<ThreadLog>();
  const std::vector<TestCapability> specs = {word_stats(log)};
  ThreadPoolExecutorConfig config;
  config.capacity = 2;
  auto created =
      ThreadPoolExecutor::create(config, std::make_unique<NativeExecutor>(handler_table(specs)));
  ASSERT_TRUE(created.has_value()) << created.error().message();
  std::unique_ptr<CapabilityExecutor> executor = std::move(*created);
  const CapabilityExecutor* const object = executor.get();
  ASSERT_NE(dynamic_cast<const ThreadPoolExecutor*>(object), nullptr);

  ExecutorCapability native;
  native.capability_id = "it.pool.word-stats";
  native.capability_version = "1.0.0";
  ExecutionContext context(native, "exec_trait-1", "trace-trait-1");
  const auto output = executor->execute(native, Value{{"text", "trait object"}}, context);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  const std::string* upper = string_member(output->value, "upper");
  ASSERT_NE(upper, nullptr);
  EXPECT_EQ(*upper, "TRAIT OBJECT");
  EXPECT_TRUE(output->emitted_events.empty());
  ASSERT_EQ(log->size(), 1U);
  EXPECT_TRUE(is_pool_thread_name(log->names()[0])) << log->names()[0];

  // Through the interface the pool still refuses WASM, before its handler table is consulted.
  ExecutorCapability wasm = native;
  wasm.artifact_type = ArtifactType::Wasm;
  ExecutionContext wasm_context(wasm, "exec_trait-2", "trace-trait-2");
  const auto refused = executor->execute(wasm, Value{{"text", "wasm"}}, wasm_context);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind(), ExecutorErrorClass::UnsupportedArtifactType);
  EXPECT_EQ(log->size(), 1U);

  // The same object, now shared, is the runtime's Native executor.
  auto runtime = runtime_with_native_executor(
      std::shared_ptr<const CapabilityExecutor>(std::move(executor)), specs);
  ASSERT_TRUE(runtime.has_value()) << runtime.error();
  EXPECT_EQ((*runtime)->executor(ArtifactType::Native).get(), object);
  const RuntimeResult result = (*runtime)->execute_capability(
      request_for("trait-3", "it.pool.word-stats", Value{{"text", "via runtime"}}));
  ASSERT_TRUE(result.completed()) << describe(result);
  ASSERT_TRUE(result.output.has_value());
  const std::string* routed = string_member(*result.output, "upper");
  ASSERT_NE(routed, nullptr);
  EXPECT_EQ(*routed, "VIA RUNTIME");
  ASSERT_EQ(log->size(), 2U);
  EXPECT_TRUE(is_pool_thread_name(log->names()[1])) << log->names()[1];
}

// R7.2: a native capability resolved by id through the registry, placed and routed, runs on a
// pool worker with the context the router built for it.
TEST(ThreadPoolIntegration, router_routes_to_thread_pool_executor) {
  auto log = std::make_shared<ThreadLog>();
  auto runtime = pooled_runtime({whoami(log)}, 2);
  ASSERT_TRUE(runtime.has_value()) << runtime.error();
  const auto pool = pool_of(**runtime);
  ASSERT_NE(pool, nullptr);

  // No version: the registry resolves the id to its only registered version.
  const RuntimeExecution execution = (*runtime)->execute(
      request_for("route-1", "it.pool.whoami", Value{{"note", "routed"}}, std::nullopt));
  const RuntimeResult& result = execution.result;
  ASSERT_TRUE(result.completed()) << describe(result);
  ASSERT_TRUE(result.output.has_value());

  // Placement chose the local target and the router ran the capability.
  EXPECT_EQ(execution.trace->capability_id, "it.pool.whoami");
  EXPECT_EQ(execution.trace->capability_version, "1.0.0");
  ASSERT_TRUE(execution.trace->placement.has_value());
  EXPECT_EQ(execution.trace->placement->target, ExecutionTarget::Local);
  EXPECT_EQ(execution.trace->execution_status, RuntimeExecutionStatus::Succeeded);
  EXPECT_TRUE(execution.trace->trace_store_entry);

  // The handler ran on a pool worker, not on the calling thread.
  ASSERT_EQ(log->size(), 1U);
  const std::string worker = log->names()[0];
  EXPECT_TRUE(is_pool_thread_name(worker)) << worker;
  EXPECT_NE(log->ids()[0], std::this_thread::get_id());
  EXPECT_EQ(*result.output, (Value{{"worker", worker},
                                   {"capability_id", "it.pool.whoami"},
                                   {"execution_id", "exec_route-1"},
                                   {"trace_id", result.trace_ref}}));
  const ThreadPoolStats stats = pool->stats();
  EXPECT_EQ(stats.completed, 1U);
  EXPECT_EQ(stats.failed + stats.panicked + stats.rejected + stats.timed_out, 0U);

  auto record = (*runtime)->trace_store()->get(result.trace_ref);
  ASSERT_TRUE(record.has_value()) << record.error().to_string();
  EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Success);
  EXPECT_EQ(record->public_entry.placement_target, debug_name(ExecutionTarget::Local));
  EXPECT_EQ(record->public_entry.capability_id, "it.pool.whoami");
}

// R7.2: eight concurrent execute_capability calls to one capability on a 4-worker pool: the
// first four meet inside their handlers (the pool runs at full capacity), the other four queue
// and then meet; every caller gets its own correct output and nothing deadlocks.
TEST(ThreadPoolIntegration, router_concurrent_requests_to_same_capability) {
  constexpr std::size_t kCalls = 8;
  constexpr std::size_t kWorkers = 4;
  auto log = std::make_shared<ThreadLog>();
  auto runtime = pooled_runtime({square(log, std::make_shared<Rendezvous>(kWorkers))}, kWorkers);
  ASSERT_TRUE(runtime.has_value()) << runtime.error();
  const auto pool = pool_of(**runtime);
  ASSERT_NE(pool, nullptr);

  std::vector<RuntimeResult> results(kCalls);
  run_concurrently(kCalls, [&](std::size_t i) {
    const auto n = static_cast<std::int64_t>(i) + 1;
    results[i] = (*runtime)->execute_capability(
        request_for("same-" + std::to_string(i), "it.pool.square", Value{{"n", n}}));
  });

  std::set<std::string> trace_refs;
  for (std::size_t i = 0; i < kCalls; ++i) {
    const auto n = static_cast<std::int64_t>(i) + 1;
    ASSERT_TRUE(results[i].completed()) << i << ": " << describe(results[i]);
    ASSERT_TRUE(results[i].output.has_value());
    EXPECT_EQ(*results[i].output, (Value{{"n", n}, {"square", n * n}})) << i;
    EXPECT_EQ(results[i].request_id, "same-" + std::to_string(i));
    trace_refs.insert(results[i].trace_ref);
  }
  EXPECT_EQ(trace_refs.size(), kCalls);

  const std::vector<std::string> names = log->names();
  ASSERT_EQ(names.size(), kCalls);
  EXPECT_EQ(count_pool_names(names), kCalls);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), kWorkers);
  for (const std::thread::id id : log->ids()) {
    EXPECT_NE(id, std::this_thread::get_id());
  }
  const ThreadPoolStats stats = pool->stats();
  EXPECT_EQ(stats.completed, kCalls);
  EXPECT_EQ(stats.busy, 0U);
  EXPECT_EQ(stats.queued, 0U);
  EXPECT_EQ((*runtime)->trace_store()->count({}).value_or(0), kCalls);
}

// R7.2: four concurrent calls to four different capabilities, all running at once on the pool,
// each return their own capability's output for their own input.
TEST(ThreadPoolIntegration, router_concurrent_requests_to_different_capabilities) {
  constexpr std::size_t kCalls = 4;
  auto log = std::make_shared<ThreadLog>();
  auto runtime =
      pooled_runtime(four_text_capabilities(log, std::make_shared<Rendezvous>(kCalls)), kCalls);
  ASSERT_TRUE(runtime.has_value()) << runtime.error();

  struct Call {
    RuntimeRequest request;
    Value expected;
  };
  const std::vector<Call> calls = {
      {request_for("diff-0", "it.pool.add", Value{{"a", 40}, {"b", 2}}), Value{{"sum", 42}}},
      {request_for("diff-1", "it.pool.reverse", Value{{"text", "drawer"}}),
       Value{{"reversed", "reward"}}},
      {request_for("diff-2", "it.pool.upper", Value{{"text", "quiet please"}}),
       Value{{"upper", "QUIET PLEASE"}}},
      {request_for("diff-3", "it.pool.repeat", Value{{"text", "ab"}, {"times", 3}}),
       Value{{"repeated", "ababab"}}},
  };
  std::vector<RuntimeResult> results(kCalls);
  run_concurrently(kCalls, [&](std::size_t i) {
    results[i] = (*runtime)->execute_capability(calls[i].request);
  });

  for (std::size_t i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(results[i].completed()) << i << ": " << describe(results[i]);
    ASSERT_TRUE(results[i].output.has_value());
    EXPECT_EQ(*results[i].output, calls[i].expected) << *calls[i].request.capability_id;
    auto record = (*runtime)->trace_store()->get(results[i].trace_ref);
    ASSERT_TRUE(record.has_value()) << record.error().to_string();
    EXPECT_EQ(record->public_entry.capability_id, *calls[i].request.capability_id);
  }
  const std::vector<std::string> names = log->names();
  EXPECT_EQ(count_pool_names(names), kCalls);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), kCalls);
}

// R7.2: four overlapping executions of one capability leave four distinct TraceStore entries,
// each holding exactly its own execution's input, output and ids.
TEST(ThreadPoolIntegration, concurrent_executions_produce_isolated_traces) {
  constexpr std::size_t kCalls = 4;
  InMemoryTraceStoreOptions options;
  options.keep_payloads = true;
  auto store = std::make_shared<InMemoryTraceStore>(options);
  TraverseRuntime::Builder builder;
  builder.with_trace_store(store);
  auto log = std::make_shared<ThreadLog>();
  auto runtime = pooled_runtime({label(log, std::make_shared<Rendezvous>(kCalls))}, kCalls,
                                std::move(builder));
  ASSERT_TRUE(runtime.has_value()) << runtime.error();

  std::vector<RuntimeRequest> requests;
  for (std::size_t i = 0; i < kCalls; ++i) {
    requests.push_back(request_for("iso-" + std::to_string(i), "it.pool.label",
                                   Value{{"label", "label-" + std::to_string(i)}}));
  }
  std::vector<RuntimeResult> results(kCalls);
  run_concurrently(
      kCalls, [&](std::size_t i) { results[i] = (*runtime)->execute_capability(requests[i]); });

  // Read the store directly.
  EXPECT_EQ(store->size(), kCalls);
  auto listed = store->list_public({});
  ASSERT_TRUE(listed.has_value()) << listed.error().to_string();
  ASSERT_EQ(listed->size(), kCalls);
  std::set<std::string> listed_ids;
  for (const PublicTraceEntry& entry : *listed) {
    listed_ids.insert(entry.id);
  }
  std::set<std::string> trace_refs;
  for (std::size_t i = 0; i < kCalls; ++i) {
    const RuntimeResult& result = results[i];
    ASSERT_TRUE(result.completed()) << i << ": " << describe(result);
    trace_refs.insert(result.trace_ref);
    const Value expected{{"label", "label-" + std::to_string(i)},
                         {"execution_id", "exec_" + requests[i].request_id},
                         {"trace_id", result.trace_ref}};
    ASSERT_TRUE(result.output.has_value());
    EXPECT_EQ(*result.output, expected) << i;

    auto record = store->get(result.trace_ref);
    ASSERT_TRUE(record.has_value()) << record.error().to_string();
    EXPECT_EQ(record->public_entry.id, result.trace_ref);
    EXPECT_EQ(record->public_entry.execution_id, "exec_" + requests[i].request_id);
    EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Success);
    ASSERT_TRUE(record->private_entry.has_value());
    EXPECT_EQ(record->private_entry->trace_id, result.trace_ref);
    EXPECT_EQ(record->private_entry->input, requests[i].input) << i;
    EXPECT_EQ(record->private_entry->output, expected) << i;
    EXPECT_EQ(record->private_entry->inputs_hash, sha256_hex(canonical_dump(requests[i].input)));
    EXPECT_EQ(record->private_entry->outputs_hash, sha256_hex(canonical_dump(expected)));
  }
  EXPECT_EQ(trace_refs.size(), kCalls);
  EXPECT_EQ(listed_ids, trace_refs);
}

// R7.2: under concurrency each TraceStore entry names the capability (id and version) its call
// dispatched, which is also the capability its handler saw in its ExecutionContext.
TEST(ThreadPoolIntegration, trace_capability_id_matches_executed_capability) {
  constexpr std::size_t kWorkers = 4;
  constexpr std::size_t kCalls = 8;
  auto log = std::make_shared<ThreadLog>();
  auto rendezvous = std::make_shared<Rendezvous>(kWorkers);
  const std::vector<std::pair<std::string, std::string>> identities = {
      {"it.pool.tally-alpha", "1.0.0"},
      {"it.pool.tally-beta", "1.2.0"},
      {"it.pool.tally-gamma", "2.0.0"},
      {"it.pool.tally-delta", "0.3.0"}};
  std::vector<TestCapability> specs;
  for (const auto& [id, version] : identities) {
    specs.push_back(capability(
        id, object_schema({{"call", "integer"}}),
        object_schema({{"capability", "string"}, {"version", "string"}, {"call", "integer"}}),
        [log, rendezvous](const Value& input, ExecutionContext& context) -> NativeHandler::Result {
          log->record();
          if (auto timed_out = meet(rendezvous)) {
            return std::unexpected(*timed_out);
          }
          const auto call = integer_member(input, "call");
          if (!call) {
            return bad_input("call", "integer");
          }
          return Value{{"capability", context.capability_id()},
                       {"version", context.capability_version()},
                       {"call", *call}};
        },
        {}, version));
  }
  auto runtime = pooled_runtime(specs, kWorkers);
  ASSERT_TRUE(runtime.has_value()) << runtime.error();

  std::vector<RuntimeResult> results(kCalls);
  run_concurrently(kCalls, [&](std::size_t i) {
    const auto& [id, version] = identities[i % identities.size()];
    results[i] = (*runtime)->execute_capability(request_for(
        "tally-" + std::to_string(i), id, Value{{"call", static_cast<std::int64_t>(i)}}, version));
  });

  const auto& store = (*runtime)->trace_store();
  for (std::size_t i = 0; i < kCalls; ++i) {
    const auto& [id, version] = identities[i % identities.size()];
    ASSERT_TRUE(results[i].completed()) << i << ": " << describe(results[i]);
    ASSERT_TRUE(results[i].output.has_value());
    EXPECT_EQ(
        *results[i].output,
        (Value{{"capability", id}, {"version", version}, {"call", static_cast<std::int64_t>(i)}}));
    auto record = store->get(results[i].trace_ref);
    ASSERT_TRUE(record.has_value()) << record.error().to_string();
    EXPECT_EQ(record->public_entry.capability_id, id) << i;
    EXPECT_EQ(record->public_entry.capability_version, version) << i;
    EXPECT_EQ(record->public_entry.source, "traverse-runtime/" + id) << i;
    EXPECT_EQ(record->public_entry.execution_id, "exec_tally-" + std::to_string(i));
    const auto trace = (*runtime)->runtime_trace(results[i].trace_ref);
    ASSERT_TRUE(trace.has_value());
    EXPECT_EQ(trace->capability_id, id);
  }
  for (const auto& [id, version] : identities) {
    TraceQuery query;
    query.capability_id = id;
    EXPECT_EQ(store->count(query).value_or(0), 2U) << id;
  }
  EXPECT_EQ(store->count({}).value_or(0), kCalls);
  EXPECT_EQ(count_pool_names(log->names()), kCalls);
}

// R7.3: a capability whose execution ends in an ExecutorError (a returned failure, and a throw
// the pool contains) leaves a Failure TraceStore entry naming the error; a concurrent success
// beside them is unaffected.
TEST(ThreadPoolIntegration, failed_execution_recorded_in_trace) {
  auto log = std::make_shared<ThreadLog>();
  auto rendezvous = std::make_shared<Rendezvous>(3);
  const std::vector<TestCapability> specs = {
      capability("it.pool.place-order",
                 object_schema({{"order", "string"}, {"quantity", "integer"}}),
                 object_schema({{"accepted", "string"}}),
                 [log, rendezvous](const Value& input) -> NativeHandler::Result {
                   log->record();
                   if (auto timed_out = meet(rendezvous)) {
                     return std::unexpected(*timed_out);
                   }
                   const std::string* order = string_member(input, "order");
                   const auto quantity = integer_member(input, "quantity");
                   if (order == nullptr || !quantity) {
                     return bad_input("order|quantity", "string and integer");
                   }
                   if (*quantity < 1) {
                     return std::unexpected("order " + *order + " refused: quantity " +
                                            std::to_string(*quantity) + " is below 1");
                   }
                   return Value{{"accepted", *order}};
                 }),
      capability("it.pool.close-ledger", object_schema({}), object_schema({}),
                 [log, rendezvous](const Value&) -> NativeHandler::Result {
                   log->record();
                   if (auto timed_out = meet(rendezvous)) {
                     return std::unexpected(*timed_out);
                   }
                   throw std::runtime_error("ledger offline");
                 })};
  auto runtime = pooled_runtime(specs, 3);
  ASSERT_TRUE(runtime.has_value()) << runtime.error();
  const auto pool = pool_of(**runtime);
  ASSERT_NE(pool, nullptr);

  const std::vector<RuntimeRequest> requests = {
      request_for("order-refused", "it.pool.place-order", Value{{"order", "o-1"}, {"quantity", 0}}),
      request_for("ledger", "it.pool.close-ledger", Value::object()),
      request_for("order-accepted", "it.pool.place-order",
                  Value{{"order", "o-2"}, {"quantity", 5}})};
  std::vector<RuntimeResult> results(requests.size());
  run_concurrently(requests.size(), [&](std::size_t i) {
    results[i] = (*runtime)->execute_capability(requests[i]);
  });

  const auto& store = (*runtime)->trace_store();
  struct Expectation {
    std::string capability_id;
    std::string message_part;
  };
  const std::vector<Expectation> failures = {
      {"it.pool.place-order", "order o-1 refused: quantity 0 is below 1"},
      {"it.pool.close-ledger", "capability panicked: ledger offline"}};
  for (std::size_t i = 0; i < failures.size(); ++i) {
    const RuntimeResult& result = results[i];
    ASSERT_FALSE(result.completed()) << i;
    ASSERT_TRUE(result.error.has_value());
    EXPECT_EQ(result.error->code(), runtime_error_code::kExecutionFailed);
    EXPECT_NE(result.error->message().find(failures[i].message_part), std::string::npos)
        << result.error->message();
    const std::string* error_class = string_member(result.error->details(), "error_class");
    ASSERT_NE(error_class, nullptr) << canonical_dump(result.error->details());
    EXPECT_EQ(*error_class, "ExecutionFailed");

    auto record = store->get(result.trace_ref);
    ASSERT_TRUE(record.has_value()) << record.error().to_string();
    EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Failure);
    EXPECT_EQ(record->public_entry.capability_id, failures[i].capability_id);
    EXPECT_EQ(record->public_entry.error_class, "ExecutionFailed");
    ASSERT_TRUE(record->public_entry.error_message.has_value());
    EXPECT_NE(record->public_entry.error_message->find(failures[i].message_part), std::string::npos)
        << *record->public_entry.error_message;
    EXPECT_TRUE(record->public_entry.published_events.empty());
    ASSERT_TRUE(record->private_entry.has_value());
    EXPECT_FALSE(record->private_entry->outputs_hash.has_value());
  }
  ASSERT_TRUE(results[2].completed()) << describe(results[2]);
  ASSERT_TRUE(results[2].output.has_value());
  EXPECT_EQ(*results[2].output, (Value{{"accepted", "o-2"}}));

  TraceQuery failed;
  failed.outcome = TraceOutcome::Failure;
  EXPECT_EQ(store->count(failed).value_or(0), 2U);
  TraceQuery succeeded;
  succeeded.outcome = TraceOutcome::Success;
  EXPECT_EQ(store->count(succeeded).value_or(0), 1U);
  const ThreadPoolStats stats = pool->stats();
  EXPECT_EQ(stats.completed, 1U);
  EXPECT_EQ(stats.failed, 1U);
  EXPECT_EQ(stats.panicked, 1U);
  EXPECT_EQ(count_pool_names(log->names()), 3U);
}

// R7.3: an event emitted by a capability running on a pool worker is published to the runtime's
// broker after success, and the trace entry records it.
TEST(ThreadPoolIntegration, event_published_by_pool_thread_reaches_broker) {
  auto broker = make_broker();
  ASSERT_TRUE(broker.has_value()) << broker.error();
  TraverseRuntime::Builder builder;
  builder.with_event_catalog(broker->catalog).with_broker(broker->broker);
  auto log = std::make_shared<ThreadLog>();
  auto runtime =
      pooled_runtime({publisher("it.pool.record-mark", 1, log, nullptr)}, 2, std::move(builder));
  ASSERT_TRUE(runtime.has_value()) << runtime.error();
  auto event = register_event(**runtime, kMarkRecorded, {"it.pool.record-mark"});
  ASSERT_TRUE(event.has_value()) << event.error();
  ASSERT_EQ((*runtime)->broker(), broker->broker);
  auto subscription = broker->broker->subscribe(kMarkRecorded, "0");
  ASSERT_TRUE(subscription.has_value()) << subscription.error().message();

  const RuntimeExecution execution =
      (*runtime)->execute(request_for("mark-1", "it.pool.record-mark", Value::object()));
  ASSERT_TRUE(execution.result.completed()) << describe(execution.result);
  EXPECT_TRUE(execution.result.warnings.empty());
  ASSERT_EQ(log->size(), 1U);
  const std::string worker = log->names()[0];
  ASSERT_TRUE(is_pool_thread_name(worker)) << worker;
  EXPECT_NE(log->ids()[0], std::this_thread::get_id());

  auto poll = broker->broker->poll(subscription->subscription_id, 10);
  ASSERT_TRUE(poll.has_value()) << poll.error().message();
  ASSERT_EQ(poll->events.size(), 1U);
  const BrokerEvent& delivered = poll->events[0];
  EXPECT_EQ(delivered.cursor, "1");
  EXPECT_EQ(delivered.event.event_type, kMarkRecorded);
  EXPECT_EQ(delivered.event.version, "1.0.0");
  EXPECT_EQ(delivered.event.source, "traverse-runtime/it.pool.record-mark");
  EXPECT_EQ(delivered.event.owner, "it.pool.record-mark");
  // Emitted on the worker: the payload carries the worker's name.
  EXPECT_EQ(delivered.event.data,
            (Value{{"publisher", "it.pool.record-mark"}, {"seq", 0}, {"worker", worker}}));

  ASSERT_EQ(execution.trace->emitted_events.size(), 1U);
  EXPECT_EQ(execution.trace->emitted_events[0].id, delivered.event.id);
  auto record = (*runtime)->trace_store()->get(execution.result.trace_ref);
  ASSERT_TRUE(record.has_value()) << record.error().to_string();
  EXPECT_EQ(record->public_entry.published_events, std::vector<std::string>{delivered.event.id});
  EXPECT_TRUE(record->public_entry.publish_errors.empty());
  EXPECT_EQ(broker->broker->metrics().publications, 1U);
}

// R7.3: four capabilities on four pool workers each publish three events at once: the broker
// holds all twelve, each once, with distinct increasing cursors and each publisher's in order.
TEST(ThreadPoolIntegration, concurrent_event_publishers_no_broker_corruption) {
  constexpr std::size_t kPublishers = 4;
  constexpr std::int64_t kEventsEach = 3;
  constexpr std::size_t kEvents = kPublishers * static_cast<std::size_t>(kEventsEach);
  auto broker = make_broker();
  ASSERT_TRUE(broker.has_value()) << broker.error();
  TraverseRuntime::Builder builder;
  builder.with_event_catalog(broker->catalog).with_broker(broker->broker);
  auto log = std::make_shared<ThreadLog>();
  auto rendezvous = std::make_shared<Rendezvous>(kPublishers);
  std::vector<std::string> ids;
  std::vector<TestCapability> specs;
  for (std::size_t i = 0; i < kPublishers; ++i) {
    ids.push_back("it.pool.publisher-" + std::to_string(i));
    specs.push_back(publisher(ids.back(), kEventsEach, log, rendezvous));
  }
  auto runtime = pooled_runtime(specs, kPublishers, std::move(builder));
  ASSERT_TRUE(runtime.has_value()) << runtime.error();
  auto event = register_event(**runtime, kMarkRecorded, ids);
  ASSERT_TRUE(event.has_value()) << event.error();
  auto subscription = broker->broker->subscribe(kMarkRecorded, "0");
  ASSERT_TRUE(subscription.has_value()) << subscription.error().message();

  std::vector<RuntimeResult> results(kPublishers);
  run_concurrently(kPublishers, [&](std::size_t i) {
    results[i] = (*runtime)->execute_capability(
        request_for("publish-" + std::to_string(i), ids[i], Value::object()));
  });

  std::set<std::string> traced_event_ids;
  for (std::size_t i = 0; i < kPublishers; ++i) {
    ASSERT_TRUE(results[i].completed()) << i << ": " << describe(results[i]);
    EXPECT_TRUE(results[i].warnings.empty()) << i;
    auto record = (*runtime)->trace_store()->get(results[i].trace_ref);
    ASSERT_TRUE(record.has_value()) << record.error().to_string();
    EXPECT_EQ(record->public_entry.published_events.size(), static_cast<std::size_t>(kEventsEach));
    traced_event_ids.insert(record->public_entry.published_events.begin(),
                            record->public_entry.published_events.end());
  }
  EXPECT_EQ(traced_event_ids.size(), kEvents);

  auto poll = broker->broker->poll(subscription->subscription_id, 100);
  ASSERT_TRUE(poll.has_value()) << poll.error().message();
  EXPECT_EQ(poll->dropped, 0U);
  ASSERT_EQ(poll->events.size(), kEvents);
  std::set<std::string> event_ids;
  std::set<std::pair<std::string, std::int64_t>> marks;
  std::set<std::string> workers;
  std::map<std::string, std::int64_t> next_seq;  // per publisher: cursor order keeps seq order
  std::uint64_t previous_cursor = 0;
  for (const BrokerEvent& delivered : poll->events) {
    const std::uint64_t cursor = parse_cursor(delivered.cursor);
    EXPECT_EQ(cursor, previous_cursor + 1) << delivered.cursor;
    previous_cursor = cursor;
    event_ids.insert(delivered.event.id);
    const std::string* from = string_member(delivered.event.data, "publisher");
    const auto seq = integer_member(delivered.event.data, "seq");
    const std::string* worker = string_member(delivered.event.data, "worker");
    ASSERT_TRUE(from != nullptr && seq.has_value() && worker != nullptr)
        << canonical_dump(delivered.event.data);
    EXPECT_EQ(delivered.event.source, "traverse-runtime/" + *from);
    EXPECT_EQ(*seq, next_seq[*from]++) << *from;
    marks.emplace(*from, *seq);
    workers.insert(*worker);
  }
  EXPECT_EQ(event_ids.size(), kEvents);
  EXPECT_EQ(event_ids, traced_event_ids);
  EXPECT_EQ(marks.size(), kEvents);
  for (const std::string& id : ids) {
    EXPECT_EQ(next_seq[id], kEventsEach) << id;
  }
  EXPECT_EQ(workers.size(), kPublishers);
  for (const std::string& worker : workers) {
    EXPECT_TRUE(is_pool_thread_name(worker)) << worker;
  }

  const BrokerMetrics metrics = broker->broker->metrics();
  EXPECT_EQ(metrics.publications, kEvents);
  EXPECT_EQ(metrics.duplicates, 0U);
  EXPECT_EQ(metrics.dropped, 0U);
  auto again = broker->broker->poll(subscription->subscription_id, 100);
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_TRUE(again->events.empty());
}

// R7.4: a registered 3-step 1.0.0 workflow of native capabilities runs through the runtime, every
// step on a pool worker, four runs at once, each with its own correct final output and step
// traces.
TEST(ThreadPoolIntegration, workflow_with_thread_pool_executor_completes_all_steps) {
  constexpr std::size_t kRuns = 4;
  auto calls = std::make_shared<StepCalls>();
  auto log = std::make_shared<ThreadLog>();
  auto runtime = pipeline_runtime(calls, log);
  ASSERT_TRUE(runtime.has_value()) << runtime.error();
  ASSERT_NE(pool_of(**runtime), nullptr);

  const std::vector<std::pair<std::string, std::string>> names = {
      {"  ada   lovelace ", "Ada Lovelace"},
      {"grace hopper", "Grace Hopper"},
      {"ALAN turing", "Alan Turing"},
      {"\tedsger dijkstra", "Edsger Dijkstra"}};
  std::vector<WorkflowRun> runs(kRuns);
  run_concurrently(kRuns, [&](std::size_t i) {
    runs[i] = run_workflow(**runtime, pipeline_request("wf-" + std::to_string(i), names[i].first));
  });

  const std::vector<std::string> node_ids = {"normalise", "greet", "shout"};
  const std::vector<std::string> capability_ids = {"it.pool.normalise-name", "it.pool.greet-name",
                                                   "it.pool.shout-greeting"};
  std::set<std::string> run_ids;
  for (std::size_t i = 0; i < kRuns; ++i) {
    const WorkflowRun& run = runs[i];
    ASSERT_TRUE(run.completed()) << i << ": " << describe(run);
    ASSERT_TRUE(run.output.has_value());
    const std::string greeting = "Hello, " + names[i].second + "!";
    EXPECT_EQ(*run.output, (Value{{"greeting", greeting}, {"shout", ascii_upper(greeting)}}));
    run_ids.insert(run.run_id);

    ASSERT_EQ(run.steps.size(), 3U);
    auto entries = (*runtime)->trace_store()->list_run(run.run_id);
    ASSERT_TRUE(entries.has_value()) << entries.error().to_string();
    ASSERT_EQ(entries->size(), 3U) << run.run_id;
    for (std::size_t step = 0; step < 3; ++step) {
      EXPECT_EQ(run.steps[step].node_id, node_ids[step]);
      EXPECT_EQ(run.steps[step].status, WorkflowStepStatus::Completed);
      const PublicTraceEntry& entry = (*entries)[step];
      EXPECT_EQ(entry.outcome, TraceOutcome::Success);
      EXPECT_EQ(entry.capability_id, capability_ids[step]);
      EXPECT_EQ(entry.step_index, step);
      EXPECT_EQ(entry.workflow_run_id, run.run_id);
      EXPECT_EQ(run.steps[step].trace_id, entry.id);
    }
  }
  EXPECT_EQ(run_ids.size(), kRuns);
  EXPECT_EQ(calls->normalise.load(), 4);
  EXPECT_EQ(calls->greet.load(), 4);
  EXPECT_EQ(calls->shout.load(), 4);
  const std::vector<std::string> threads = log->names();
  ASSERT_EQ(threads.size(), 3 * kRuns);
  EXPECT_EQ(count_pool_names(threads), 3 * kRuns);
}

// R7.4: when the second step fails the run stops there: the result names the failed node, the
// third step's handler is never called and never traced. A later valid run still completes, so
// the third handler was reachable.
TEST(ThreadPoolIntegration, workflow_step_failure_halts_traversal) {
  auto calls = std::make_shared<StepCalls>();
  auto log = std::make_shared<ThreadLog>();
  auto runtime = pipeline_runtime(calls, log);
  ASSERT_TRUE(runtime.has_value()) << runtime.error();
  const auto pool = pool_of(**runtime);
  ASSERT_NE(pool, nullptr);

  const WorkflowRun run = run_workflow(**runtime, pipeline_request("wf-fail", "  nobody "));
  ASSERT_FALSE(run.completed());
  ASSERT_TRUE(run.error.has_value());
  EXPECT_EQ(run.error->kind(), WorkflowFailureReason::StepExecutionFailed);
  EXPECT_EQ(run.error->node_id(), "greet");
  EXPECT_EQ(run.error->step_index(), 1U);
  EXPECT_EQ(run.error->code(), runtime_error_code::kExecutionFailed);
  EXPECT_EQ(run.error->error_class(), "ExecutionFailed");
  EXPECT_NE(run.error->message().find("cannot greet 'Nobody'"), std::string::npos)
      << run.error->message();
  EXPECT_FALSE(run.output.has_value());

  EXPECT_EQ(calls->normalise.load(), 1);
  EXPECT_EQ(calls->greet.load(), 1);
  EXPECT_EQ(calls->shout.load(), 0);
  ASSERT_EQ(run.steps.size(), 2U);
  EXPECT_EQ(run.steps[0].node_id, "normalise");
  EXPECT_EQ(run.steps[0].status, WorkflowStepStatus::Completed);
  EXPECT_EQ(run.steps[1].node_id, "greet");
  EXPECT_EQ(run.steps[1].status, WorkflowStepStatus::Failed);
  const Value* result = member(run.evidence, "result");
  ASSERT_NE(result, nullptr) << canonical_dump(run.evidence);
  const std::string* failure_reason = string_member(*result, "failure_reason");
  ASSERT_NE(failure_reason, nullptr) << canonical_dump(*result);
  EXPECT_EQ(*failure_reason, "step_execution_failed");

  const auto& store = (*runtime)->trace_store();
  auto entries = store->list_run(run.run_id);
  ASSERT_TRUE(entries.has_value()) << entries.error().to_string();
  ASSERT_EQ(entries->size(), 2U);
  EXPECT_EQ((*entries)[0].capability_id, "it.pool.normalise-name");
  EXPECT_EQ((*entries)[0].outcome, TraceOutcome::Success);
  EXPECT_EQ((*entries)[1].capability_id, "it.pool.greet-name");
  EXPECT_EQ((*entries)[1].outcome, TraceOutcome::Failure);
  EXPECT_EQ((*entries)[1].error_class, "ExecutionFailed");
  TraceQuery shout;
  shout.capability_id = "it.pool.shout-greeting";
  EXPECT_EQ(store->count(shout).value_or(1), 0U);
  const ThreadPoolStats stats = pool->stats();
  EXPECT_EQ(stats.completed, 1U);
  EXPECT_EQ(stats.failed, 1U);

  const WorkflowRun valid = run_workflow(**runtime, pipeline_request("wf-ok", "alan kay"));
  ASSERT_TRUE(valid.completed()) << describe(valid);
  EXPECT_EQ(calls->shout.load(), 1);
  EXPECT_EQ(count_pool_names(log->names()), 5U);
}

// R7.5 (and R4.1): a WASM capability from examples/expedition, registered from its package beside
// a native one, runs through the runtime's WasmExecutor with its documented output and event;
// the Native executor (a counting decorator around the ThreadPoolExecutor) never sees it, alone
// or while native calls run on the pool at the same time.
TEST(ThreadPoolIntegration, wasm_capability_bypasses_thread_pool) {
  auto log = std::make_shared<ThreadLog>();
  const std::vector<TestCapability> specs = {square(log, nullptr)};
  ThreadPoolExecutorConfig config;
  config.capacity = 2;
  auto created =
      ThreadPoolExecutor::create(config, std::make_unique<NativeExecutor>(handler_table(specs)));
  ASSERT_TRUE(created.has_value()) << created.error().message();
  const std::shared_ptr<const ThreadPoolExecutor> pool = std::move(*created);
  const auto counting = std::make_shared<CountingExecutor>(pool);
  TraverseRuntime::Builder builder;
  builder.with_wasm_config(WasmExecutorConfig{});  // a WasmExecutor is required, not optional
  auto runtime = runtime_with_native_executor(counting, specs, std::move(builder));
  ASSERT_TRUE(runtime.has_value()) << runtime.error();
  const auto wasm =
      std::dynamic_pointer_cast<const WasmExecutor>((*runtime)->executor(ArtifactType::Wasm));
  ASSERT_NE(wasm, nullptr);

  auto package = (*runtime)->register_package(
      kExpedition / "capabilities/capture-expedition-objective/package.json");
  ASSERT_TRUE(package.has_value()) << describe(package.error());
  ASSERT_NE(package->record, nullptr);
  EXPECT_EQ(package->record->artifact.kind, ArtifactKind::Wasm);
  auto event_contract = load_event_contract(kExpedition / "events/objective-captured.json");
  ASSERT_TRUE(event_contract.has_value()) << describe(event_contract.error());
  auto event = (*runtime)->register_event(*event_contract);
  ASSERT_TRUE(event.has_value()) << event.error().message();
  auto subscription = (*runtime)->broker()->subscribe(kObjectiveCaptured, "0");
  ASSERT_TRUE(subscription.has_value()) << subscription.error().message();

  // The WASM capability alone: documented output, and the pool is not invoked.
  const Value first_input = objective_input("  Summit Mont Blanc by the Gouter route ");
  const RuntimeResult first =
      (*runtime)->execute_capability(request_for("wasm-0", kCaptureObjective, first_input));
  ASSERT_TRUE(first.completed()) << describe(first);
  ASSERT_TRUE(first.output.has_value());
  EXPECT_EQ(*first.output, expected_capture(first_input, "Summit Mont Blanc by the Gouter route"));
  EXPECT_TRUE(first.warnings.empty());
  EXPECT_EQ(counting->native_calls(), 0U);
  EXPECT_EQ(counting->wasm_calls(), 0U);
  EXPECT_EQ(pool->stats(), (ThreadPoolStats{2, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(wasm->stats().executions, 1U);

  // WASM and native calls side by side: only the native ones reach the pool.
  constexpr std::size_t kCalls = 4;
  std::vector<RuntimeRequest> requests;
  std::vector<Value> expected;
  for (std::size_t i = 0; i < kCalls; ++i) {
    const std::string n = std::to_string(i);
    if (i % 2 == 0) {
      const std::string objective = "Traverse the Haute Route, stage " + n;
      requests.push_back(request_for("wasm-" + n, kCaptureObjective, objective_input(objective)));
      expected.push_back(expected_capture(requests.back().input, objective));
    } else {
      const auto value = static_cast<std::int64_t>(i) + 10;
      requests.push_back(request_for("native-" + n, "it.pool.square", Value{{"n", value}}));
      expected.push_back(Value{{"n", value}, {"square", value * value}});
    }
  }
  std::vector<RuntimeResult> results(kCalls);
  run_concurrently(
      kCalls, [&](std::size_t i) { results[i] = (*runtime)->execute_capability(requests[i]); });
  for (std::size_t i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(results[i].completed()) << i << ": " << describe(results[i]);
    ASSERT_TRUE(results[i].output.has_value());
    EXPECT_EQ(*results[i].output, expected[i]) << i;
    auto record = (*runtime)->trace_store()->get(results[i].trace_ref);
    ASSERT_TRUE(record.has_value()) << record.error().to_string();
    EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Success);
    EXPECT_EQ(record->public_entry.capability_id, *requests[i].capability_id);
  }

  EXPECT_EQ(counting->wasm_calls(), 0U);
  EXPECT_EQ(counting->native_calls(), 2U);
  EXPECT_EQ(counting->seen(), (std::vector<std::string>{"it.pool.square", "it.pool.square"}));
  const ThreadPoolStats stats = pool->stats();
  EXPECT_EQ(stats.completed, 2U);
  EXPECT_EQ(stats.rejected, 0U);
  EXPECT_EQ(stats.failed + stats.panicked + stats.timed_out, 0U);
  EXPECT_EQ(wasm->stats().executions, 3U);
  const std::vector<std::string> names = log->names();
  ASSERT_EQ(names.size(), 2U);
  EXPECT_EQ(count_pool_names(names), 2U);

  // The WASM capability's events went through the broker too, one per WASM execution.
  auto poll = (*runtime)->broker()->poll(subscription->subscription_id, 10);
  ASSERT_TRUE(poll.has_value()) << poll.error().message();
  std::set<std::string> objective_ids;
  for (const BrokerEvent& delivered : poll->events) {
    EXPECT_EQ(delivered.event.source, "traverse-runtime/" + kCaptureObjective);
    const std::string* objective_id = string_member(delivered.event.data, "objective_id");
    ASSERT_NE(objective_id, nullptr) << canonical_dump(delivered.event.data);
    objective_ids.insert(*objective_id);
  }
  std::set<std::string> expected_ids;
  const std::array<const Value*, 3> wasm_outputs = {&*first.output, &*results[0].output,
                                                    &*results[2].output};
  for (const Value* output : wasm_outputs) {
    const std::string* objective_id = string_member(*output, "objective_id");
    ASSERT_NE(objective_id, nullptr);
    expected_ids.insert(*objective_id);
  }
  EXPECT_EQ(objective_ids, expected_ids);
  EXPECT_EQ(poll->events.size(), 3U);
}

}  // namespace
}  // namespace traverse
