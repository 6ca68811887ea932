// Governing spec: 010-runtime-stack
#include "traverse/trace/workflow_run_store.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <latch>
#include <thread>
#include <vector>

#include "trace_test_support.hpp"
#include "traverse/trace/in_memory_workflow_run_store.hpp"
#include "traverse/trace/sqlite_trace_store.hpp"

namespace traverse {
namespace {

using trace_test::entry;
using trace_test::TempDir;

WorkflowRunRecord record(std::string run_id, std::string trace_id) {
  WorkflowRunRecord r;
  r.run_id = std::move(run_id);
  r.trace_id = std::move(trace_id);
  r.request_id = "req-1";
  r.workflow_id = "plan-expedition";
  r.workflow_version = "1.0.0";
  r.capability_id = "expedition.planning.plan-expedition";
  r.capability_version = "1.0.0";
  r.outcome = TraceOutcome::Success;
  r.time = "2026-11-26T12:00:00.000Z";
  r.duration_ms = 42;
  r.summary = Value{{"status", "completed"}, {"steps", Value::array()}};
  r.evidence = Value{{"kind", "workflow_traversal_evidence"},
                     {"visited_nodes", Value::array({Value{{"node_id", "a"}}})},
                     {"score", 1.0}};
  return r;
}

TEST(InMemoryWorkflowRunStore, KeepsTheMostRecentRunsWithinItsCapacity) {
  InMemoryWorkflowRunStore store(2);
  WorkflowRunStore& as_interface = store;
  ASSERT_TRUE(as_interface.insert(record("run-1", "trace-1")).has_value());
  ASSERT_TRUE(as_interface.insert(record("run-2", "trace-2")).has_value());
  ASSERT_TRUE(as_interface.insert(record("run-3", "trace-3")).has_value());
  EXPECT_EQ(store.size(), 2u);
  auto oldest = as_interface.get("run-1");
  ASSERT_FALSE(oldest.has_value());
  EXPECT_EQ(oldest.error().kind(), TraceErrorKind::NotFound);
  auto by_trace = as_interface.get("trace-3");
  ASSERT_TRUE(by_trace.has_value());
  EXPECT_EQ(*by_trace, record("run-3", "trace-3"));
}

TEST(InMemoryWorkflowRunStore, RefusesDuplicatesAndInvalidRecords) {
  InMemoryWorkflowRunStore store;
  ASSERT_TRUE(store.insert(record("run-1", "trace-1")).has_value());
  auto duplicate = store.insert(record("run-1", "trace-9"));
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().kind(), TraceErrorKind::Conflict);
  WorkflowRunRecord bad_time = record("run-2", "trace-2");
  bad_time.time = "yesterday";
  EXPECT_EQ(store.insert(bad_time).error().kind(), TraceErrorKind::InvalidArgument);
  EXPECT_EQ(store.insert(record("", "trace-3")).error().kind(), TraceErrorKind::InvalidArgument);
  EXPECT_EQ(store.size(), 1u);
}

TEST(SqliteWorkflowRunStore, RecordSurvivesReopenAndIsFoundByRunOrTraceId) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  const WorkflowRunRecord written = record("run-1", "trace-1");
  {
    auto store = SqliteWorkflowRunStore::open(path);
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    ASSERT_TRUE((*store)->insert(written).has_value());
  }
  auto store = SqliteWorkflowRunStore::open(path);
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  auto by_run = (*store)->get("run-1");
  ASSERT_TRUE(by_run.has_value()) << by_run.error().to_string();
  EXPECT_EQ(*by_run, written);
  auto by_trace = (*store)->get("trace-1");
  ASSERT_TRUE(by_trace.has_value());
  EXPECT_EQ(*by_trace, written);
  EXPECT_EQ(by_trace->evidence["score"].dump(), "1.0");  // float identity kept
}

TEST(SqliteWorkflowRunStore, SharesTheFileWithATraceStore) {
  TempDir dir;
  const auto path = dir.path() / "traces.db";
  auto traces = SqliteTraceStore::open(path);
  ASSERT_TRUE(traces.has_value());
  ASSERT_TRUE((*traces)->insert(entry("step-1"), std::nullopt).has_value());
  auto runs = SqliteWorkflowRunStore::open(path);
  ASSERT_TRUE(runs.has_value()) << runs.error().to_string();
  ASSERT_TRUE((*runs)->insert(record("run-1", "run-1")).has_value());
  // Both stay readable, also by a store opened after the run table was added.
  auto reopened = SqliteTraceStore::open(path);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  EXPECT_TRUE((*reopened)->get("step-1").has_value());
  EXPECT_TRUE((*runs)->get("run-1").has_value());
}

TEST(SqliteWorkflowRunStore, CreatesTheTraceSchemaInAFreshFile) {
  TempDir dir;
  const auto path = dir.path() / "fresh.db";
  auto runs = SqliteWorkflowRunStore::open(path);
  ASSERT_TRUE(runs.has_value()) << runs.error().to_string();
  auto traces = SqliteTraceStore::open(path);
  EXPECT_TRUE(traces.has_value()) << traces.error().to_string();
}

TEST(SqliteWorkflowRunStore, DuplicateIdsAreConflictsAndNothingIsOverwritten) {
  TempDir dir;
  auto store = SqliteWorkflowRunStore::open(dir.path() / "traces.db");
  ASSERT_TRUE(store.has_value());
  ASSERT_TRUE((*store)->insert(record("run-1", "trace-1")).has_value());
  WorkflowRunRecord again = record("run-1", "trace-2");
  again.duration_ms = 7;
  auto same_run = (*store)->insert(again);
  ASSERT_FALSE(same_run.has_value());
  EXPECT_EQ(same_run.error().kind(), TraceErrorKind::Conflict);
  auto same_trace = (*store)->insert(record("run-2", "trace-1"));
  ASSERT_FALSE(same_trace.has_value());
  EXPECT_EQ(same_trace.error().kind(), TraceErrorKind::Conflict);
  EXPECT_EQ((*store)->get("run-1")->duration_ms, 42U);
  EXPECT_EQ((*store)->get("run-2").error().kind(), TraceErrorKind::NotFound);
}

TEST(SqliteWorkflowRunStore, InvalidRecordsAreRejected) {
  TempDir dir;
  auto store = SqliteWorkflowRunStore::open(dir.path() / "traces.db");
  ASSERT_TRUE(store.has_value());
  auto empty = (*store)->insert(record("", "t"));
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().kind(), TraceErrorKind::InvalidArgument);
  WorkflowRunRecord bad_time = record("r", "t");
  bad_time.time = "yesterday";
  auto rejected = (*store)->insert(bad_time);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().kind(), TraceErrorKind::InvalidArgument);
  EXPECT_NE(rejected.error().message().find("$.time"), std::string::npos);
  EXPECT_EQ((*store)->get("r").error().kind(), TraceErrorKind::NotFound);
}

TEST(SqliteWorkflowRunStore, NonDatabaseFileIsCorruptOrIo) {
  TempDir dir;
  const auto path = dir.path() / "garbage.db";
  std::ofstream(path) << std::string(4096, 'x');
  auto store = SqliteWorkflowRunStore::open(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_TRUE(store.error().kind() == TraceErrorKind::Corrupt ||
              store.error().kind() == TraceErrorKind::Io)
      << store.error().to_string();
  EXPECT_NE(store.error().message().find(path.string()), std::string::npos);
}

TEST(WorkflowRunRecord, JsonRoundTripsAndMalformedJsonIsCorruptWithPath) {
  const WorkflowRunRecord r = record("run-1", "trace-1");
  auto parsed = workflow_run_record_from_json(to_json(r));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, r);
  Value bad = to_json(r);
  bad["outcome"] = "Maybe";
  auto rejected = workflow_run_record_from_json(bad);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().kind(), TraceErrorKind::Corrupt);
  EXPECT_NE(rejected.error().message().find("$.outcome"), std::string::npos);
  bad = to_json(r);
  bad.erase("run_id");
  EXPECT_NE(workflow_run_record_from_json(bad).error().message().find("$.run_id"),
            std::string::npos);
}

TEST(SqliteWorkflowRunStore, ConcurrentInsertsFromManyThreadsAreAllKept) {
  TempDir dir;
  auto store = SqliteWorkflowRunStore::open(dir.path() / "traces.db");
  ASSERT_TRUE(store.has_value());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20;
  std::latch start(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < kPerThread; ++i) {
          const std::string id = std::to_string(t) + "-" + std::to_string(i);
          EXPECT_TRUE((*store)->insert(record("run-" + id, "trace-" + id)).has_value());
        }
      });
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_TRUE((*store)->get("trace-" + std::to_string(t) + "-" + std::to_string(i)));
    }
  }
}

}  // namespace
}  // namespace traverse
