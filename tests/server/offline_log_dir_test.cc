// A log dir taken offline by an fsync EIO, seen through the real request path:
// the Dispatcher and its handlers over a PartitionManager on SimFileSystem
// with two log dirs. Requests are encoded as a client would send them and the
// responses decoded from the bytes the broker would write.
//
// Kafka's behaviour (a partition whose only replica's log dir is offline):
// Produce (any acks), Fetch and ListOffsets answer KAFKA_STORAGE_ERROR (56);
// Metadata reports the partition without a leader: LEADER_NOT_AVAILABLE,
// leader -1, the broker in replicas, ISR and offline_replicas.
#include <algorithm>
#include <future>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "keel/partition/partition_manager.h"
#include "keel/protocol/api_table.h"
#include "keel/protocol/error_code.h"
#include "keel/protocol/messages/fetch.h"
#include "keel/protocol/messages/list_offsets.h"
#include "keel/protocol/messages/metadata.h"
#include "keel/protocol/messages/produce.h"
#include "keel/protocol/request_header.h"
#include "keel/protocol/writer.h"
#include "keel/server/broker_context.h"
#include "keel/server/dispatcher.h"
#include "keel/server/producer_id_allocator.h"
#include "dispatch_call.h"
#include "spdlog/sinks/null_sink.h"
#include "testutil/batch_builder.h"
#include "testutil/sim_file_system.h"

namespace keel::server {
namespace {

using protocol::ErrorCode;
using keel::testing::SimFileSystem;
using keel::server::testing::DispatchCall;

constexpr int16_t kStorageError = int16_t(ErrorCode::KAFKA_STORAGE_ERROR);
constexpr int16_t kNone = int16_t(ErrorCode::NONE);
constexpr int kPartitions = 4;
// Non-flexible versions: the response header is the correlation id alone.
constexpr int16_t kProduceVersion = 8;
constexpr int16_t kFetchVersion = 11;
constexpr int16_t kListOffsetsVersion = 5;
constexpr int16_t kMetadataVersion = 8;

class OfflineLogDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* d : {"/d0", "/d1", "/ids"}) ASSERT_TRUE(fs_.CreateDir(d).ok());
    ASSERT_TRUE(fs_.SyncDir("/").ok());
    config_.node_id = 1;
    config_.listeners = {config::ListenerSpec{"PLAINTEXT", "127.0.0.1", 9092}};
    config_.advertised_listeners = config_.listeners;
    config_.log_dirs = {"/d0", "/d1"};
    partition::PartitionManagerOptions o;
    o.log_dirs = config_.log_dirs;
    o.fs = &fs_;
    o.retention_check_interval_ms = 3600000;
    o.cleaner_enable = false;
    o.logger = std::make_shared<spdlog::logger>(
        "pm", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto pm = partition::PartitionManager::Open(std::move(o));
    ASSERT_TRUE(pm.ok()) << pm.status();
    partitions_ = std::move(*pm);
    partitions_->SetHighWatermarkObserver(
        [this](const TopicPartition& tp, Offset) { waiters_.Notify(tp); });
    auto ids = ProducerIdAllocator::Open(fs_, "/ids");
    ASSERT_TRUE(ids.ok()) << ids.status();
    producer_ids_ = std::move(*ids);
    ASSERT_TRUE(partitions_->CreateTopic("t", kPartitions, {}).ok());
    context_ = std::make_unique<BrokerContext>(BrokerContext{
        config_, *partitions_, storage_pool_, waiters_, *producer_ids_,
        partitions_->default_config()});
    dispatcher_ = std::make_unique<Dispatcher>(*context_);
    io_thread_ = std::thread([this] { io_.run(); });
    for (int p = 0; p < kPartitions; ++p) {
      const std::string& dir = partitions_->GetLog(TopicPartition{"t", PartitionId(p)})->dir();
      (dir.starts_with("/d0/") ? in_d0_ : in_d1_).push_back(p);
    }
    ASSERT_FALSE(in_d0_.empty());
    ASSERT_FALSE(in_d1_.empty());
  }

  void TearDown() override {
    work_.reset();
    if (io_thread_.joinable()) io_thread_.join();
    storage_pool_.join();
    if (partitions_) (void)partitions_->Shutdown();
  }

  // Runs `request` through the Dispatcher (dispatch_call.h); the decoded
  // response points into last_response_.
  template <typename Resp, typename Req>
  Resp Call(const Req& request, int16_t version) {
    return DispatchCall<Resp>(io_, *dispatcher_, request, version, ++correlation_, last_response_);
  }

  int16_t Produce(int partition, int16_t acks) {
    std::vector<uint8_t> batch = testutil::BuildSimpleBatch(2, 16);
    protocol::ProduceRequest req;
    req.acks = acks;
    req.timeout_ms = 10000;
    auto& t = req.topic_data.emplace_back();
    t.name = "t";
    auto& p = t.partition_data.emplace_back();
    p.index = PartitionId(partition);
    p.records = protocol::RecordsRef{batch};
    auto resp = Call<protocol::ProduceResponse>(req, kProduceVersion);
    if (resp.responses.size() != 1 || resp.responses[0].partition_responses.size() != 1) {
      ADD_FAILURE() << "malformed produce response";
      return -1;
    }
    return resp.responses[0].partition_responses[0].error_code;
  }

  int16_t Fetch(int partition, int64_t offset) {
    protocol::FetchRequest req;
    req.max_wait_ms = 0;
    req.min_bytes = 1;
    req.max_bytes = 1 << 20;
    auto& t = req.topics.emplace_back();
    t.topic = "t";
    auto& p = t.partitions.emplace_back();
    p.partition = PartitionId(partition);
    p.fetch_offset = Offset(offset);
    p.partition_max_bytes = 1 << 20;
    auto resp = Call<protocol::FetchResponse>(req, kFetchVersion);
    if (resp.responses.size() != 1 || resp.responses[0].partitions.size() != 1) {
      ADD_FAILURE() << "malformed fetch response";
      return -1;
    }
    return resp.responses[0].partitions[0].error_code;
  }

  int16_t ListOffsets(int partition, int64_t timestamp) {
    protocol::ListOffsetsRequest req;
    req.replica_id = NodeId(-1);
    auto& t = req.topics.emplace_back();
    t.name = "t";
    auto& p = t.partitions.emplace_back();
    p.partition_index = PartitionId(partition);
    p.timestamp = timestamp;
    auto resp = Call<protocol::ListOffsetsResponse>(req, kListOffsetsVersion);
    if (resp.topics.size() != 1 || resp.topics[0].partitions.size() != 1) {
      ADD_FAILURE() << "malformed list offsets response";
      return -1;
    }
    return resp.topics[0].partitions[0].error_code;
  }

  // Metadata of topic "t", one entry per partition in partition order.
  std::vector<protocol::MetadataResponse::MetadataResponseTopic::MetadataResponsePartition>
  DescribePartitions() {
    protocol::MetadataRequest req;
    req.topics.emplace();
    auto& t = req.topics->emplace_back();
    t.name = "t";
    auto resp = Call<protocol::MetadataResponse>(req, kMetadataVersion);
    if (resp.topics.size() != 1) {
      ADD_FAILURE() << "malformed metadata response";
      return {};
    }
    EXPECT_EQ(resp.topics[0].error_code, kNone) << "the topic itself is known";
    auto parts = resp.topics[0].partitions;
    std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) {
      return a.partition_index.value < b.partition_index.value;
    });
    return parts;
  }

  // An fsync EIO in /d0 during an acks=all produce: the dir goes offline.
  void TakeD0Offline() {
    fs_.FailNextDataSyncs(1, "/d0/");
    EXPECT_EQ(Produce(in_d0_[0], -1), kStorageError)
        << "the acks=all produce whose fsync failed must not be acknowledged";
    ASSERT_TRUE(partitions_->IsLogDirOffline("/d0"));
    ASSERT_FALSE(partitions_->IsLogDirOffline("/d1"));
  }

  SimFileSystem fs_{11};
  config::BrokerConfig config_;
  std::unique_ptr<partition::PartitionManager> partitions_;
  std::unique_ptr<ProducerIdAllocator> producer_ids_;
  net::thread_pool storage_pool_{1};
  WatermarkWaiters waiters_;
  std::unique_ptr<BrokerContext> context_;
  std::unique_ptr<Dispatcher> dispatcher_;
  net::io_context io_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread io_thread_;
  int32_t correlation_ = 0;
  std::vector<uint8_t> last_response_;
  std::vector<int> in_d0_, in_d1_;
};

TEST_F(OfflineLogDirTest, AcksAllProduceHitByFsyncEioIsAnsweredStorageError) {
  ASSERT_EQ(Produce(in_d0_[0], -1), kNone);
  TakeD0Offline();
}

TEST_F(OfflineLogDirTest, ProduceToOfflineDirAnswersStorageErrorForEveryAcks) {
  TakeD0Offline();
  for (int p : in_d0_) {
    EXPECT_EQ(Produce(p, -1), kStorageError) << "acks=all, partition " << p;
    EXPECT_EQ(Produce(p, 1), kStorageError) << "acks=1, partition " << p;
  }
  for (int p : in_d1_) {
    EXPECT_EQ(Produce(p, -1), kNone) << "the other dir keeps working, partition " << p;
    EXPECT_EQ(Produce(p, 1), kNone) << p;
  }
}

TEST_F(OfflineLogDirTest, FetchAndListOffsetsOfOfflineDirAnswerStorageError) {
  for (int p = 0; p < kPartitions; ++p) ASSERT_EQ(Produce(p, -1), kNone) << p;
  TakeD0Offline();
  for (int p : in_d0_) {
    EXPECT_EQ(Fetch(p, 0), kStorageError) << "fetch from the start, partition " << p;
    EXPECT_EQ(Fetch(p, 2), kStorageError) << "fetch at the end, partition " << p;
    EXPECT_EQ(ListOffsets(p, -1), kStorageError) << "latest, partition " << p;
    EXPECT_EQ(ListOffsets(p, -2), kStorageError) << "earliest, partition " << p;
  }
  for (int p : in_d1_) {
    EXPECT_EQ(Fetch(p, 0), kNone) << p;
    EXPECT_EQ(ListOffsets(p, -1), kNone) << p;
  }
}

TEST_F(OfflineLogDirTest, MetadataReportsOfflinePartitionsWithoutLeader) {
  TakeD0Offline();
  auto parts = DescribePartitions();
  ASSERT_EQ(parts.size(), size_t(kPartitions));
  const NodeId self(1);
  for (int p : in_d0_) {
    const auto& part = parts[size_t(p)];
    EXPECT_EQ(part.error_code, int16_t(ErrorCode::LEADER_NOT_AVAILABLE)) << p;
    EXPECT_EQ(part.leader_id, NodeId(-1)) << p;
    EXPECT_EQ(part.replica_nodes, std::vector<NodeId>{self}) << p;
    EXPECT_EQ(part.isr_nodes, std::vector<NodeId>{self}) << p;
    EXPECT_EQ(part.offline_replicas, std::vector<NodeId>{self}) << p;
  }
  for (int p : in_d1_) {
    const auto& part = parts[size_t(p)];
    EXPECT_EQ(part.error_code, kNone) << p;
    EXPECT_EQ(part.leader_id, self) << p;
    EXPECT_TRUE(part.offline_replicas.empty()) << p;
  }
}

}  // namespace
}  // namespace keel::server
