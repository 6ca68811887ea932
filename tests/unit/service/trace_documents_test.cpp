// Governing spec: 050-service
#include "traverse/service/trace_documents.hpp"

#include <gtest/gtest.h>

#include "traverse/support/ids.hpp"
#include "traverse/trace/in_memory_trace_store.hpp"

namespace traverse {
namespace {

PublicTraceEntry entry(std::string id, std::string capability, int seconds) {
  PublicTraceEntry e;
  e.id = std::move(id);
  e.execution_id = "exec-" + e.id;
  e.capability_id = std::move(capability);
  e.source = "traverse-runtime/" + e.capability_id;
  e.capability_version = "1.0.0";
  e.placement_target = "Local";
  e.outcome = TraceOutcome::Success;
  e.duration_ms = 3;
  e.time = rfc3339(std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 56) +
                   std::chrono::seconds(seconds));
  return e;
}

class TraceDocumentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(store_.insert(
          entry("t" + std::to_string(i), i % 2 == 0 ? "demo.even" : "demo.odd", i), std::nullopt));
    }
  }
  InMemoryTraceStore store_;
};

TEST_F(TraceDocumentsTest, ListingIsTheNewestWindowOldestFirstWithACursorToOlderPages) {
  TraceListParams params;
  params.limit = 2;
  auto page = list_traces(store_, params);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->total, 5u);
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[0].id, "t3");
  EXPECT_EQ(page->entries[1].id, "t4");
  ASSERT_EQ(page->next_cursor, 3u);
  params.cursor = page->next_cursor;
  auto older = list_traces(store_, params);
  ASSERT_TRUE(older.has_value());
  EXPECT_EQ(older->entries[0].id, "t1");
  params.cursor = older->next_cursor;
  auto oldest = list_traces(store_, params);
  ASSERT_TRUE(oldest.has_value());
  ASSERT_EQ(oldest->entries.size(), 1u);
  EXPECT_EQ(oldest->entries[0].id, "t0");
  EXPECT_FALSE(oldest->next_cursor.has_value());
  const Value document = to_json(*page);
  EXPECT_EQ(document["returned"], 2);
  EXPECT_EQ(document["next_cursor"], "3");
}

TEST_F(TraceDocumentsTest, FiltersNarrowTheListing) {
  TraceListParams params;
  params.capability_id = "demo.odd";
  auto listing = list_traces(store_, params);
  ASSERT_TRUE(listing.has_value());
  EXPECT_EQ(listing->total, 2u);
  for (const auto& e : listing->entries) {
    EXPECT_EQ(e.capability_id, "demo.odd");
  }
}

TEST_F(TraceDocumentsTest, ShowFindsAnEntryAndReportsAnUnknownIdAsNotFound) {
  auto detail = show_trace(store_, nullptr, "t2");
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(to_json(*detail)["public"]["id"], "t2");
  EXPECT_FALSE(to_json(*detail).contains("workflow_run"));
  auto missing = show_trace(store_, nullptr, "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind(), TraceErrorKind::NotFound);
}

}  // namespace
}  // namespace traverse
