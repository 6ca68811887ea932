#include "traverse/trace/trace_entry.hpp"

#include <charconv>
#include <chrono>
#include <utility>

#include "traverse/support/digest.hpp"
#include "traverse/trace/trace_error.hpp"
#include "traverse/trace/trace_store.hpp"

namespace traverse {

std::string_view to_string(TraceErrorKind kind) {
  switch (kind) {
    case TraceErrorKind::NotFound:
      return "NotFound";
    case TraceErrorKind::Conflict:
      return "Conflict";
    case TraceErrorKind::InvalidArgument:
      return "InvalidArgument";
    case TraceErrorKind::CapacityExceeded:
      return "CapacityExceeded";
    case TraceErrorKind::Io:
      return "Io";
    case TraceErrorKind::Corrupt:
      return "Corrupt";
    case TraceErrorKind::SchemaTooNew:
      return "SchemaTooNew";
  }
  return "Unknown";
}

std::string TraceError::to_string() const {
  return std::string(traverse::to_string(kind_)) + ": " + message_;
}

std::string_view to_string(TraceOutcome outcome) {
  switch (outcome) {
    case TraceOutcome::Success:
      return "Success";
    case TraceOutcome::Failure:
      return "Failure";
    case TraceOutcome::Rejected:
      return "Rejected";
  }
  return "Failure";
}

std::optional<TraceOutcome> parse_trace_outcome(std::string_view text) {
  if (text == "Success")
    return TraceOutcome::Success;
  if (text == "Failure")
    return TraceOutcome::Failure;
  if (text == "Rejected")
    return TraceOutcome::Rejected;
  return std::nullopt;
}

PrivateTraceEntry make_private_trace_entry(std::string trace_id, const Value& input,
                                           const Value* output, std::uint64_t resource_usage_ms,
                                           bool keep_payloads) {
  PrivateTraceEntry entry;
  entry.trace_id = std::move(trace_id);
  entry.inputs_hash = sha256_hex(canonical_dump(input));
  if (output != nullptr)
    entry.outputs_hash = sha256_hex(canonical_dump(*output));
  entry.resource_usage_ms = resource_usage_ms;
  if (keep_payloads) {
    entry.input = input;
    if (output != nullptr)
      entry.output = *output;
  }
  return entry;
}

PrivateTraceEntry make_private_trace_entry(std::string trace_id, const Value& input,
                                           const Value* output, std::string_view canonical_output,
                                           std::uint64_t resource_usage_ms, bool keep_payloads) {
  PrivateTraceEntry entry;
  entry.trace_id = std::move(trace_id);
  entry.inputs_hash = sha256_hex(canonical_dump(input));
  entry.outputs_hash = sha256_hex(canonical_output);
  entry.resource_usage_ms = resource_usage_ms;
  if (keep_payloads) {
    entry.input = input;
    entry.output = *output;
  }
  return entry;
}

Value to_json(const std::vector<TraceAttempt>& attempts) {
  Value json = Value::array();
  for (const TraceAttempt& attempt : attempts) {
    Value item{{"attempt", attempt.attempt},
               {"outcome", attempt.outcome},
               {"remote_duration_us", attempt.remote_duration_us},
               {"round_trip_us", attempt.round_trip_us}};
    if (!attempt.node.empty()) {
      item["node"] = attempt.node;
    }
    json.push_back(std::move(item));
  }
  return json;
}

Value to_json(const PublicTraceEntry& entry) {
  Value json = Value::object();
  json["id"] = entry.id;
  json["execution_id"] = entry.execution_id;
  json["source"] = entry.source;
  json["event_type"] = entry.event_type;
  json["datacontenttype"] = entry.datacontenttype;
  json["time"] = entry.time;
  json["capability_id"] = entry.capability_id;
  json["capability_version"] = entry.capability_version;
  json["placement_target"] = entry.placement_target;
  json["outcome"] = std::string(to_string(entry.outcome));
  if (entry.error_class)
    json["error_class"] = *entry.error_class;
  if (entry.error_message)
    json["error_message"] = *entry.error_message;
  json["duration_ms"] = entry.duration_ms;
  if (entry.workflow_run_id)
    json["workflow_run_id"] = *entry.workflow_run_id;
  if (entry.step_index)
    json["step_index"] = *entry.step_index;
  if (!entry.published_events.empty())
    json["published_events"] = entry.published_events;
  if (!entry.publish_errors.empty()) {
    Value errors = Value::array();
    for (const auto& e : entry.publish_errors) {
      errors.push_back(
          Value{{"event_id", e.event_id}, {"event_type", e.event_type}, {"error", e.error}});
    }
    json["publish_errors"] = std::move(errors);
  }
  if (!entry.attempts.empty()) {
    json["attempts"] = to_json(entry.attempts);
  }
  return json;
}

Value to_json(const PrivateTraceEntry& entry) {
  Value json = Value::object();
  json["trace_id"] = entry.trace_id;
  json["inputs_hash"] = entry.inputs_hash;
  if (entry.outputs_hash)
    json["outputs_hash"] = *entry.outputs_hash;
  json["resource_usage_ms"] = entry.resource_usage_ms;
  if (entry.input)
    json["input"] = *entry.input;
  if (entry.output)
    json["output"] = *entry.output;
  if (!entry.published_events.empty()) {
    Value events = Value::array();
    for (const auto& event : entry.published_events)
      events.push_back(event);
    json["published_events"] = std::move(events);
  }
  return json;
}

namespace {

TraceError corrupt(const std::string& path, const std::string& expected) {
  return TraceError{TraceErrorKind::Corrupt, path + ": expected " + expected};
}

// Small typed readers over a JSON object; each reports the JSON path on mismatch.
class Reader {
 public:
  Reader(const Value& json, std::string base) : json_(json), base_(std::move(base)) {}

  [[nodiscard]] std::expected<std::string, TraceError> required_string(const char* key) const {
    auto it = json_.find(key);
    if (it == json_.end() || !it->is_string())
      return std::unexpected(corrupt(path(key), "a string"));
    return it->get<std::string>();
  }
  [[nodiscard]] std::expected<std::optional<std::string>, TraceError> optional_string(
      const char* key) const {
    auto it = json_.find(key);
    if (it == json_.end() || it->is_null())
      return std::optional<std::string>{};
    if (!it->is_string())
      return std::unexpected(corrupt(path(key), "a string"));
    return std::optional<std::string>{it->get<std::string>()};
  }
  [[nodiscard]] std::expected<std::optional<std::uint64_t>, TraceError> optional_u64(
      const char* key) const {
    auto it = json_.find(key);
    if (it == json_.end() || it->is_null())
      return std::optional<std::uint64_t>{};
    if (it->is_number_unsigned())
      return std::optional<std::uint64_t>{it->get<std::uint64_t>()};
    // A document built in C++ (not parsed from text) holds small integers as signed.
    if (it->is_number_integer() && it->get<std::int64_t>() >= 0)
      return std::optional<std::uint64_t>{static_cast<std::uint64_t>(it->get<std::int64_t>())};
    return std::unexpected(corrupt(path(key), "a non-negative integer"));
  }
  [[nodiscard]] std::string path(const char* key) const { return base_ + "." + key; }
  [[nodiscard]] const Value& json() const { return json_; }

 private:
  const Value& json_;
  std::string base_;
};

}  // namespace

std::expected<PublicTraceEntry, TraceError> public_trace_entry_from_json(const Value& json) {
  if (!json.is_object())
    return std::unexpected(corrupt("$", "a public trace entry object"));
  Reader r(json, "$");
  PublicTraceEntry e;
  auto take = [&](const char* key, std::string& out) -> std::expected<void, TraceError> {
    auto v = r.required_string(key);
    if (!v)
      return std::unexpected(v.error());
    out = std::move(*v);
    return {};
  };
  for (auto [key, out] : {std::pair<const char*, std::string*>{"id", &e.id},
                          {"execution_id", &e.execution_id},
                          {"source", &e.source},
                          {"event_type", &e.event_type},
                          {"datacontenttype", &e.datacontenttype},
                          {"time", &e.time},
                          {"capability_id", &e.capability_id},
                          {"capability_version", &e.capability_version},
                          {"placement_target", &e.placement_target}}) {
    if (auto ok = take(key, *out); !ok)
      return std::unexpected(ok.error());
  }
  std::string outcome;
  if (auto ok = take("outcome", outcome); !ok)
    return std::unexpected(ok.error());
  auto parsed = parse_trace_outcome(outcome);
  if (!parsed)
    return std::unexpected(corrupt("$.outcome", "\"Success\", \"Failure\" or \"Rejected\""));
  e.outcome = *parsed;
  auto error_class = r.optional_string("error_class");
  if (!error_class)
    return std::unexpected(error_class.error());
  e.error_class = std::move(*error_class);
  auto error_message = r.optional_string("error_message");
  if (!error_message)
    return std::unexpected(error_message.error());
  e.error_message = std::move(*error_message);
  auto duration = r.optional_u64("duration_ms");
  if (!duration)
    return std::unexpected(duration.error());
  if (!*duration)
    return std::unexpected(corrupt("$.duration_ms", "a non-negative integer"));
  e.duration_ms = **duration;
  auto run = r.optional_string("workflow_run_id");
  if (!run)
    return std::unexpected(run.error());
  e.workflow_run_id = std::move(*run);
  auto step = r.optional_u64("step_index");
  if (!step)
    return std::unexpected(step.error());
  e.step_index = *step;
  if (auto it = json.find("published_events"); it != json.end() && !it->is_null()) {
    if (!it->is_array())
      return std::unexpected(corrupt("$.published_events", "an array"));
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& item = (*it)[i];
      if (!item.is_string()) {
        return std::unexpected(
            corrupt("$.published_events[" + std::to_string(i) + "]", "a string"));
      }
      e.published_events.push_back(item.get<std::string>());
    }
  }
  if (auto it = json.find("publish_errors"); it != json.end() && !it->is_null()) {
    if (!it->is_array())
      return std::unexpected(corrupt("$.publish_errors", "an array"));
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string base = "$.publish_errors[" + std::to_string(i) + "]";
      const auto& item = (*it)[i];
      if (!item.is_object())
        return std::unexpected(corrupt(base, "an object"));
      Reader ir(item, base);
      TracePublishError pe;
      auto id = ir.required_string("event_id");
      if (!id)
        return std::unexpected(id.error());
      auto type = ir.required_string("event_type");
      if (!type)
        return std::unexpected(type.error());
      auto err = ir.required_string("error");
      if (!err)
        return std::unexpected(err.error());
      e.publish_errors.push_back({std::move(*id), std::move(*type), std::move(*err)});
    }
  }
  if (auto it = json.find("attempts"); it != json.end() && !it->is_null()) {
    if (!it->is_array())
      return std::unexpected(corrupt("$.attempts", "an array"));
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string base = "$.attempts[" + std::to_string(i) + "]";
      const auto& item = (*it)[i];
      if (!item.is_object())
        return std::unexpected(corrupt(base, "an object"));
      Reader ir(item, base);
      TraceAttempt attempt;
      auto number = ir.optional_u64("attempt");
      if (!number)
        return std::unexpected(number.error());
      if (!*number || **number < 1 || **number > 0xFFFFFFFFu)
        return std::unexpected(corrupt(base + ".attempt", "a positive 32-bit integer"));
      attempt.attempt = static_cast<std::uint32_t>(**number);
      auto node = ir.optional_string("node");
      if (!node)
        return std::unexpected(node.error());
      attempt.node = node->value_or("");
      auto attempt_outcome = ir.required_string("outcome");
      if (!attempt_outcome)
        return std::unexpected(attempt_outcome.error());
      attempt.outcome = std::move(*attempt_outcome);
      auto remote = ir.optional_u64("remote_duration_us");
      if (!remote)
        return std::unexpected(remote.error());
      attempt.remote_duration_us = remote->value_or(0);
      auto round_trip = ir.optional_u64("round_trip_us");
      if (!round_trip)
        return std::unexpected(round_trip.error());
      attempt.round_trip_us = round_trip->value_or(0);
      e.attempts.push_back(std::move(attempt));
    }
  }
  return e;
}

std::expected<PrivateTraceEntry, TraceError> private_trace_entry_from_json(const Value& json) {
  if (!json.is_object())
    return std::unexpected(corrupt("$", "a private trace entry object"));
  Reader r(json, "$");
  PrivateTraceEntry e;
  auto id = r.required_string("trace_id");
  if (!id)
    return std::unexpected(id.error());
  e.trace_id = std::move(*id);
  auto in = r.required_string("inputs_hash");
  if (!in)
    return std::unexpected(in.error());
  e.inputs_hash = std::move(*in);
  auto out = r.optional_string("outputs_hash");
  if (!out)
    return std::unexpected(out.error());
  e.outputs_hash = std::move(*out);
  auto usage = r.optional_u64("resource_usage_ms");
  if (!usage)
    return std::unexpected(usage.error());
  if (!*usage)
    return std::unexpected(corrupt("$.resource_usage_ms", "a non-negative integer"));
  e.resource_usage_ms = **usage;
  if (auto it = json.find("input"); it != json.end())
    e.input = *it;
  if (auto it = json.find("output"); it != json.end())
    e.output = *it;
  if (auto it = json.find("published_events"); it != json.end() && !it->is_null()) {
    if (!it->is_array())
      return std::unexpected(corrupt("$.published_events", "an array"));
    for (std::size_t i = 0; i < it->size(); ++i) {
      const Value& event = (*it)[i];
      if (!event.is_object())
        return std::unexpected(
            corrupt("$.published_events[" + std::to_string(i) + "]", "an event object"));
      e.published_events.push_back(event);
    }
  }
  return e;
}

namespace {

bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size())
    return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20)
    return std::nullopt;
  if (!read_digits(text, 0, 4, year) || text[4] != '-' || !read_digits(text, 5, 2, month) ||
      text[7] != '-' || !read_digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !read_digits(text, 11, 2, hour) || text[13] != ':' || !read_digits(text, 14, 2, minute) ||
      text[16] != ':' || !read_digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    int scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start)
      return std::nullopt;
  }
  if (pos >= text.size())
    return std::nullopt;
  int offset_minutes = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!read_digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !read_digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = sign * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size())
    return std::nullopt;
  if (hour > 23 || minute > 59 || second > 60)
    return std::nullopt;  // 60: leap second
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok())
    return std::nullopt;
  const auto days = std::chrono::sys_days{ymd};
  return std::chrono::system_clock::time_point{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          days.time_since_epoch() + std::chrono::hours{hour} + std::chrono::minutes{minute} +
          std::chrono::seconds{second} + std::chrono::milliseconds{millis} -
          std::chrono::minutes{offset_minutes})};
}

}  // namespace traverse
