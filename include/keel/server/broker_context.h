// Everything a request handler may use: configuration, the partition manager,
// the storage thread pool, long-poll waiters and id allocators. Owned by the
// app's Broker; handlers hold a reference for the duration of one request.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "keel/config/broker_config.h"
#include "keel/partition/partition_manager.h"
#include "keel/server/net.h"
#include "keel/server/watermark_waiters.h"
#include "keel/storage/log_config.h"

namespace keel::coordinator {
class GroupCoordinator;
class TxnCoordinator;
}  // namespace keel::coordinator

namespace keel::metrics {
class RequestMetrics;
}  // namespace keel::metrics

namespace keel::server {

class DynamicBrokerConfig;
class ProducerIdAllocator;

struct BrokerContext {
  const config::BrokerConfig& config;
  partition::PartitionManager& partitions;
  // Blocking storage work (fetch reads, admin file I/O, coordinator calls
  // that append) runs here, never on I/O threads. Produce appends run inline
  // on the connection's strand (a page-cache write; see produce.cc).
  net::thread_pool& storage_pool;
  WatermarkWaiters& watermark_waiters;
  ProducerIdAllocator& producer_ids;
  // Topic config defaults as at start-up. They may change at run time
  // (dynamic broker configs): handlers read partitions.default_config().
  storage::LogConfig default_log_config;
  // The consumer-group coordinator; null until the app wires one (group
  // APIs then answer COORDINATOR_NOT_AVAILABLE). Owned by the app.
  coordinator::GroupCoordinator* groups = nullptr;
  // The transaction coordinator; null until the app wires one (transactional
  // APIs then answer COORDINATOR_NOT_AVAILABLE). Owned by the app.
  coordinator::TxnCoordinator* txns = nullptr;
  // Request and per-topic byte counters; null when metrics are not wired
  // (tests). Owned by the app.
  metrics::RequestMetrics* request_metrics = nullptr;
  // Dynamic broker configs (AlterConfigs on the BROKER resource); null when
  // not wired (tests): broker configs are then static and refused.
  DynamicBrokerConfig* dynamic_config = nullptr;
  // OffsetCommit and TxnOffsetCommit start their coordinator call here, in
  // the order their handlers reach it (handlers run in arrival order on the
  // connection's strand until they first suspend). A strand on the storage
  // pool runs them one at a time, so two commits pipelined on one
  // connection are applied in arrival order and the last one stands, as
  // with Kafka (librdkafka's async commits rely on it: its test 0030).
  net::strand<net::thread_pool::executor_type> group_commit_calls{storage_pool.get_executor()};
};

}  // namespace keel::server
