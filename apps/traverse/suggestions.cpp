#include "suggestions.hpp"

#include <algorithm>
#include <cstddef>
#include <set>

namespace traverse::cli {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string joined(const std::vector<std::string>& items, std::size_t at_most) {
  std::string text;
  for (std::size_t i = 0; i < items.size() && i < at_most; ++i) {
    text += (i == 0 ? "" : ", ") + items[i];
  }
  if (items.size() > at_most) {
    text += ", ... (" + std::to_string(items.size()) + " in all)";
  }
  return text;
}

// Versions registered for `id` and every distinct id, both sorted.
template <typename Records, typename IdOf, typename VersionOf>
void collect(const Records& records, const std::string& id, IdOf id_of, VersionOf version_of,
             std::vector<std::string>& versions, std::vector<std::string>& ids) {
  std::set<std::string> distinct;
  for (const auto& record : records) {
    distinct.insert(id_of(*record));
    if (id_of(*record) == id) {
      versions.push_back(version_of(*record));
    }
  }
  ids.assign(distinct.begin(), distinct.end());
}

}  // namespace

std::optional<std::string> closest_match(std::string_view wanted,
                                         const std::vector<std::string>& candidates) {
  const std::size_t allowed = std::max<std::size_t>(2, wanted.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = allowed + 1;
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(wanted, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

std::vector<std::string> workflow_hints(const WorkflowRegistry& registry,
                                        const std::string& workflow) {
  const std::string id = workflow.substr(0, workflow.find('@'));
  std::vector<std::string> versions;
  std::vector<std::string> ids;
  collect(
      registry.list(), id, [](const WorkflowRecord& r) { return r.definition.id; },
      [](const WorkflowRecord& r) { return r.definition.version; }, versions, ids);
  if (!versions.empty()) {
    return {"registered versions of workflow " + id + ": " + joined(versions, 10)};
  }
  if (auto near = closest_match(id, ids)) {
    return {"did you mean workflow " + *near + "?"};
  }
  if (ids.empty()) {
    return {"the bundle registers no workflow"};
  }
  return {"registered workflows: " + joined(ids, 10)};
}

std::vector<std::string> capability_hints(const CapabilityRegistry& registry,
                                          const std::string& capability_id) {
  std::vector<std::string> versions;
  std::vector<std::string> ids;
  collect(
      registry.list(), capability_id, [](const CapabilityRecord& r) { return r.contract.id; },
      [](const CapabilityRecord& r) { return r.contract.version; }, versions, ids);
  if (!versions.empty()) {
    return {"registered versions of " + capability_id + ": " + joined(versions, 10)};
  }
  if (auto near = closest_match(capability_id, ids)) {
    return {"did you mean " + *near + "?"};
  }
  return {};
}

}  // namespace traverse::cli
