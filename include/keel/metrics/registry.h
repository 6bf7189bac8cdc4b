// The set of metric collectors one broker exposes on GET /metrics.
//
// A collector is a callback that writes whole metric families (Family() then
// its samples) into an ExpositionWriter at scrape time. Gauges that describe
// state owned elsewhere (partitions, groups, connections) are computed by
// their collector when scraped, never maintained on hot paths.
//
// Owned by the app (one per broker, no global state). Thread-safety: Add and
// Scrape are thread-safe; a scrape runs the collectors in the order they were
// added, under the registry's mutex (collectors must not call back into it).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "keel/metrics/exposition.h"

namespace keel::metrics {

class Registry {
 public:
  using Collector = std::function<void(ExpositionWriter&)>;

  void Add(Collector collector);
  // Removes every collector (before the state they read is destroyed).
  void Clear();
  // The exposition text of every collector.
  std::string Scrape() const;

 private:
  mutable std::mutex mu_;
  std::vector<Collector> collectors_;
};

}  // namespace keel::metrics
