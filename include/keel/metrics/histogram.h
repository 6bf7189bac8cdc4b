// A lock-free histogram with fixed upper bounds, and a counter, for hot paths.
//
// Observe() is a few relaxed atomic adds (no lock, no allocation); Snapshot()
// reads the buckets without stopping writers, so a snapshot taken during
// observations may be off by the observations in flight, but its buckets are
// cumulative and its +Inf bucket always equals its count.
// Thread-safety: all methods are thread-safe. Not copyable or movable.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "keel/metrics/exposition.h"

namespace keel::metrics {

class Histogram {
 public:
  // REQUIRES: `bounds` strictly increasing and finite.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value);
  HistogramSnapshot Snapshot() const;
  uint64_t count() const;

 private:
  const std::vector<double> bounds_;
  // One slot per bound plus one for values above the last bound.
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

// Bucket bounds for request latencies, in seconds: 0.5 ms .. 10 s.
std::vector<double> LatencySecondsBounds();
// Bucket bounds for fsync latencies, in seconds: 50 us .. 5 s.
std::vector<double> FsyncSecondsBounds();
// Bucket bounds for small counts (batches per fsync): 1, 2, 4, ... 1024.
std::vector<double> CountBounds();

class Counter {
 public:
  void Add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

}  // namespace keel::metrics
