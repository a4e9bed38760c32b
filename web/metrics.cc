#include "web/metrics.h"

#include <cstdio>

namespace kiln::web {

// Statuses 100..599 each get a counter: a few KiB per route buys a lock-free
// increment and exact codes in the output.
struct Metrics::Slot {
  std::array<std::atomic<uint64_t>, 500> by_status{};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // last is +Inf
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> sum_ns{0};
};

Metrics::Metrics(std::vector<RouteLabel> routes)
    : labels_(std::move(routes)), slots_(new Slot[labels_.size() + 1]) {}

Metrics::~Metrics() = default;

void Metrics::Record(size_t route, int status, double seconds) {
  if (route > labels_.size()) route = labels_.size();
  Slot& slot = slots_[route];
  if (status >= 100 && status < 600) {
    slot.by_status[status - 100].fetch_add(1, std::memory_order_relaxed);
  }
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  slot.buckets[b].fetch_add(1, std::memory_order_relaxed);
  slot.count.fetch_add(1, std::memory_order_relaxed);
  slot.sum_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

void Metrics::ConnectionOpened() {
  open_.fetch_add(1, std::memory_order_relaxed);
  accepted_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::ConnectionClosed() { open_.fetch_sub(1, std::memory_order_relaxed); }

namespace {

std::string FormatDouble(double d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", d);
  return buf;
}

}  // namespace

std::string Metrics::RenderPrometheus() const {
  std::string out;
  out.reserve(8192);
  auto label = [&](size_t i) {
    if (i == labels_.size()) return std::string("method=\"\",route=\"unmatched\"");
    return "method=\"" + labels_[i].method + "\",route=\"" + labels_[i].pattern + "\"";
  };
  out += "# HELP kiln_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE kiln_http_requests_total counter\n";
  for (size_t i = 0; i <= labels_.size(); ++i) {
    for (size_t s = 0; s < slots_[i].by_status.size(); ++s) {
      uint64_t n = slots_[i].by_status[s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "kiln_http_requests_total{" + label(i) + ",status=\"" + std::to_string(s + 100) +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  out +=
      "# HELP kiln_http_request_duration_seconds Time from a request's arrival to its response.\n";
  out += "# TYPE kiln_http_request_duration_seconds histogram\n";
  for (size_t i = 0; i <= labels_.size(); ++i) {
    const Slot& slot = slots_[i];
    uint64_t count = slot.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += slot.buckets[b].load(std::memory_order_relaxed);
      std::string le = b < kBuckets.size() ? FormatDouble(kBuckets[b]) : "+Inf";
      out += "kiln_http_request_duration_seconds_bucket{" + label(i) + ",le=\"" + le + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "kiln_http_request_duration_seconds_sum{" + label(i) + "} " +
           FormatDouble(slot.sum_ns.load(std::memory_order_relaxed) / 1e9) + "\n";
    out += "kiln_http_request_duration_seconds_count{" + label(i) + "} " + std::to_string(count) +
           "\n";
  }
  out += "# HELP kiln_http_connections_open Connections open now.\n";
  out += "# TYPE kiln_http_connections_open gauge\n";
  out += "kiln_http_connections_open " + std::to_string(open_.load()) + "\n";
  out += "# HELP kiln_http_connections_total Connections accepted since start.\n";
  out += "# TYPE kiln_http_connections_total counter\n";
  out += "kiln_http_connections_total " + std::to_string(accepted_.load()) + "\n";
  return out;
}

}  // namespace kiln::web
