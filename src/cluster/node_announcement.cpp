#include "traverse/cluster/node_announcement.hpp"

#include "traverse/json/parse.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

namespace {

// Announcements are small; anything larger is not one.
constexpr std::size_t kMaxAnnouncementBytes = std::size_t{1} << 20;

ClusterError malformed(const std::string& path, const std::string& expected) {
  return ClusterError(ClusterErrorKind::MalformedMessage,
                      "node announcement: " + path + ": expected " + expected);
}

bool is_count(const Value& value) {
  return value.is_number_unsigned() ||
         (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

}  // namespace

std::string encode(const NodeAnnouncement& announcement) {
  Value capabilities = Value::array();
  for (const NodeCapability& capability : announcement.capabilities) {
    capabilities.push_back(Value{{"id", capability.id}, {"version", capability.version}});
  }
  return canonical_dump(Value{{"v", 1},
                              {"name", announcement.name},
                              {"status", announcement.stopping ? "stopping" : "up"},
                              {"capacity", announcement.capacity},
                              {"in_flight", announcement.in_flight},
                              {"load", announcement.load()},
                              {"capabilities", std::move(capabilities)},
                              {"executions", announcement.executions},
                              {"duplicates", announcement.duplicates},
                              {"interval_ms", announcement.interval_ms}});
}

std::expected<NodeAnnouncement, ClusterError> decode_node_announcement(std::string_view text) {
  if (text.size() > kMaxAnnouncementBytes) {
    return std::unexpected(
        ClusterError(ClusterErrorKind::PayloadTooLarge, "node announcement exceeds 1 MiB"));
  }
  auto parsed = parse_json(text);
  if (!parsed) {
    return std::unexpected(ClusterError(ClusterErrorKind::MalformedMessage,
                                        "node announcement: " + parsed.error().message()));
  }
  const Value& document = *parsed;
  if (!document.is_object()) {
    return std::unexpected(malformed("$", "an object"));
  }
  NodeAnnouncement announcement;
  const auto name = document.find("name");
  if (name == document.end() || !name->is_string() || name->get<std::string>().empty()) {
    return std::unexpected(malformed("$.name", "a non-empty string"));
  }
  announcement.name = name->get<std::string>();
  const auto status = document.find("status");
  if (status == document.end() || !status->is_string() ||
      (*status != "up" && *status != "stopping")) {
    return std::unexpected(malformed("$.status", "\"up\" or \"stopping\""));
  }
  announcement.stopping = *status == "stopping";
  for (const auto& [key, field] : {std::pair{"capacity", &announcement.capacity},
                                   std::pair{"in_flight", &announcement.in_flight}}) {
    const auto it = document.find(key);
    if (it == document.end() || !is_count(*it)) {
      return std::unexpected(malformed(std::string("$.") + key, "a non-negative integer"));
    }
    *field = it->get<std::size_t>();
  }
  for (const auto& [key, field] : {std::pair{"executions", &announcement.executions},
                                   std::pair{"duplicates", &announcement.duplicates},
                                   std::pair{"interval_ms", &announcement.interval_ms}}) {
    const auto it = document.find(key);
    if (it != document.end()) {
      if (!is_count(*it)) {
        return std::unexpected(malformed(std::string("$.") + key, "a non-negative integer"));
      }
      *field = it->get<std::uint64_t>();
    }
  }
  const auto capabilities = document.find("capabilities");
  if (capabilities == document.end() || !capabilities->is_array()) {
    return std::unexpected(malformed("$.capabilities", "an array"));
  }
  std::size_t index = 0;
  for (const Value& entry : *capabilities) {
    const std::string path = "$.capabilities[" + std::to_string(index++) + "]";
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string() ||
        !entry.contains("version") || !entry["version"].is_string()) {
      return std::unexpected(malformed(path, "{\"id\": string, \"version\": string}"));
    }
    announcement.capabilities.push_back(
        {entry["id"].get<std::string>(), entry["version"].get<std::string>()});
  }
  return announcement;
}

}  // namespace traverse
