#pragma once

// VersionedStore: the records of one registry, at most one per (id, version, scope). Both the
// capability registry and the workflow registry keep their records in one; the registries add the
// rules (immutability, capacity, lookups) and the locking.
//
// Thread safety: none of its own. The owning registry guards every call with its mutex (shared
// for the const members, exclusive for insert).
// Ownership: records are shared, immutable (`std::shared_ptr<const Record>`); a record handed out
// stays valid after the store is gone.

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "traverse/contracts/runtime_request.hpp"  // LookupScope
#include "traverse/contracts/vocabulary.hpp"       // Scope

namespace traverse {

// What a record must answer: its id, version text, parsed version and scope.
template <typename Record>
concept VersionedRecord = requires(const Record& record) {
  { record.id() } -> std::convertible_to<std::string_view>;
  { record.version() } -> std::convertible_to<std::string_view>;
  { record.semver < record.semver } -> std::convertible_to<bool>;
  { record.scope } -> std::convertible_to<Scope>;
};

template <VersionedRecord Record>
class VersionedStore {
 public:
  using RecordPtr = std::shared_ptr<const Record>;

  // Orders two versions of one id by semver precedence, then by the version text (build
  // metadata does not take part in precedence, so "1.0.0+a" and "1.0.0+b" are equal there).
  [[nodiscard]] static bool by_precedence(const RecordPtr& a, const RecordPtr& b) {
    if (a->semver != b->semver) {
      return a->semver < b->semver;
    }
    return a->version() < b->version();
  }

  // The record for the key, or nullptr.
  [[nodiscard]] RecordPtr find(Scope scope, std::string_view id, std::string_view version) const {
    const auto by_id = by_id_.find(id);
    if (by_id == by_id_.end()) {
      return nullptr;
    }
    const auto slot = by_id->second.find(version);
    if (slot == by_id->second.end()) {
      return nullptr;
    }
    return slot->second[index_of(scope)];
  }

  // REQUIRES: find(record's key) == nullptr (a registered version never changes).
  void insert(RecordPtr record) {
    auto& slot = by_id_[std::string(record->id())][std::string(record->version())];
    slot[index_of(record->scope)] = std::move(record);
    ++size_;
  }

  // The versions of `id` a lookup in `scope` sees, one per version, unsorted: with
  // PreferPrivate a private record hides the public record of the same version.
  [[nodiscard]] std::vector<RecordPtr> visible_versions(std::string_view id,
                                                        LookupScope scope) const {
    std::vector<RecordPtr> visible;
    const auto by_id = by_id_.find(id);
    if (by_id == by_id_.end()) {
      return visible;
    }
    for (const auto& [version, slot] : by_id->second) {
      const RecordPtr& pub = slot[index_of(Scope::Public)];
      const RecordPtr& priv = slot[index_of(Scope::Private)];
      if (scope == LookupScope::PreferPrivate && priv) {
        visible.push_back(priv);
      } else if (pub) {
        visible.push_back(pub);
      }
    }
    return visible;
  }

  // Every record, unsorted.
  [[nodiscard]] std::vector<RecordPtr> all() const {
    std::vector<RecordPtr> records;
    records.reserve(size_);
    for (const auto& [id, versions] : by_id_) {
      for (const auto& [version, slot] : versions) {
        for (const RecordPtr& record : slot) {
          if (record) {
            records.push_back(record);
          }
        }
      }
    }
    return records;
  }

  // Sorts records by id, then precedence, then scope (public first): the order of list().
  static void sort_for_listing(std::vector<RecordPtr>& records) {
    std::stable_sort(records.begin(), records.end(), [](const RecordPtr& a, const RecordPtr& b) {
      if (a->id() != b->id()) {
        return a->id() < b->id();
      }
      if (a->semver != b->semver || a->version() != b->version()) {
        return by_precedence(a, b);
      }
      return index_of(a->scope) < index_of(b->scope);
    });
  }

  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  static std::size_t index_of(Scope scope) { return scope == Scope::Public ? 0 : 1; }

  using Slot = std::array<RecordPtr, 2>;  // by scope: public, private
  std::map<std::string, std::map<std::string, Slot, std::less<>>, std::less<>> by_id_;
  std::size_t size_ = 0;
};

}  // namespace traverse
