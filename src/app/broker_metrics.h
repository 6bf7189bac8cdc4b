// The broker's metric collectors: everything GET /metrics shows beyond the
// request counters (which handlers update through BrokerContext).
//
// - FlushMetrics: a storage::FlushObserver feeding the group-commit fsync
//   latency and batches-per-fsync histograms (lock-free, flusher thread).
// - CollectPartitionMetrics(), CollectGroupMetrics(), CollectServerMetrics():
//   scrape-time gauges read from the partition manager (log start/end
//   offsets, high watermark, size), the group coordinator (committed
//   offsets, lag in records and seconds) and the network server
//   (connections). The Broker (broker.cc) registers them, and keel_ready
//   beside them.
// Thread-safety: collectors run on the scraping thread and only call
// thread-safe accessors. The objects they read must outlive the registry's
// collectors (the Broker clears the registry before destroying them).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include "keel/coordinator/group_coordinator.h"
#include "keel/metrics/histogram.h"
#include "keel/metrics/registry.h"
#include "keel/partition/partition_manager.h"
#include "keel/server/server.h"
#include "keel/storage/flusher.h"

namespace keel::app {

class FlushMetrics : public storage::FlushObserver {
 public:
  FlushMetrics();
  void OnLogFlushed(std::chrono::nanoseconds took, uint64_t batches) override;
  void Collect(metrics::ExpositionWriter& w) const;

 private:
  metrics::Histogram latency_;
  metrics::Histogram batches_;
};

// Wall clock in ms, for lag in seconds (injectable for tests).
using WallClockMs = std::function<int64_t()>;

void CollectPartitionMetrics(const partition::PartitionManager& partitions,
                             metrics::ExpositionWriter& w);
void CollectGroupMetrics(const partition::PartitionManager& partitions,
                         coordinator::GroupCoordinator& groups, const WallClockMs& now_ms,
                         metrics::ExpositionWriter& w);
void CollectServerMetrics(const server::Server& server, metrics::ExpositionWriter& w);

}  // namespace keel::app
