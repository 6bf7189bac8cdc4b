// Wires one Keel broker together: storage (partition manager), the request
// handlers and the network front end, from a BrokerConfig.
//
// Start() starts the HTTP listener (/healthz, /readyz, /metrics) if
// configured, opens (and if needed recovers) every log, loads the consumer
// groups, then starts accepting Kafka clients; /readyz answers 200 from then
// on. Stop() turns /readyz to 503, stops accepting, drains in-flight requests
// (shutdown.drain.ms), flushes every log and writes the clean-shutdown
// markers, then stops the HTTP listener. Owned by main(); not copyable.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <string>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "broker_metrics.h"
#include "keel/config/broker_config.h"
#include "keel/metrics/registry.h"
#include "keel/metrics/request_metrics.h"
#include "keel/server/http_server.h"
#include "keel/coordinator/clock.h"
#include "keel/coordinator/group_coordinator.h"
#include "keel/coordinator/partition_coordinator_log.h"
#include "keel/coordinator/partition_txn_marker_writer.h"
#include "keel/coordinator/txn_coordinator.h"
#include "keel/partition/partition_manager.h"
#include "keel/server/broker_context.h"
#include "keel/server/dispatcher.h"
#include "keel/server/dynamic_broker_config.h"
#include "keel/server/producer_id_allocator.h"
#include "keel/server/server.h"
#include "keel/server/watermark_waiters.h"
#include "keel/storage/dir_lock.h"
#include "keel/storage/file_system.h"

namespace keel::app {

class Broker {
 public:
  explicit Broker(config::BrokerConfig config);
  ~Broker();

  absl::Status Start();
  void Stop();
  std::vector<config::ListenerSpec> bound_listeners() const;
  // "host:port" of the HTTP listener as bound; empty when it is off.
  std::string http_address() const;
  bool ready() const { return ready_.load(); }

 private:
  absl::Status StartHttp();
  // The endpoints of the HTTP listener.
  server::HttpRouter HttpRoutes();
  void LogRecoverySummary(std::chrono::milliseconds took);

  config::BrokerConfig config_;
  // Metrics: declared before what they observe so they outlive it.
  metrics::Registry registry_;
  std::unique_ptr<metrics::RequestMetrics> request_metrics_;
  FlushMetrics flush_metrics_;
  std::unique_ptr<server::HttpServer> http_;
  std::atomic<bool> ready_{false};
  // One exclusive lock per log dir, taken before anything in the dir is
  // touched and released last on Stop (after the clean-shutdown markers).
  std::vector<storage::DirLock> dir_locks_;
  std::unique_ptr<storage::FileSystem> fs_;
  std::unique_ptr<server::DynamicBrokerConfig> dynamic_config_;
  std::unique_ptr<partition::PartitionManager> partitions_;
  std::unique_ptr<server::ProducerIdAllocator> producer_ids_;
  server::WatermarkWaiters waiters_;
  std::unique_ptr<server::net::thread_pool> storage_pool_;
  std::unique_ptr<server::BrokerContext> context_;
  std::unique_ptr<server::Dispatcher> dispatcher_;
  std::unique_ptr<server::Server> server_;
  // Consumer groups: records in __consumer_offsets, timers driven by a ticker
  // thread that calls GroupCoordinator::Tick() at the next group deadline
  // (and TxnCoordinator::Tick()).
  coordinator::SystemClock group_clock_;
  std::unique_ptr<coordinator::PartitionCoordinatorLog> offsets_log_;
  std::unique_ptr<coordinator::GroupCoordinator> groups_;
  // Transactions: state in __transaction_state, markers through the
  // partition logs (and the group coordinator for __consumer_offsets).
  std::unique_ptr<coordinator::PartitionCoordinatorLog> txn_log_;
  std::unique_ptr<coordinator::PartitionTxnMarkerWriter> txn_markers_;
  std::unique_ptr<coordinator::TxnCoordinator> txns_;
  std::thread group_ticker_;
  std::mutex ticker_mu_;
  std::condition_variable ticker_cv_;
  bool ticker_stop_ = false;
  bool ticker_wake_ = false;  // a group timer earlier than the ticker's wait
  bool stopped_ = false;
};

}  // namespace keel::app
