// HTTP metrics in Prometheus text format: requests by route and status, a
// latency histogram per route, open and total connections.
//
// Routes are fixed at construction (one slot each, plus "unmatched"), so
// recording is a few relaxed atomic increments with no lock. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::web {

class Metrics {
 public:
  struct RouteLabel {
    std::string method;
    std::string pattern;
  };
  // Upper bounds in seconds of the latency buckets (+Inf is implied).
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  explicit Metrics(std::vector<RouteLabel> routes);
  ~Metrics();

  // `route` is an index into the constructor's list, or routes.size() for "unmatched".
  void Record(size_t route, int status, double seconds);
  void ConnectionOpened();
  void ConnectionClosed();
  int64_t open_connections() const { return open_.load(std::memory_order_relaxed); }

  std::string RenderPrometheus() const;

 private:
  struct Slot;
  std::vector<RouteLabel> labels_;
  std::unique_ptr<Slot[]> slots_;  // labels_.size() + 1
  std::atomic<int64_t> open_{0};
  std::atomic<uint64_t> accepted_{0};
};

}  // namespace kiln::web
