// Governing spec: 001-artifact-formats
//
// dom_memory.hpp: the heap model parse_json's memory budget is checked against (glibc malloc
// blocks over libstdc++'s containers, as nlohmann::json lays them out).
#include "traverse/json/dom_memory.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "traverse/json/value.hpp"

namespace traverse {
namespace {

TEST(HeapBlockBytes, AddsTheHeaderRoundsTo16AndHasA32ByteMinimum) {
  EXPECT_EQ(heap_block_bytes(0), 0U);
  EXPECT_EQ(heap_block_bytes(1), 32U);
  EXPECT_EQ(heap_block_bytes(24), 32U);
  EXPECT_EQ(heap_block_bytes(25), 48U);
  EXPECT_EQ(heap_block_bytes(48), 64U);
  EXPECT_EQ(heap_block_bytes(80), 96U);
  EXPECT_EQ(heap_block_bytes(1000), 1008U);
}

TEST(DomHeapBytes, ScalarsOwnNoHeapAndContainersTheirObjects) {
  EXPECT_EQ(dom_heap_bytes(Value(nullptr)), 0U);
  EXPECT_EQ(dom_heap_bytes(Value(true)), 0U);
  EXPECT_EQ(dom_heap_bytes(Value(42)), 0U);
  EXPECT_EQ(dom_heap_bytes(Value(1.5)), 0U);
  EXPECT_EQ(dom_heap_bytes(Value::object()), object_container_heap_bytes());
  EXPECT_EQ(dom_heap_bytes(Value::array()), array_container_heap_bytes());
  // libstdc++ on a 64-bit target: std::map 48 bytes, std::vector 24, std::string 32.
  EXPECT_EQ(object_container_heap_bytes(), 64U);
  EXPECT_EQ(array_container_heap_bytes(), 32U);
  EXPECT_EQ(object_member_heap_bytes(), 96U);
}

TEST(DomHeapBytes, ShortStringsStayInTheObjectLongOnesAddTheirBuffer) {
  const Value short_text("fifteen bytes!!");
  EXPECT_EQ(dom_heap_bytes(short_text), 48U);  // the std::string object only
  Value::string_t long_text(100, 'x');
  long_text.shrink_to_fit();
  const std::uint64_t expected = 48U + heap_block_bytes(long_text.capacity() + 1);
  EXPECT_EQ(dom_heap_bytes(Value(std::move(long_text))), expected);
}

TEST(DomHeapBytes, ArraysCountTheirCapacityNotTheirSize) {
  Value items = Value::array();
  auto& slots = *items.get_ptr<Value::array_t*>();
  slots.reserve(10);
  slots.emplace_back(1);
  EXPECT_EQ(dom_heap_bytes(items), 32U + heap_block_bytes(10 * sizeof(Value)));
}

TEST(DomHeapBytes, ObjectMembersCostANodeEachPlusLongKeysAndTheirValues) {
  // {"k": {}, "a key of more than fifteen bytes": "v"}
  Value object = Value::object();
  object["k"] = Value::object();
  const std::string long_key = "a key of more than fifteen bytes";
  object[long_key] = "v";
  const auto& members = *object.get_ptr<const Value::object_t*>();
  const std::uint64_t key_buffer = heap_block_bytes(members.find(long_key)->first.capacity() + 1);
  EXPECT_EQ(dom_heap_bytes(object), 64U + 2 * 96U + key_buffer + 64U + 48U);
}

TEST(DomHeapBytes, DeepNestingIsWalkedWithoutRecursion) {
  Value root = Value::array();
  Value* cursor = &root;
  for (int i = 0; i < 100'000; ++i) {
    cursor->push_back(Value::array());
    cursor = &cursor->back();
  }
  EXPECT_GT(dom_heap_bytes(root), 100'000U * 32U);
}

}  // namespace
}  // namespace traverse
