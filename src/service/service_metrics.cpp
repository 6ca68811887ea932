#include "traverse/service/service_metrics.hpp"

#include <cstdio>

namespace traverse {
namespace {

constexpr std::string_view kOther = "other";

// Label values escape backslash, double quote and newline (Prometheus text format).
std::string escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

}  // namespace

void ServiceMetrics::record_request(std::string_view route, unsigned status) {
  std::lock_guard lock(mutex_);
  if (const auto it = requests_.find(std::pair{route, status}); it != requests_.end()) {
    ++it->second;
    return;
  }
  auto key = std::make_pair(std::string(route), status);
  if (requests_.size() >= kMaxSeries) {
    key.first = kOther;
  }
  ++requests_[key];
}

void ServiceMetrics::record_execution(std::string_view capability, std::string_view outcome,
                                      double seconds) {
  std::lock_guard lock(mutex_);
  // Found by string_view: a known series costs no allocation.
  auto histogram = latency_.find(capability);
  if (histogram == latency_.end()) {
    if (latency_.size() >= kMaxSeries) {
      capability = kOther;
      histogram = latency_.find(capability);
    }
    if (histogram == latency_.end()) {
      histogram = latency_.emplace(std::string(capability), Histogram{}).first;
    }
  }
  const std::pair<std::string_view, std::string_view> key{capability, outcome};
  if (const auto it = executions_.find(key); it != executions_.end()) {
    ++it->second;
  } else {
    executions_.emplace(std::pair{std::string(capability), std::string(outcome)}, 1);
  }
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++histogram->second.buckets[i];
    }
  }
  ++histogram->second.count;
  histogram->second.sum += seconds;
}

void ServiceMetrics::record_trace_write_failure() {
  std::lock_guard lock(mutex_);
  ++trace_write_failures_;
}

std::string ServiceMetrics::render(const std::vector<Gauge>& gauges) const {
  std::string out;
  std::lock_guard lock(mutex_);
  out += "# HELP traverse_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE traverse_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out += "traverse_http_requests_total{route=\"" + escape(key.first) + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  out += "# HELP traverse_executions_total Capability executions, by capability and outcome.\n";
  out += "# TYPE traverse_executions_total counter\n";
  for (const auto& [key, count] : executions_) {
    out += "traverse_executions_total{capability=\"" + escape(key.first) + "\",outcome=\"" +
           escape(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  out += "# HELP traverse_execution_duration_seconds Execution latency, by capability.\n";
  out += "# TYPE traverse_execution_duration_seconds histogram\n";
  for (const auto& [capability, histogram] : latency_) {
    const std::string label = "capability=\"" + escape(capability) + "\"";
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out += "traverse_execution_duration_seconds_bucket{" + label + ",le=\"" +
             number(kBuckets[i]) + "\"} " + std::to_string(histogram.buckets[i]) + "\n";
    }
    out += "traverse_execution_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
           std::to_string(histogram.count) + "\n";
    out += "traverse_execution_duration_seconds_sum{" + label + "} " + number(histogram.sum) + "\n";
    out += "traverse_execution_duration_seconds_count{" + label + "} " +
           std::to_string(histogram.count) + "\n";
  }
  out +=
      "# HELP traverse_trace_write_failures_total Executions whose trace could not be "
      "written.\n";
  out += "# TYPE traverse_trace_write_failures_total counter\n";
  out += "traverse_trace_write_failures_total " + std::to_string(trace_write_failures_) + "\n";
  for (const auto& gauge : gauges) {
    out += "# HELP " + gauge.name + " " + gauge.help + "\n";
    out += "# TYPE " + gauge.name + " gauge\n";
    out += gauge.name + " " + number(gauge.value) + "\n";
  }
  return out;
}

}  // namespace traverse
