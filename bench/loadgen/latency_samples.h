// LatencySamples: every latency sample of a run, kept exactly, so percentiles
// are exact order statistics (no histogram buckets).
//
// Not thread-safe: each producer thread owns one LatencySamples; the main
// thread merges them with Merge() after the threads have joined.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace keel::bench {

class LatencySamples {
 public:
  void Reserve(size_t n) { ns_.reserve(n); }
  void Add(int64_t nanos) { ns_.push_back(nanos); }
  void Merge(const LatencySamples& other) {
    ns_.insert(ns_.end(), other.ns_.begin(), other.ns_.end());
  }
  size_t count() const { return ns_.size(); }

  // Sorts the samples; call once before Percentile/Max/Mean.
  void Finish() { std::sort(ns_.begin(), ns_.end()); }

  // Nearest-rank percentile (q in [0,100]) in nanoseconds; 0 when empty.
  // REQUIRES: Finish() was called after the last Add/Merge.
  int64_t Percentile(double q) const {
    if (ns_.empty()) return 0;
    double rank = std::ceil(q / 100.0 * double(ns_.size()));
    size_t idx = rank < 1 ? 0 : size_t(rank) - 1;
    return ns_[std::min(idx, ns_.size() - 1)];
  }
  int64_t Max() const { return ns_.empty() ? 0 : ns_.back(); }
  double Mean() const {
    if (ns_.empty()) return 0;
    long double sum = 0;
    for (int64_t v : ns_) sum += v;
    return double(sum / ns_.size());
  }

 private:
  std::vector<int64_t> ns_;
};

}  // namespace keel::bench
