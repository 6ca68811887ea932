// The heap model of a Value (dom_memory.hpp), shared by parse_json's budget account and tests.
#include "traverse/json/dom_memory.hpp"

#include <string>
#include <vector>

namespace traverse {

std::uint64_t dom_heap_bytes(const Value& root) {
  std::uint64_t total = 0;
  std::vector<const Value*> pending{&root};
  while (!pending.empty()) {
    const Value* value = pending.back();
    pending.pop_back();
    switch (value->type()) {
      case Value::value_t::string:
        total += string_value_heap_bytes(*value->get_ptr<const Value::string_t*>());
        break;
      case Value::value_t::binary: {
        const auto& bytes = *value->get_ptr<const Value::binary_t*>();
        total += heap_block_bytes(sizeof(Value::binary_t)) + heap_block_bytes(bytes.capacity());
        break;
      }
      case Value::value_t::array: {
        const auto& items = *value->get_ptr<const Value::array_t*>();
        total += array_container_heap_bytes() + array_buffer_heap_bytes(items.capacity());
        for (const Value& item : items) {
          pending.push_back(&item);
        }
        break;
      }
      case Value::value_t::object: {
        const auto& members = *value->get_ptr<const Value::object_t*>();
        total += object_container_heap_bytes();
        for (const auto& [key, member] : members) {
          total += object_member_heap_bytes() + string_buffer_heap_bytes(key);
          pending.push_back(&member);
        }
        break;
      }
      default:
        break;
    }
  }
  return total;
}

}  // namespace traverse
