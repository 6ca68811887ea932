// traverse/json/dom_memory.hpp — how much heap a parsed Value takes.
//
// A Value (nlohmann::json) is a 16-byte slot; a string, array or object also owns heap blocks: the
// std::string / std::vector / std::map object itself, the string's buffer when it does not fit
// the small-string buffer, the vector's element buffer (its capacity, not its size), and one map
// node per object member (the key and the member's slot live in the node). The model below counts
// each of those blocks as glibc malloc does (an 8-byte header, 16-byte alignment, 32-byte
// minimum), so on Debian's glibc + libstdc++ it matches the heap a parsed Value holds to within a
// page per large buffer (blocks above malloc's mmap threshold are page-rounded).
// parse_json keeps this account while it builds, to refuse a document before its Value outgrows
// the parse memory budget (parse.hpp).
//
// Thread safety: pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "traverse/json/value.hpp"

namespace traverse {

// Heap bytes one malloc(`request`) takes under glibc on a 64-bit target: the request plus an
// 8-byte header, rounded up to 16, at least 32. 0 for a request of 0 bytes (nothing allocated).
[[nodiscard]] constexpr std::uint64_t heap_block_bytes(std::uint64_t request) {
  if (request == 0) {
    return 0;
  }
  const std::uint64_t block = (request + 8 + 15) & ~std::uint64_t{15};
  return block < 32 ? 32 : block;
}

// Capacity of a std::string whose characters live inside the object (libstdc++: 15).
inline constexpr std::size_t kSmallStringCapacity = 15;

// Heap bytes of a string's own buffer (0 while it fits the small-string buffer). Object keys are
// stored in the map node and cost only this.
[[nodiscard]] inline std::uint64_t string_buffer_heap_bytes(const Value::string_t& text) {
  return text.capacity() > kSmallStringCapacity ? heap_block_bytes(text.capacity() + 1) : 0;
}

// Heap bytes a string value (not a key) takes: nlohmann's heap-allocated std::string object plus
// its buffer when the capacity exceeds the small-string buffer.
[[nodiscard]] inline std::uint64_t string_value_heap_bytes(const Value::string_t& text) {
  return heap_block_bytes(sizeof(Value::string_t)) + string_buffer_heap_bytes(text);
}

// Heap bytes of an empty array / object container (the std::vector / std::map object).
[[nodiscard]] constexpr std::uint64_t array_container_heap_bytes() {
  return heap_block_bytes(sizeof(Value::array_t));
}
[[nodiscard]] constexpr std::uint64_t object_container_heap_bytes() {
  return heap_block_bytes(sizeof(Value::object_t));
}

// Heap bytes of an array's element buffer holding `capacity` slots.
[[nodiscard]] constexpr std::uint64_t array_buffer_heap_bytes(std::size_t capacity) {
  return heap_block_bytes(std::uint64_t{capacity} * sizeof(Value));
}

// Heap bytes of one object member's map node (key object + member slot + libstdc++'s tree links:
// colour, parent, left, right, 4 words with padding), without the key's own buffer.
[[nodiscard]] constexpr std::uint64_t object_member_heap_bytes() {
  return heap_block_bytes(4 * sizeof(void*) + sizeof(Value::object_t::value_type));
}

// Heap bytes `value` owns (everything but its own 16-byte slot), by the model above. Iterative:
// any nesting depth is fine. Never throws.
[[nodiscard]] std::uint64_t dom_heap_bytes(const Value& value);

}  // namespace traverse
