// traverse/service/service_metrics.hpp — the counters and histograms `GET /metrics` exposes in
// the Prometheus text format (version 0.0.4).
//
// Series: traverse_http_requests_total{route,status}, traverse_executions_total{capability,
// outcome}, traverse_execution_duration_seconds (histogram, by capability),
// traverse_trace_write_failures_total; gauges passed to render() (pool queue depth and busy
// workers, service workers, open connections, event stream).
// Thread safety: every member is safe to call from any thread. Label sets are bounded: at most
// kMaxSeries distinct capability labels, further ones are counted under "other".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace traverse {

class ServiceMetrics {
 public:
  static constexpr std::size_t kMaxSeries = 512;
  // Upper bounds (seconds) of the latency histogram buckets (+Inf implied).
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  // `route` is the route pattern (e.g. "/v1/traces/{id}"), never the raw path.
  void record_request(std::string_view route, unsigned status);
  void record_execution(std::string_view capability, std::string_view outcome, double seconds);
  void record_trace_write_failure();

  // A gauge line group rendered after the counters: name, help, value.
  struct Gauge {
    std::string name;
    std::string help;
    double value = 0;
  };
  [[nodiscard]] std::string render(const std::vector<Gauge>& gauges) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  // Ordered by (route, status); looked up by string_view (no allocation per request).
  struct RequestKeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const std::string_view a_route = a.first;
      const std::string_view b_route = b.first;
      return a_route < b_route || (a_route == b_route && a.second < b.second);
    }
  };
  std::map<std::pair<std::string, unsigned>, std::uint64_t, RequestKeyLess> requests_;
  // Ordered by (capability, outcome); looked up by string_views, like requests_.
  struct ExecutionKeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const std::string_view a_first = a.first;
      const std::string_view b_first = b.first;
      return a_first < b_first ||
             (a_first == b_first && std::string_view(a.second) < std::string_view(b.second));
    }
  };
  std::map<std::pair<std::string, std::string>, std::uint64_t, ExecutionKeyLess> executions_;
  std::map<std::string, Histogram, std::less<>> latency_;
  std::uint64_t trace_write_failures_ = 0;
};

}  // namespace traverse
