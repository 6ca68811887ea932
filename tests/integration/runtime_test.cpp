// Governing spec: 010-runtime-stack
//
// The whole execution path through one TraverseRuntime: registry bundle → input schema →
// placement → native thread pool → trace store → event broker, from many threads at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "traverse/runtime/traverse_runtime.hpp"
#include "traverse/support/digest.hpp"
#include "traverse/support/ids.hpp"
#include "traverse/trace/sqlite_trace_store.hpp"

namespace traverse {
namespace {

const std::filesystem::path kBundle =
    std::filesystem::path(TRAVERSE_SOURCE_DIR) / "tests/data/runtime/bundle/manifest.json";
constexpr const char* kItemRecorded = "demo.runtime.item-recorded";

const std::vector<std::string> kCapabilities = {
    "demo.runtime.add-numbers", "demo.runtime.greet-person", "demo.runtime.reverse-text",
    "demo.runtime.record-item"};

// Handlers of the four bundle capabilities. greet-person fails for the name "fail";
// record-item emits an undeclared event for item ids starting with "undeclared".
TraverseRuntime::Builder builder_with_handlers() {
  TraverseRuntime::Builder builder;
  builder.with_native_pool_capacity(4);
  builder.with_native_handler("demo.runtime.add-numbers", [](const Value& input) {
    return NativeHandler::Result(
        Value{{"sum", input["a"].get<std::int64_t>() + input["b"].get<std::int64_t>()}});
  });
  builder.with_native_handler("demo.runtime.greet-person",
                              [](const Value& input) -> NativeHandler::Result {
                                const std::string name = input["name"].get<std::string>();
                                if (name == "fail") {
                                  return std::unexpected("cannot greet '" + name + "'");
                                }
                                return Value{{"greeting", "Hello, " + name + "!"}};
                              });
  builder.with_native_handler("demo.runtime.reverse-text", [](const Value& input) {
    std::string text = input["text"].get<std::string>();
    std::reverse(text.begin(), text.end());
    return NativeHandler::Result(Value{{"reversed", text}});
  });
  builder.with_native_handler(
      "demo.runtime.record-item",
      [](const Value& input, ExecutionContext& context) -> NativeHandler::Result {
        const std::string item = input["item_id"].get<std::string>();
        const std::string event =
            item.starts_with("undeclared") ? "demo.runtime.unknown-event" : kItemRecorded;
        if (auto emitted = context.emit(event, "1.0.0", Value{{"item_id", item}}); !emitted) {
          return std::unexpected("emit refused: " + std::string(to_string(emitted.error())));
        }
        return Value{{"recorded", item}};
      });
  return builder;
}

std::unique_ptr<TraverseRuntime> build_runtime(TraverseRuntime::Builder builder) {
  auto built = builder.build();
  EXPECT_TRUE(built.has_value()) << built.error().to_string();
  if (!built) {
    return nullptr;
  }
  auto loaded = (*built)->load_bundle(kBundle);
  EXPECT_TRUE(loaded.has_value()) << to_string(loaded.error().at(0));
  return std::move(*built);
}

RuntimeRequest request_for(std::string request_id, const std::string& capability_id, Value input) {
  RuntimeRequest request;
  request.request_id = std::move(request_id);
  request.capability_id = capability_id;
  request.capability_version = "1.0.0";
  request.input = std::move(input);
  return request;
}

// Request i of a concurrent batch: its capability (i % 4), its input and its expected output.
struct Case {
  RuntimeRequest request;
  Value expected;
};

Case case_for(int i) {
  const std::string n = std::to_string(i);
  switch (i % 4) {
    case 0:
      return {request_for("req-" + n, kCapabilities[0], {{"a", i}, {"b", 1000}}),
              Value{{"sum", i + 1000}}};
    case 1:
      return {request_for("req-" + n, kCapabilities[1], {{"name", "user-" + n}}),
              Value{{"greeting", "Hello, user-" + n + "!"}}};
    case 2: {
      std::string text = "text-" + n;
      std::string reversed(text.rbegin(), text.rend());
      return {request_for("req-" + n, kCapabilities[2], {{"text", text}}),
              Value{{"reversed", reversed}}};
    }
    default:
      return {request_for("req-" + n, kCapabilities[3], {{"item_id", "item-" + n}}),
              Value{{"recorded", "item-" + n}}};
  }
}

// Runs `cases` from one thread each, all released at once by a barrier.
std::vector<RuntimeResult> run_concurrently(TraverseRuntime& runtime,
                                            const std::vector<Case>& cases) {
  std::vector<RuntimeResult> results(cases.size());
  std::barrier start(static_cast<std::ptrdiff_t>(cases.size()));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = runtime.execute_capability(cases[i].request);
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  return results;
}

TEST(RuntimeIntegration, SixteenConcurrentRequestsOverFourCapabilitiesEachGetOwnOutputAndTrace) {
  auto runtime = build_runtime(builder_with_handlers());
  ASSERT_NE(runtime, nullptr);
  std::vector<Case> cases;
  for (int i = 0; i < 16; ++i) {
    cases.push_back(case_for(i));
  }
  const std::vector<RuntimeResult> results = run_concurrently(*runtime, cases);

  std::set<std::string> trace_refs;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const RuntimeResult& result = results[i];
    ASSERT_TRUE(result.completed()) << i << ": " << result.error->message();
    EXPECT_EQ(result.output, cases[i].expected) << i;
    EXPECT_EQ(result.request_id, cases[i].request.request_id);
    EXPECT_EQ(result.execution_id, "exec_" + cases[i].request.request_id);
    trace_refs.insert(result.trace_ref);

    auto record = runtime->trace_store()->get(result.trace_ref);
    ASSERT_TRUE(record.has_value()) << i;
    EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Success);
    EXPECT_EQ(record->public_entry.capability_id, *cases[i].request.capability_id);
    EXPECT_EQ(record->public_entry.execution_id, result.execution_id);
    ASSERT_TRUE(record->private_entry.has_value());
    EXPECT_EQ(record->private_entry->inputs_hash,
              sha256_hex(canonical_dump(cases[i].request.input)));
    EXPECT_EQ(record->private_entry->outputs_hash, sha256_hex(canonical_dump(cases[i].expected)));
  }
  EXPECT_EQ(trace_refs.size(), 16u);

  // Exactly one entry per request: the store holds these 16 ids and nothing else.
  auto listed = runtime->trace_store()->list_public({});
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 16u);
  std::map<std::string, int> per_id;
  for (const PublicTraceEntry& entry : *listed) {
    ++per_id[entry.id];
  }
  for (const std::string& ref : trace_refs) {
    EXPECT_EQ(per_id[ref], 1) << ref;
  }
  for (const std::string& capability : kCapabilities) {
    TraceQuery query;
    query.capability_id = capability;
    EXPECT_EQ(runtime->trace_store()->count(query).value_or(0), 4u) << capability;
  }
}

TEST(RuntimeIntegration, FailedExecutionsAreTracedAsFailure) {
  auto runtime = build_runtime(builder_with_handlers());
  ASSERT_NE(runtime, nullptr);
  std::vector<Case> cases;
  for (int i = 0; i < 8; ++i) {
    const bool fail = i % 2 == 0;
    cases.push_back({request_for("greet-" + std::to_string(i), kCapabilities[1],
                                 {{"name", fail ? "fail" : "ok-" + std::to_string(i)}}),
                     Value()});
  }
  const std::vector<RuntimeResult> results = run_concurrently(*runtime, cases);
  for (std::size_t i = 0; i < results.size(); ++i) {
    auto record = runtime->trace_store()->get(results[i].trace_ref);
    ASSERT_TRUE(record.has_value()) << i;
    if (i % 2 == 0) {
      ASSERT_FALSE(results[i].completed());
      EXPECT_EQ(results[i].error->code(), runtime_error_code::kExecutionFailed);
      EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Failure);
      EXPECT_EQ(record->public_entry.error_class, "ExecutionFailed");
      EXPECT_NE(record->public_entry.error_message->find("cannot greet 'fail'"), std::string::npos);
      EXPECT_FALSE(record->private_entry->outputs_hash.has_value());
    } else {
      ASSERT_TRUE(results[i].completed());
      EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Success);
    }
  }
  TraceQuery failures;
  failures.outcome = TraceOutcome::Failure;
  EXPECT_EQ(runtime->trace_store()->count(failures).value_or(0), 4u);
  EXPECT_EQ(runtime->trace_store()->count({}).value_or(0), 8u);
}

TEST(RuntimeIntegration, EventsEmittedByNativeCapabilityReachSubscriber) {
  auto runtime = build_runtime(builder_with_handlers());
  ASSERT_NE(runtime, nullptr);
  auto subscription = runtime->broker()->subscribe(kItemRecorded, "0");
  ASSERT_TRUE(subscription.has_value()) << subscription.error().message();

  std::vector<Case> cases;
  for (int i = 0; i < 8; ++i) {
    cases.push_back(case_for(4 * i + 3));  // record-item
  }
  const std::vector<RuntimeResult> results = run_concurrently(*runtime, cases);
  std::set<std::string> expected_items;
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].completed()) << results[i].error->message();
    EXPECT_TRUE(results[i].warnings.empty());
    expected_items.insert(cases[i].request.input["item_id"].get<std::string>());
  }

  auto poll = runtime->broker()->poll(subscription->subscription_id, 100);
  ASSERT_TRUE(poll.has_value());
  ASSERT_EQ(poll->events.size(), 8u);
  std::set<std::string> delivered_items;
  std::uint64_t previous_cursor = 0;
  for (const BrokerEvent& delivered : poll->events) {
    EXPECT_EQ(delivered.event.event_type, kItemRecorded);
    EXPECT_EQ(delivered.event.source, "traverse-runtime/demo.runtime.record-item");
    delivered_items.insert(delivered.event.data["item_id"].get<std::string>());
    const std::uint64_t cursor = std::stoull(delivered.cursor);
    EXPECT_GT(cursor, previous_cursor);
    previous_cursor = cursor;
  }
  EXPECT_EQ(delivered_items, expected_items);
}

TEST(RuntimeIntegration, UndeclaredEventIsRejectedAtEmitAndNothingIsPublished) {
  auto runtime = build_runtime(builder_with_handlers());
  ASSERT_NE(runtime, nullptr);
  auto subscription = runtime->broker()->subscribe(kItemRecorded, "0");
  ASSERT_TRUE(subscription.has_value());

  const RuntimeResult result = runtime->execute_capability(
      request_for("undeclared-1", kCapabilities[3], {{"item_id", "undeclared-1"}}));
  ASSERT_FALSE(result.completed());
  EXPECT_EQ(result.error->code(), runtime_error_code::kExecutionFailed);
  EXPECT_NE(result.error->message().find(to_string(EmitError::UndeclaredEvent)), std::string::npos)
      << result.error->message();

  auto record = runtime->trace_store()->get(result.trace_ref);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->public_entry.outcome, TraceOutcome::Failure);
  EXPECT_TRUE(record->public_entry.published_events.empty());
  auto poll = runtime->broker()->poll(subscription->subscription_id, 10);
  ASSERT_TRUE(poll.has_value());
  EXPECT_TRUE(poll->events.empty());
}

TEST(RuntimeIntegration, SqliteTraceStoreReopenedAfterRuntimeListsEveryEntry) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("traverse-runtime-test-" + new_uuid_v4());
  std::filesystem::create_directories(dir);
  const std::filesystem::path db = dir / "traces.db";

  std::vector<std::string> sequential_refs;
  std::set<std::string> all_refs;
  {
    auto store = SqliteTraceStore::open(db);
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    auto builder = builder_with_handlers();
    builder.with_trace_store(std::shared_ptr<TraceStore>(std::move(*store)));
    auto runtime = build_runtime(std::move(builder));
    ASSERT_NE(runtime, nullptr);

    std::vector<Case> cases;
    for (int i = 0; i < 16; ++i) {
      cases.push_back(case_for(i));
    }
    for (const RuntimeResult& result : run_concurrently(*runtime, cases)) {
      ASSERT_TRUE(result.completed()) << result.error->message();
      all_refs.insert(result.trace_ref);
    }
    // Then a few in a known order, one of them failing.
    for (const std::string name : {"first", "fail", "last"}) {
      const RuntimeResult result = runtime->execute_capability(
          request_for("seq-" + name, kCapabilities[1], {{"name", name}}));
      sequential_refs.push_back(result.trace_ref);
      all_refs.insert(result.trace_ref);
    }
  }  // runtime and store destroyed: the connection is closed

  auto reopened = SqliteTraceStore::open(db);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  auto listed = (*reopened)->list_public({});
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 19u);
  std::set<std::string> listed_ids;
  for (const PublicTraceEntry& entry : *listed) {
    listed_ids.insert(entry.id);
  }
  EXPECT_EQ(listed_ids, all_refs);
  // Insertion order is kept: the three sequential executions come last, in order.
  EXPECT_EQ((*listed)[16].id, sequential_refs[0]);
  EXPECT_EQ((*listed)[17].id, sequential_refs[1]);
  EXPECT_EQ((*listed)[18].id, sequential_refs[2]);
  EXPECT_EQ((*listed)[17].outcome, TraceOutcome::Failure);
  EXPECT_EQ((*listed)[17].error_class, "ExecutionFailed");

  auto record = (*reopened)->get(sequential_refs[0]);
  ASSERT_TRUE(record.has_value());
  ASSERT_TRUE(record->private_entry.has_value());
  EXPECT_EQ(record->private_entry->inputs_hash, sha256_hex(R"({"name":"first"})"));

  reopened->reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace
}  // namespace traverse
