// Governing spec: 010-runtime-stack
//
// Behaviour every TraceStore must have, run against InMemoryTraceStore and SqliteTraceStore.
#include "traverse/trace/trace_store.hpp"

#include <gtest/gtest.h>

#include <barrier>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "trace_test_support.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"
#include "traverse/trace/sqlite_trace_store.hpp"

namespace traverse {
namespace {

using trace_test::base_time;
using trace_test::entry;

struct InMemoryFactory {
  static constexpr bool kDurable = false;
  std::unique_ptr<TraceStore> make(bool keep_payloads = false) {
    return std::make_unique<InMemoryTraceStore>(
        InMemoryTraceStoreOptions{.keep_payloads = keep_payloads, .max_entries = std::nullopt});
  }
};

struct SqliteFactory {
  static constexpr bool kDurable = true;
  trace_test::TempDir dir;
  int n = 0;
  std::unique_ptr<TraceStore> make(bool keep_payloads = false) {
    auto store = SqliteTraceStore::open(dir.path() / ("traces-" + std::to_string(n++) + ".db"),
                                        SqliteTraceStoreOptions{.keep_payloads = keep_payloads});
    EXPECT_TRUE(store.has_value()) << store.error().to_string();
    return store ? std::move(*store) : nullptr;
  }
};

template <typename Factory>
class TraceStoreTest : public ::testing::Test {
 protected:
  Factory factory_;
};

using StoreFactories = ::testing::Types<InMemoryFactory, SqliteFactory>;
class FactoryNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, InMemoryFactory> ? "InMemory" : "Sqlite";
  }
};
TYPED_TEST_SUITE(TraceStoreTest, StoreFactories, FactoryNames);

std::vector<std::string> ids(const std::vector<PublicTraceEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries)
    out.push_back(e.id);
  return out;
}

TYPED_TEST(TraceStoreTest, InsertThenGetReturnsPublicAndPrivateEntries) {
  auto store = this->factory_.make();
  ASSERT_NE(store, nullptr);
  PublicTraceEntry pub = entry("t1");
  pub.published_events = {"ev-1"};
  const Value input = Value{{"x", 1}};
  const Value output = Value{{"y", 2.0}};
  auto priv = make_private_trace_entry("t1", input, &output, 3, false);
  ASSERT_TRUE(store->insert(pub, priv).has_value());

  auto got = store->get("t1");
  ASSERT_TRUE(got.has_value()) << got.error().to_string();
  EXPECT_EQ(got->public_entry, pub);
  ASSERT_TRUE(got->private_entry.has_value());
  EXPECT_EQ(*got->private_entry, priv);

  auto missing = store->get("nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind(), TraceErrorKind::NotFound);
}

TYPED_TEST(TraceStoreTest, PublicOnlyInsertHasNoPrivateEntry) {
  auto store = this->factory_.make();
  ASSERT_TRUE(store->insert(entry("t1", "cap", TraceOutcome::Failure), std::nullopt).has_value());
  auto got = store->get("t1");
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->private_entry.has_value());
  EXPECT_EQ(got->public_entry.outcome, TraceOutcome::Failure);
  EXPECT_EQ(got->public_entry.error_class, "ExecutionFailed");
}

TYPED_TEST(TraceStoreTest, DuplicateIdIsAConflictAndKeepsTheFirstEntry) {
  auto store = this->factory_.make();
  ASSERT_TRUE(store->insert(entry("t1", "first"), std::nullopt).has_value());
  auto second = store->insert(entry("t1", "second"), std::nullopt);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().kind(), TraceErrorKind::Conflict);
  EXPECT_EQ(store->get("t1")->public_entry.capability_id, "first");
  EXPECT_EQ(*store->count({}), 1U);
}

TYPED_TEST(TraceStoreTest, InvalidInsertsAreRejectedAndWriteNothing) {
  auto store = this->factory_.make();
  auto no_id = store->insert(entry(""), std::nullopt);
  ASSERT_FALSE(no_id.has_value());
  EXPECT_EQ(no_id.error().kind(), TraceErrorKind::InvalidArgument);

  PublicTraceEntry bad_time = entry("t1");
  bad_time.time = "yesterday";
  auto time_error = store->insert(bad_time, std::nullopt);
  ASSERT_FALSE(time_error.has_value());
  EXPECT_EQ(time_error.error().kind(), TraceErrorKind::InvalidArgument);
  EXPECT_NE(time_error.error().message().find("yesterday"), std::string::npos);

  auto mismatch =
      store->insert(entry("t2"), make_private_trace_entry("other", Value(1), nullptr, 0, false));
  ASSERT_FALSE(mismatch.has_value());
  EXPECT_EQ(mismatch.error().kind(), TraceErrorKind::InvalidArgument);
  EXPECT_EQ(*store->count({}), 0U);
}

TYPED_TEST(TraceStoreTest, PayloadsAreKeptOnlyWhenConfigured) {
  const Value input = Value{{"secret", "s"}};
  const Value output = Value{{"answer", 42}};
  auto with_payloads = make_private_trace_entry("t1", input, &output, 1, true);

  auto dropping = this->factory_.make(false);
  EXPECT_FALSE(dropping->keeps_payloads());
  ASSERT_TRUE(dropping->insert(entry("t1"), with_payloads).has_value());
  auto dropped = dropping->get("t1");
  ASSERT_TRUE(dropped.has_value());
  EXPECT_FALSE(dropped->private_entry->input.has_value());
  EXPECT_FALSE(dropped->private_entry->output.has_value());
  EXPECT_EQ(dropped->private_entry->inputs_hash, with_payloads.inputs_hash);

  auto keeping = this->factory_.make(true);
  EXPECT_TRUE(keeping->keeps_payloads());
  ASSERT_TRUE(keeping->insert(entry("t1"), with_payloads).has_value());
  auto kept = keeping->get("t1");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->private_entry->input, input);
  EXPECT_EQ(kept->private_entry->output, output);
}

TYPED_TEST(TraceStoreTest, ListIsInInsertionOrderAndFiltersCombine) {
  auto store = this->factory_.make();
  // Inserted out of time order on purpose: list order is insertion order, not time order.
  ASSERT_TRUE(store->insert(entry("e0", "cap.a", TraceOutcome::Success, 30), {}).has_value());
  ASSERT_TRUE(store->insert(entry("e1", "cap.b", TraceOutcome::Failure, 10), {}).has_value());
  ASSERT_TRUE(store->insert(entry("e2", "cap.a", TraceOutcome::Failure, 20), {}).has_value());
  ASSERT_TRUE(store->insert(entry("e3", "cap.a", TraceOutcome::Success, 0), {}).has_value());
  PublicTraceEntry step = entry("e4", "cap.b", TraceOutcome::Success, 40);
  step.workflow_run_id = "run-1";
  step.step_index = 0;
  ASSERT_TRUE(store->insert(step, {}).has_value());

  EXPECT_EQ(ids(*store->list_public({})), (std::vector<std::string>{"e0", "e1", "e2", "e3", "e4"}));
  EXPECT_EQ(ids(*store->list_public({.capability_id = "cap.a"})),
            (std::vector<std::string>{"e0", "e2", "e3"}));
  EXPECT_EQ(ids(*store->list_public({.outcome = TraceOutcome::Failure})),
            (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(ids(*store->list_public({.capability_id = "cap.a", .outcome = TraceOutcome::Success})),
            (std::vector<std::string>{"e0", "e3"}));
  EXPECT_EQ(ids(*store->list_public({.workflow_run_id = "run-1"})),
            (std::vector<std::string>{"e4"}));
  EXPECT_TRUE(store->list_public({.capability_id = "cap.none"})->empty());
  EXPECT_TRUE(store->list_public({.workflow_run_id = "run-none"})->empty());
  // Time range is [from, to): 10 s is included, 30 s is excluded.
  EXPECT_EQ(ids(*store->list_public({.from = base_time(10), .to = base_time(30)})),
            (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(ids(*store->list_public({.from = base_time(25)})),
            (std::vector<std::string>{"e0", "e4"}));
  EXPECT_EQ(ids(*store->list_public({.to = base_time(10)})), (std::vector<std::string>{"e3"}));

  EXPECT_EQ(*store->count({}), 5U);
  EXPECT_EQ(*store->count({.capability_id = "cap.a"}), 3U);
  EXPECT_EQ(*store->count({.outcome = TraceOutcome::Failure, .to = base_time(15)}), 1U);
}

TYPED_TEST(TraceStoreTest, PaginationWalksMatchesWithOffsetAndLimit) {
  auto store = this->factory_.make();
  for (int i = 0; i < 10; ++i) {
    const std::string cap = i % 2 == 0 ? "even" : "odd";
    ASSERT_TRUE(store->insert(entry("p" + std::to_string(i), cap), {}).has_value());
  }
  EXPECT_EQ(ids(*store->list_public({.offset = 0, .limit = 3})),
            (std::vector<std::string>{"p0", "p1", "p2"}));
  EXPECT_EQ(ids(*store->list_public({.offset = 3, .limit = 3})),
            (std::vector<std::string>{"p3", "p4", "p5"}));
  EXPECT_EQ(ids(*store->list_public({.offset = 9, .limit = 3})), (std::vector<std::string>{"p9"}));
  EXPECT_TRUE(store->list_public({.offset = 10})->empty());
  EXPECT_TRUE(store->list_public({.limit = 0})->empty());
  // Offset counts matches, not all entries.
  EXPECT_EQ(ids(*store->list_public({.capability_id = "odd", .offset = 1, .limit = 2})),
            (std::vector<std::string>{"p3", "p5"}));
  EXPECT_EQ(*store->count({.capability_id = "odd", .offset = 1, .limit = 2}), 5U);
}

TYPED_TEST(TraceStoreTest, ListRunOrdersStepsByStepIndex) {
  auto store = this->factory_.make();
  auto step = [](std::string id, std::string run, std::optional<std::uint64_t> index) {
    PublicTraceEntry e = entry(std::move(id));
    e.workflow_run_id = std::move(run);
    e.step_index = index;
    return e;
  };
  ASSERT_TRUE(store->insert(step("s2", "run-a", 2), {}).has_value());
  ASSERT_TRUE(store->insert(step("other", "run-b", 0), {}).has_value());
  ASSERT_TRUE(store->insert(step("s0", "run-a", 0), {}).has_value());
  ASSERT_TRUE(store->insert(step("nostep", "run-a", std::nullopt), {}).has_value());
  ASSERT_TRUE(store->insert(step("s1", "run-a", 1), {}).has_value());
  ASSERT_TRUE(store->insert(step("s1-retry", "run-a", 1), {}).has_value());
  ASSERT_TRUE(store->insert(entry("plain"), {}).has_value());

  EXPECT_EQ(ids(*store->list_run("run-a")),
            (std::vector<std::string>{"s0", "s1", "s1-retry", "s2", "nostep"}));
  EXPECT_EQ(ids(*store->list_run("run-b")), (std::vector<std::string>{"other"}));
  EXPECT_TRUE(store->list_run("run-unknown")->empty());
}

TYPED_TEST(TraceStoreTest, ConcurrentWritersNeverLoseOrMixEntries) {
  auto store = this->factory_.make();
  constexpr int kThreads = 8;
  constexpr int kPerThread = TypeParam::kDurable ? 150 : 500;
  std::barrier start(kThreads);
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        PublicTraceEntry e = entry(id, "cap." + std::to_string(t));
        e.workflow_run_id = "run-" + std::to_string(t);
        e.step_index = static_cast<std::uint64_t>(i);
        const Value input = Value{{"thread", t}, {"i", i}};
        auto priv = make_private_trace_entry(id, input, &input, 0, false);
        auto ok = store->insert(std::move(e), std::move(priv));
        ASSERT_TRUE(ok.has_value()) << ok.error().to_string();
        if (i % 50 == 0) {  // readers interleave with writers
          ASSERT_TRUE(store->list_public({.limit = 5}).has_value());
        }
      }
    });
  }
  threads.clear();

  ASSERT_EQ(*store->count({}), static_cast<std::size_t>(kThreads * kPerThread));
  auto all = store->list_public({});
  ASSERT_TRUE(all.has_value());
  const auto all_ids = ids(*all);
  const std::set<std::string> unique(all_ids.begin(), all_ids.end());
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) {
    // Each thread's entries appear in its own insertion order, with its own fields.
    auto mine = store->list_public({.capability_id = "cap." + std::to_string(t)});
    ASSERT_EQ(mine->size(), static_cast<std::size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      const auto& e = (*mine)[static_cast<std::size_t>(i)];
      EXPECT_EQ(e.id, "t" + std::to_string(t) + "-" + std::to_string(i));
      EXPECT_EQ(e.workflow_run_id, "run-" + std::to_string(t));
      EXPECT_EQ(e.step_index, static_cast<std::uint64_t>(i));
    }
    auto run = store->list_run("run-" + std::to_string(t));
    ASSERT_EQ(run->size(), static_cast<std::size_t>(kPerThread));
    const std::string probe = "t" + std::to_string(t) + "-7";
    auto record = store->get(probe);
    ASSERT_TRUE(record.has_value());
    const Value expected_input = Value{{"thread", t}, {"i", 7}};
    EXPECT_EQ(record->private_entry->inputs_hash,
              make_private_trace_entry(probe, expected_input, nullptr, 0, false).inputs_hash);
  }
}

TEST(InMemoryTraceStore, OptInCapacityRejectsInsteadOfEvicting) {
  InMemoryTraceStore store(InMemoryTraceStoreOptions{.keep_payloads = false, .max_entries = 2});
  ASSERT_TRUE(store.insert(entry("a"), {}).has_value());
  ASSERT_TRUE(store.insert(entry("b"), {}).has_value());
  auto full = store.insert(entry("c"), {});
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().kind(), TraceErrorKind::CapacityExceeded);
  EXPECT_EQ(store.size(), 2U);
  EXPECT_TRUE(store.get("a").has_value());
  EXPECT_FALSE(store.get("c").has_value());
}

// The id index is an open-addressed table that grows as the store does: every id stays findable
// across many growths, a repeated id is still refused after them, and an unknown id is not found
// (its probe ends at an empty slot).
TEST(InMemoryTraceStore, EveryIdIsFoundAfterTheIndexGrowsAndDuplicatesStillConflict) {
  InMemoryTraceStore store;
  EXPECT_EQ(store.get("id-0").error().kind(), TraceErrorKind::NotFound);  // before any insert
  constexpr int kEntries = 5000;
  for (int i = 0; i < kEntries; ++i) {
    ASSERT_TRUE(
        store.insert(entry("id-" + std::to_string(i), "cap-" + std::to_string(i)), {}).has_value());
  }
  for (int i = 0; i < kEntries; ++i) {
    const auto got = store.get("id-" + std::to_string(i));
    ASSERT_TRUE(got.has_value()) << i;
    EXPECT_EQ(got->public_entry.capability_id, "cap-" + std::to_string(i));
  }
  for (int i = 0; i < kEntries; i += 97) {
    const auto again = store.insert(entry("id-" + std::to_string(i), "other"), {});
    ASSERT_FALSE(again.has_value()) << i;
    EXPECT_EQ(again.error().kind(), TraceErrorKind::Conflict);
  }
  EXPECT_EQ(store.size(), static_cast<std::size_t>(kEntries));
  EXPECT_EQ(store.get("id-" + std::to_string(kEntries)).error().kind(), TraceErrorKind::NotFound);
  EXPECT_EQ(store.get("").error().kind(), TraceErrorKind::NotFound);
}

}  // namespace
}  // namespace traverse
