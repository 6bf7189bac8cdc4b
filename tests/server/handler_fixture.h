// A broker without sockets for handler tests: a PartitionManager on
// SimFileSystem (one log dir), the real Dispatcher and its handlers, and a
// Call() that encodes a request as a client would and decodes the response
// from the bytes the broker would write. Only non-flexible versions (the
// response header is the correlation id alone).
//
// Decoded responses point into the last response's bytes, which stay valid
// until the next Call(). Not thread-safe: use from the test's thread.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "keel/partition/partition_manager.h"
#include "keel/protocol/api_table.h"
#include "keel/protocol/request_header.h"
#include "keel/protocol/writer.h"
#include "keel/server/broker_context.h"
#include "keel/server/dispatcher.h"
#include "keel/server/producer_id_allocator.h"
#include "dispatch_call.h"
#include "spdlog/sinks/null_sink.h"
#include "testutil/sim_file_system.h"

namespace keel::server::testing {

class HandlerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* d : {"/d0", "/ids"}) ASSERT_TRUE(fs_.CreateDir(d).ok());
    ASSERT_TRUE(fs_.SyncDir("/").ok());
    config_.node_id = 1;
    config_.listeners = {config::ListenerSpec{"PLAINTEXT", "127.0.0.1", 9092}};
    config_.advertised_listeners = config_.listeners;
    config_.log_dirs = {"/d0"};
    partition::PartitionManagerOptions o;
    o.log_dirs = config_.log_dirs;
    o.fs = &fs_;
    o.retention_check_interval_ms = 3600000;
    o.cleaner_enable = false;
    o.logger = std::make_shared<spdlog::logger>("pm", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto pm = partition::PartitionManager::Open(std::move(o));
    ASSERT_TRUE(pm.ok()) << pm.status();
    partitions_ = std::move(*pm);
    partitions_->SetHighWatermarkObserver([this](const TopicPartition& tp, Offset) { waiters_.Notify(tp); });
    auto ids = ProducerIdAllocator::Open(fs_, "/ids");
    ASSERT_TRUE(ids.ok()) << ids.status();
    producer_ids_ = std::move(*ids);
    context_ = std::make_unique<BrokerContext>(BrokerContext{config_, *partitions_, storage_pool_, waiters_,
                                                             *producer_ids_, partitions_->default_config()});
    dispatcher_ = std::make_unique<Dispatcher>(*context_);
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    work_.reset();
    if (io_thread_.joinable()) io_thread_.join();
    storage_pool_.join();
    if (partitions_) (void)partitions_->Shutdown();
  }

  template <typename Resp, typename Req>
  Resp Call(const Req& request, int16_t version) {
    return DispatchCall<Resp>(io_, *dispatcher_, request, version, ++correlation_, last_response_);
  }

  keel::testing::SimFileSystem fs_{23};
  config::BrokerConfig config_;
  std::unique_ptr<partition::PartitionManager> partitions_;
  std::unique_ptr<ProducerIdAllocator> producer_ids_;
  net::thread_pool storage_pool_{1};
  WatermarkWaiters waiters_;
  std::unique_ptr<BrokerContext> context_;
  std::unique_ptr<Dispatcher> dispatcher_;
  net::io_context io_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_{io_.get_executor()};
  std::thread io_thread_;
  int32_t correlation_ = 0;
  std::vector<uint8_t> last_response_;
};

}  // namespace keel::server::testing
