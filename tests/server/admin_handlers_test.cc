// The admin API handlers (AlterConfigs, IncrementalAlterConfigs,
// DeleteRecords, DescribeCluster, DescribeLogDirs, ElectLeaders) against a real
// PartitionManager in a temp dir. Each request is encoded and decoded at the
// version under test before the handler sees it, and the response likewise,
// so fields a version lacks behave as they would on the wire.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "alter_configs.h"
#include "config_alter.h"
#include "delete_records.h"
#include "describe_cluster.h"
#include "describe_configs.h"
#include "describe_log_dirs.h"
#include "elect_leaders.h"
#include "gtest/gtest.h"
#include "incremental_alter_configs.h"
#include "keel/partition/partition_manager.h"
#include "keel/server/dynamic_broker_config.h"
#include "keel/server/producer_id_allocator.h"
#include "keel/storage/file_system.h"
#include "testutil/batch_builder.h"
#include "testutil/temp_dir.h"

namespace keel::server {
namespace {

using protocol::ErrorCode;

constexpr int16_t kNone = int16_t(ErrorCode::NONE);

// ---- pure helpers -----------------------------------------------------------

TEST(ConfigOpsTest, DuplicateKeysAreRejected) {
  std::vector<ConfigOpEntry> ops = {{"retention.ms", 0, "1"}, {"retention.ms", 0, "2"}};
  EXPECT_EQ(CheckConfigOps(ops), std::optional<std::string>("Error due to duplicate config keys"));
}

TEST(ConfigOpsTest, NullValueIsOnlyAllowedForDelete) {
  std::vector<ConfigOpEntry> del = {{"retention.ms", int8_t(ConfigOp::kDelete), std::nullopt}};
  EXPECT_EQ(CheckConfigOps(del), std::nullopt);
  std::vector<ConfigOpEntry> set = {{"retention.ms", int8_t(ConfigOp::kSet), std::nullopt}};
  ASSERT_TRUE(CheckConfigOps(set).has_value());
  EXPECT_NE(CheckConfigOps(set)->find("retention.ms"), std::string::npos);
}

TEST(ConfigOpsTest, UnknownOperationIsRejected) {
  std::vector<ConfigOpEntry> ops = {{"retention.ms", 7, "1"}};
  ASSERT_TRUE(CheckConfigOps(ops).has_value());
  EXPECT_NE(CheckConfigOps(ops)->find("Unknown operations type 7"), std::string::npos);
}

TEST(ConfigOpsTest, SetAndDeleteMergeIntoCurrentOverrides) {
  std::map<std::string, std::string> current = {{"retention.ms", "1000"}, {"segment.ms", "60000"}};
  std::vector<ConfigOpEntry> ops = {{"retention.ms", int8_t(ConfigOp::kDelete), std::nullopt},
                                    {"retention.bytes", int8_t(ConfigOp::kSet), "4096"}};
  auto merged = MergeConfigOps(current, {}, ops);
  ASSERT_TRUE(merged.ok()) << merged.status();
  std::map<std::string, std::string> expected = {{"retention.bytes", "4096"},
                                                 {"segment.ms", "60000"}};
  EXPECT_EQ(*merged, expected);
}

TEST(ConfigOpsTest, AppendStartsFromTheDefaultAndSkipsPresentValues) {
  std::map<std::string, std::string> defaults = {{"cleanup.policy", "delete"}};
  std::vector<ConfigOpEntry> ops = {
      {"cleanup.policy", int8_t(ConfigOp::kAppend), "compact,delete"}};
  auto merged = MergeConfigOps({}, defaults, ops);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->at("cleanup.policy"), "delete,compact");
}

TEST(ConfigOpsTest, SubtractRemovesFromTheCurrentOverride) {
  std::map<std::string, std::string> current = {{"cleanup.policy", "compact,delete"}};
  std::vector<ConfigOpEntry> ops = {{"cleanup.policy", int8_t(ConfigOp::kSubtract), "delete"}};
  auto merged = MergeConfigOps(current, {{"cleanup.policy", "delete"}}, ops);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->at("cleanup.policy"), "compact");
}

TEST(ConfigOpsTest, AppendToANonListKeyIsInvalid) {
  std::vector<ConfigOpEntry> ops = {{"retention.ms", int8_t(ConfigOp::kAppend), "5"}};
  auto merged = MergeConfigOps({}, {{"retention.ms", "1"}}, ops);
  ASSERT_FALSE(merged.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(merged.status()));
  EXPECT_NE(merged.status().message().find("not LIST"), std::string::npos);
}

// ---- handlers ---------------------------------------------------------------

class AdminHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = storage::NewPosixFileSystem();
    config_.node_id = 3;
    config_.cluster_id = "test-cluster";
    config_.listeners = {config::ListenerSpec{"PLAINTEXT", "127.0.0.1", 9092}};
    config_.advertised_listeners = {config::ListenerSpec{"PLAINTEXT", "broker.example", 19092}};
    config_.log_dirs = {dir_.str() + "/a", dir_.str() + "/b"};
    partition::PartitionManagerOptions o;
    o.log_dirs = config_.log_dirs;
    o.fs = fs_.get();
    o.cleaner_enable = false;
    auto pm = partition::PartitionManager::Open(o);
    ASSERT_TRUE(pm.ok()) << pm.status();
    partitions_ = std::move(*pm);
    auto ids = ProducerIdAllocator::Open(*fs_, dir_.str());
    ASSERT_TRUE(ids.ok()) << ids.status();
    producer_ids_ = std::move(*ids);
    context_ = std::make_unique<BrokerContext>(BrokerContext{
        config_, *partitions_, pool_, waiters_, *producer_ids_, partitions_->default_config()});
  }

  void TearDown() override {
    pool_.join();
    if (partitions_) ASSERT_TRUE(partitions_->Shutdown().ok());
  }

  // Round-trips `request` through the codec at `version`, runs the handler,
  // and round-trips its response the same way.
  template <typename H>
  typename H::Response Run(const typename H::Request& request, int16_t version) {
    typename H::Request wire_request;
    {
      protocol::Writer w;
      request.Encode(w, version);
      std::vector<uint8_t> bytes = w.Flatten();
      protocol::Reader r(bytes);
      EXPECT_TRUE(wire_request.Decode(r, version).ok());
    }
    protocol::RequestHeader header{H::Request::kApiKey, version, 7, std::string("test")};
    RequestContext connection{1, "127.0.0.1:1", "PLAINTEXT", nullptr};
    std::optional<Reply<typename H::Response>> reply;
    net::io_context io;
    auto body = [&]() -> Task<void> {
      Call call{*context_, connection, header};
      reply = co_await H::Handle(call, wire_request);
    };
    std::exception_ptr error;
    net::co_spawn(io, body(), [&](std::exception_ptr e) { error = e; });
    io.run();
    if (error) std::rethrow_exception(error);
    EXPECT_TRUE(reply.has_value());
    typename H::Response decoded;
    protocol::Writer w;
    reply->response.Encode(w, version);
    std::vector<uint8_t> bytes = w.Flatten();
    protocol::Reader r(bytes);
    EXPECT_TRUE(decoded.Decode(r, version).ok());
    EXPECT_TRUE(r.empty());
    return decoded;
  }

  void CreateTopic(const std::string& name, int32_t partitions,
                   std::map<std::string, std::string> configs = {}) {
    auto t = partitions_->CreateTopic(name, partitions, std::move(configs));
    ASSERT_TRUE(t.ok()) << t.status();
  }

  // Appends `batches` batches of `per_batch` records to tp and makes them durable.
  void Fill(const std::string& topic, int32_t partition, int batches, int per_batch) {
    auto log = partitions_->GetLog(TopicPartition{topic, PartitionId(partition)});
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < batches; ++i) {
      std::vector<uint8_t> b = testutil::BuildSimpleBatch(per_batch, 32, uint32_t(i));
      ASSERT_TRUE(log->Append(b).ok());
    }
    ASSERT_TRUE(log->Flush().ok());
  }

  // Wires dynamic broker configs over a static config with
  // log.retention.ms=600000 in the file and node.id=3 from --set.
  void WireDynamicConfig() {
    auto static_config =
        config::BuildBrokerConfig({{"log.retention.ms", "600000"}}, {{"node.id", "3"}});
    ASSERT_TRUE(static_config.ok()) << static_config.status();
    auto dynamic = DynamicBrokerConfig::Open(*fs_, dir_.str(), *static_config);
    ASSERT_TRUE(dynamic.ok()) << dynamic.status();
    dynamic_ = std::move(*dynamic);
    dynamic_->SetLogDefaultsSink(
        [this](const storage::LogConfig& d) { return partitions_->SetDefaultConfig(d); });
    ASSERT_TRUE(partitions_->SetDefaultConfig(dynamic_->log_defaults()).ok());
    context_->dynamic_config = dynamic_.get();
  }

  std::map<std::string, std::string> Overrides(const std::string& topic) {
    auto t = partitions_->FindTopic(topic);
    EXPECT_TRUE(t.has_value());
    return t ? t->configs : std::map<std::string, std::string>{};
  }

  testutil::TempDir dir_;
  std::unique_ptr<storage::FileSystem> fs_;
  config::BrokerConfig config_;
  std::unique_ptr<partition::PartitionManager> partitions_;
  std::unique_ptr<ProducerIdAllocator> producer_ids_;
  net::thread_pool pool_{1};
  WatermarkWaiters waiters_;
  std::unique_ptr<BrokerContext> context_;
  std::unique_ptr<DynamicBrokerConfig> dynamic_;
};

// AlterConfigs

protocol::AlterConfigsRequest AlterTopic(const std::string& topic,
                                         std::vector<std::pair<std::string, std::string>> kv,
                                         bool validate_only = false) {
  protocol::AlterConfigsRequest req;
  auto& res = req.resources.emplace_back();
  res.resource_type = kResourceTopic;
  res.resource_name = topic;
  for (auto& [k, v] : kv) res.configs.push_back({k, v});
  req.validate_only = validate_only;
  return req;
}

TEST_F(AdminHandlersTest, AlterConfigsReplacesTheWholeOverrideSetAndAppliesLive) {
  CreateTopic("t", 1, {{"retention.ms", "1000"}, {"segment.ms", "60000"}});
  for (int16_t v : {0, 1, 2}) {
    auto resp = Run<AlterConfigsHandler>(AlterTopic("t", {{"retention.bytes", "123456"}}), v);
    ASSERT_EQ(resp.responses.size(), 1u);
    EXPECT_EQ(resp.responses[0].error_code, kNone) << "v" << v;
    EXPECT_EQ(resp.responses[0].error_message, std::nullopt);
    EXPECT_EQ(resp.responses[0].resource_type, kResourceTopic);
    EXPECT_EQ(resp.responses[0].resource_name, "t");
    std::map<std::string, std::string> expected = {{"retention.bytes", "123456"}};
    EXPECT_EQ(Overrides("t"), expected);
  }
  auto log = partitions_->GetLog(TopicPartition{"t", PartitionId(0)});
  EXPECT_EQ(log->config().retention_bytes, 123456);
  EXPECT_EQ(log->config().retention_ms, partitions_->default_config().retention_ms);
}

TEST_F(AdminHandlersTest, AlterConfigsValidateOnlyChangesNothing) {
  CreateTopic("t", 1, {{"retention.ms", "1000"}});
  auto resp = Run<AlterConfigsHandler>(AlterTopic("t", {{"retention.ms", "5"}}, true), 2);
  EXPECT_EQ(resp.responses[0].error_code, kNone);
  EXPECT_EQ(Overrides("t").at("retention.ms"), "1000");
  auto bad = Run<AlterConfigsHandler>(AlterTopic("t", {{"retention.ms", "soon"}}, true), 2);
  EXPECT_EQ(bad.responses[0].error_code, int16_t(ErrorCode::INVALID_CONFIG));
}

TEST_F(AdminHandlersTest, AlterConfigsBadValueOrKeyIsInvalidConfigWithMessage) {
  CreateTopic("t", 1, {{"retention.ms", "1000"}});
  auto resp = Run<AlterConfigsHandler>(AlterTopic("t", {{"retention.ms", "soon"}}), 1);
  EXPECT_EQ(resp.responses[0].error_code, int16_t(ErrorCode::INVALID_CONFIG));
  ASSERT_TRUE(resp.responses[0].error_message.has_value());
  EXPECT_NE(resp.responses[0].error_message->find("retention.ms"), std::string::npos);
  auto unknown = Run<AlterConfigsHandler>(AlterTopic("t", {{"no.such.key", "1"}}), 1);
  EXPECT_EQ(unknown.responses[0].error_code, int16_t(ErrorCode::INVALID_CONFIG));
  EXPECT_TRUE(unknown.responses[0].error_message.has_value());
  EXPECT_EQ(Overrides("t").at("retention.ms"), "1000");  // untouched
}

// Kafka's AlterConfigs keeps the last value of a key named twice (librdkafka
// re-sends every described entry plus the changed ones: test 0092).
TEST_F(AdminHandlersTest, AlterConfigsKeyNamedTwiceTakesTheLastValue) {
  CreateTopic("t", 1, {{"retention.ms", "1000"}});
  auto resp = Run<AlterConfigsHandler>(
      AlterTopic("t", {{"retention.ms", "1000"}, {"segment.ms", "60000"}, {"retention.ms", "7"}}), 2);
  EXPECT_EQ(resp.responses[0].error_code, kNone) << resp.responses[0].error_message.value_or("");
  std::map<std::string, std::string> expected = {{"retention.ms", "7"}, {"segment.ms", "60000"}};
  EXPECT_EQ(Overrides("t"), expected);
}

TEST_F(AdminHandlersTest, AlterConfigsUnknownTopic) {
  auto resp = Run<AlterConfigsHandler>(AlterTopic("nope", {{"retention.ms", "5"}}), 0);
  EXPECT_EQ(resp.responses[0].error_code, int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
}

TEST_F(AdminHandlersTest, AlterConfigsBrokerReadOnlyKeyIsRefusedAndResourcesArePerResource) {
  CreateTopic("t", 1);
  protocol::AlterConfigsRequest req = AlterTopic("t", {{"retention.ms", "5000"}});
  auto& broker = req.resources.emplace_back();
  broker.resource_type = kResourceBroker;
  broker.resource_name = "3";
  broker.configs.push_back({"log.dirs", "/elsewhere"});
  auto& empty_broker = req.resources.emplace_back();
  empty_broker.resource_type = kResourceBroker;
  empty_broker.resource_name = "";
  auto& other_broker = req.resources.emplace_back();
  other_broker.resource_type = kResourceBroker;
  other_broker.resource_name = "9";
  auto& logger = req.resources.emplace_back();
  logger.resource_type = kResourceBrokerLogger;
  logger.resource_name = "3";
  auto resp = Run<AlterConfigsHandler>(req, 2);
  ASSERT_EQ(resp.responses.size(), 5u);
  EXPECT_EQ(resp.responses[0].error_code, kNone);  // the topic still changes
  EXPECT_EQ(Overrides("t").at("retention.ms"), "5000");
  EXPECT_EQ(resp.responses[1].error_code, int16_t(ErrorCode::INVALID_REQUEST));
  ASSERT_TRUE(resp.responses[1].error_message.has_value());
  EXPECT_NE(resp.responses[1].error_message->find("log.dirs"), std::string::npos);
  EXPECT_NE(resp.responses[1].error_message->find("read-only at run time"), std::string::npos);
  EXPECT_EQ(resp.responses[2].error_code, kNone);  // nothing to change
  EXPECT_EQ(resp.responses[3].error_code, int16_t(ErrorCode::INVALID_REQUEST));
  EXPECT_EQ(resp.responses[4].error_code, int16_t(ErrorCode::INVALID_REQUEST));
  EXPECT_EQ(resp.responses[4].resource_type, kResourceBrokerLogger);
}

TEST_F(AdminHandlersTest, AlterConfigsDuplicateResourcesAreInvalidRequests) {
  CreateTopic("t", 1);
  CreateTopic("u", 1);
  protocol::AlterConfigsRequest req = AlterTopic("t", {{"retention.ms", "5000"}});
  req.resources.push_back(AlterTopic("t", {{"retention.ms", "6000"}}).resources[0]);
  // A key named twice in one resource is not a duplicate resource: the last
  // value stands (see AlterConfigsKeyNamedTwiceTakesTheLastValue).
  req.resources.push_back(
      AlterTopic("u", {{"retention.ms", "1"}, {"retention.ms", "2"}}).resources[0]);
  auto resp = Run<AlterConfigsHandler>(req, 1);
  ASSERT_EQ(resp.responses.size(), 3u);
  EXPECT_EQ(resp.responses[0].error_code, int16_t(ErrorCode::INVALID_REQUEST));
  EXPECT_EQ(resp.responses[1].error_code, int16_t(ErrorCode::INVALID_REQUEST));
  EXPECT_EQ(resp.responses[2].error_code, kNone);
  EXPECT_TRUE(Overrides("t").empty());
  EXPECT_EQ(Overrides("u").at("retention.ms"), "2");
}

// IncrementalAlterConfigs

protocol::IncrementalAlterConfigsRequest Incremental(
    const std::string& topic, std::vector<ConfigOpEntry> ops, bool validate_only = false) {
  protocol::IncrementalAlterConfigsRequest req;
  auto& res = req.resources.emplace_back();
  res.resource_type = kResourceTopic;
  res.resource_name = topic;
  for (auto& op : ops) res.configs.push_back({op.name, op.op, op.value});
  req.validate_only = validate_only;
  return req;
}

TEST_F(AdminHandlersTest, IncrementalAlterConfigsMergesAgainstCurrentOverrides) {
  CreateTopic("t", 2, {{"retention.ms", "1000"}, {"segment.ms", "60000"}});
  for (int16_t v : {0, 1}) {
    auto resp = Run<IncrementalAlterConfigsHandler>(
        Incremental("t", {{"retention.ms", int8_t(ConfigOp::kDelete), std::nullopt},
                          {"max.message.bytes", int8_t(ConfigOp::kSet), "2048"}}),
        v);
    ASSERT_EQ(resp.responses.size(), 1u);
    EXPECT_EQ(resp.responses[0].error_code, kNone) << "v" << v;
    std::map<std::string, std::string> expected = {{"max.message.bytes", "2048"},
                                                   {"segment.ms", "60000"}};
    EXPECT_EQ(Overrides("t"), expected);
  }
  for (int32_t p = 0; p < 2; ++p) {
    auto log = partitions_->GetLog(TopicPartition{"t", PartitionId(p)});
    EXPECT_EQ(log->config().max_message_bytes, 2048);
    EXPECT_EQ(log->config().segment_ms, 60000);
  }
}

TEST_F(AdminHandlersTest, IncrementalAlterConfigsAppendAndSubtractOnCleanupPolicy) {
  CreateTopic("t", 1);
  auto add = Run<IncrementalAlterConfigsHandler>(
      Incremental("t", {{"cleanup.policy", int8_t(ConfigOp::kAppend), "compact"}}), 1);
  EXPECT_EQ(add.responses[0].error_code, kNone);
  EXPECT_EQ(Overrides("t").at("cleanup.policy"), "delete,compact");
  auto log = partitions_->GetLog(TopicPartition{"t", PartitionId(0)});
  EXPECT_TRUE(log->config().cleanup_compact);
  EXPECT_TRUE(log->config().cleanup_delete);
  auto sub = Run<IncrementalAlterConfigsHandler>(
      Incremental("t", {{"cleanup.policy", int8_t(ConfigOp::kSubtract), "delete"}}), 1);
  EXPECT_EQ(sub.responses[0].error_code, kNone);
  EXPECT_EQ(Overrides("t").at("cleanup.policy"), "compact");
  EXPECT_FALSE(log->config().cleanup_delete);
}

TEST_F(AdminHandlersTest, IncrementalAlterConfigsErrors) {
  CreateTopic("t", 1, {{"retention.ms", "1000"}});
  auto append = Run<IncrementalAlterConfigsHandler>(
      Incremental("t", {{"retention.ms", int8_t(ConfigOp::kAppend), "5"}}), 1);
  EXPECT_EQ(append.responses[0].error_code, int16_t(ErrorCode::INVALID_CONFIG));
  EXPECT_TRUE(append.responses[0].error_message.has_value());
  auto null_set = Run<IncrementalAlterConfigsHandler>(
      Incremental("t", {{"retention.ms", int8_t(ConfigOp::kSet), std::nullopt}}), 1);
  EXPECT_EQ(null_set.responses[0].error_code, int16_t(ErrorCode::INVALID_REQUEST));
  auto bad_op = Run<IncrementalAlterConfigsHandler>(
      Incremental("t", {{"retention.ms", 9, "5"}}), 0);
  EXPECT_EQ(bad_op.responses[0].error_code, int16_t(ErrorCode::INVALID_REQUEST));
  auto unknown = Run<IncrementalAlterConfigsHandler>(
      Incremental("nope", {{"retention.ms", int8_t(ConfigOp::kSet), "5"}}), 1);
  EXPECT_EQ(unknown.responses[0].error_code, int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
  auto validate = Run<IncrementalAlterConfigsHandler>(
      Incremental("t", {{"retention.ms", int8_t(ConfigOp::kSet), "77"}}, true), 1);
  EXPECT_EQ(validate.responses[0].error_code, kNone);
  EXPECT_EQ(Overrides("t").at("retention.ms"), "1000");

  protocol::IncrementalAlterConfigsRequest logger;
  auto& res = logger.resources.emplace_back();
  res.resource_type = kResourceBrokerLogger;
  res.resource_name = "3";
  res.configs.push_back({"keel.broker", int8_t(ConfigOp::kSet), "DEBUG"});
  auto logger_resp = Run<IncrementalAlterConfigsHandler>(logger, 1);
  EXPECT_EQ(logger_resp.responses[0].error_code, int16_t(ErrorCode::INVALID_REQUEST));
  EXPECT_TRUE(logger_resp.responses[0].error_message.has_value());
}

// DeleteRecords

protocol::DeleteRecordsRequest DeleteBefore(
    const std::string& topic, std::vector<std::pair<int32_t, int64_t>> partition_offsets) {
  protocol::DeleteRecordsRequest req;
  auto& t = req.topics.emplace_back();
  t.name = topic;
  for (auto [p, o] : partition_offsets) t.partitions.push_back({PartitionId(p), Offset(o)});
  req.timeout_ms = 1000;
  return req;
}

TEST_F(AdminHandlersTest, DeleteRecordsAdvancesLogStartAndReturnsLowWatermark) {
  CreateTopic("t", 2);
  Fill("t", 0, 4, 5);  // offsets 0..19
  Fill("t", 1, 2, 5);  // offsets 0..9
  for (int16_t v : {0, 1, 2}) {
    auto resp = Run<DeleteRecordsHandler>(DeleteBefore("t", {{0, 7 + v}, {1, -1}}), v);
    ASSERT_EQ(resp.topics.size(), 1u);
    EXPECT_EQ(resp.topics[0].name, "t");
    ASSERT_EQ(resp.topics[0].partitions.size(), 2u);
    EXPECT_EQ(resp.topics[0].partitions[0].error_code, kNone);
    EXPECT_EQ(resp.topics[0].partitions[0].low_watermark, Offset(7 + v));
    EXPECT_EQ(resp.topics[0].partitions[1].error_code, kNone);
    EXPECT_EQ(resp.topics[0].partitions[1].low_watermark, Offset(10));  // -1 = HW
  }
  EXPECT_EQ(partitions_->GetLog(TopicPartition{"t", PartitionId(0)})->log_start_offset(),
            Offset(9));
  // Below the current start: nothing changes, the current start comes back.
  auto lower = Run<DeleteRecordsHandler>(DeleteBefore("t", {{0, 3}}), 2);
  EXPECT_EQ(lower.topics[0].partitions[0].error_code, kNone);
  EXPECT_EQ(lower.topics[0].partitions[0].low_watermark, Offset(9));
}

TEST_F(AdminHandlersTest, DeleteRecordsErrorsPerPartition) {
  CreateTopic("t", 1);
  CreateTopic("compacted", 1, {{"cleanup.policy", "compact"}});
  Fill("t", 0, 1, 5);
  protocol::DeleteRecordsRequest req = DeleteBefore("t", {{0, 6}, {0, -2}, {4, 0}});
  req.topics.push_back(DeleteBefore("nope", {{0, 1}}).topics[0]);
  req.topics.push_back(DeleteBefore("compacted", {{0, 0}}).topics[0]);
  auto resp = Run<DeleteRecordsHandler>(req, 2);
  ASSERT_EQ(resp.topics.size(), 3u);
  const auto& t = resp.topics[0].partitions;
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].error_code, int16_t(ErrorCode::OFFSET_OUT_OF_RANGE));  // above HW 5
  EXPECT_EQ(t[0].low_watermark, Offset(-1));
  EXPECT_EQ(t[1].error_code, int16_t(ErrorCode::OFFSET_OUT_OF_RANGE));
  EXPECT_EQ(t[2].error_code, int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
  EXPECT_EQ(resp.topics[1].partitions[0].error_code,
            int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
  EXPECT_EQ(resp.topics[2].partitions[0].error_code, int16_t(ErrorCode::POLICY_VIOLATION));
  EXPECT_EQ(partitions_->GetLog(TopicPartition{"t", PartitionId(0)})->log_start_offset(),
            Offset(0));
}

// DescribeConfigs

protocol::DescribeConfigsRequest DescribeTopicConfigs(const std::string& topic,
                                                      std::vector<std::string> keys) {
  protocol::DescribeConfigsRequest req;
  auto& res = req.resources.emplace_back();
  res.resource_type = kResourceTopic;
  res.resource_name = topic;
  res.configuration_keys = std::move(keys);
  req.include_synonyms = true;
  req.include_documentation = true;
  return req;
}

TEST_F(AdminHandlersTest, DescribeConfigsSynonymsTypesAndDocumentation) {
  CreateTopic("t", 1, {{"retention.ms", "1234"}});
  auto req = DescribeTopicConfigs("t", {"retention.ms", "segment.bytes", "preallocate",
                                        "min.cleanable.dirty.ratio", "cleanup.policy"});
  auto resp = Run<DescribeConfigsHandler>(req, 4);
  ASSERT_EQ(resp.results.size(), 1u);
  std::map<std::string, protocol::DescribeConfigsResponse::DescribeConfigsResult::
                            DescribeConfigsResourceResult>
      by_name;
  for (const auto& c : resp.results[0].configs) by_name[c.name] = c;
  ASSERT_EQ(by_name.size(), 5u);
  const auto& retention = by_name["retention.ms"];
  EXPECT_EQ(retention.value, std::optional<std::string>("1234"));
  EXPECT_EQ(retention.config_source, 1);  // DYNAMIC_TOPIC_CONFIG
  ASSERT_EQ(retention.synonyms.size(), 2u);
  EXPECT_EQ(retention.synonyms[0].name, "retention.ms");
  EXPECT_EQ(retention.synonyms[0].source, 1);
  EXPECT_EQ(retention.synonyms[1].name, "log.retention.ms");
  EXPECT_EQ(retention.synonyms[1].value, std::optional<std::string>("604800000"));
  EXPECT_EQ(retention.synonyms[1].source, 5);  // DEFAULT_CONFIG
  EXPECT_EQ(retention.config_type, 5);         // LONG
  ASSERT_TRUE(retention.documentation.has_value());
  EXPECT_FALSE(retention.documentation->empty());
  // Not overridden: the default is the only synonym, and the source.
  const auto& segment = by_name["segment.bytes"];
  EXPECT_EQ(segment.config_source, 5);
  ASSERT_EQ(segment.synonyms.size(), 1u);
  EXPECT_EQ(segment.synonyms[0].name, "log.segment.bytes");
  EXPECT_EQ(segment.config_type, 3);  // INT
  EXPECT_EQ(by_name["preallocate"].config_type, 1);                // BOOLEAN
  EXPECT_EQ(by_name["min.cleanable.dirty.ratio"].config_type, 6);  // DOUBLE
  EXPECT_EQ(by_name["cleanup.policy"].config_type, 7);             // LIST

  // Synonyms only when asked.
  req.include_synonyms = false;
  auto v1 = Run<DescribeConfigsHandler>(req, 1);
  ASSERT_EQ(v1.results[0].configs.size(), 5u);
  for (const auto& c : v1.results[0].configs) EXPECT_TRUE(c.synonyms.empty());
}

// Dynamic broker configs

protocol::AlterConfigsRequest AlterBroker(const std::string& name,
                                          std::vector<std::pair<std::string, std::string>> kv,
                                          bool validate_only = false) {
  protocol::AlterConfigsRequest req = AlterTopic(name, std::move(kv), validate_only);
  req.resources[0].resource_type = kResourceBroker;
  return req;
}

protocol::DescribeConfigsRequest DescribeBrokerConfigs(const std::string& name,
                                                       std::vector<std::string> keys) {
  protocol::DescribeConfigsRequest req = DescribeTopicConfigs(name, std::move(keys));
  req.resources[0].resource_type = kResourceBroker;
  return req;
}

using DescribedEntry =
    protocol::DescribeConfigsResponse::DescribeConfigsResult::DescribeConfigsResourceResult;

std::map<std::string, DescribedEntry> ByName(const protocol::DescribeConfigsResponse& resp) {
  std::map<std::string, DescribedEntry> out;
  for (const auto& c : resp.results.at(0).configs) out[c.name] = c;
  return out;
}

TEST_F(AdminHandlersTest, DynamicBrokerConfigPrecedenceSourcesAndTopicsFollow) {
  WireDynamicConfig();
  CreateTopic("plain", 1);
  CreateTopic("own", 1, {{"retention.ms", "1234"}});
  auto log_of = [&](const std::string& t) {
    return partitions_->GetLog(TopicPartition{t, PartitionId(0)});
  };
  EXPECT_EQ(log_of("plain")->config().retention_ms, 600000);  // static file value

  // Cluster-wide default (empty name), then this broker's own value.
  auto def = Run<AlterConfigsHandler>(AlterBroker("", {{"log.retention.ms", "500000"}}), 1);
  ASSERT_EQ(def.responses[0].error_code, kNone) << def.responses[0].error_message.value_or("");
  EXPECT_EQ(log_of("plain")->config().retention_ms, 500000);
  auto own = Run<AlterConfigsHandler>(AlterBroker("3", {{"log.retention.ms", "400000"}}), 1);
  ASSERT_EQ(own.responses[0].error_code, kNone);
  EXPECT_EQ(log_of("plain")->config().retention_ms, 400000);
  EXPECT_EQ(log_of("own")->config().retention_ms, 1234);  // a topic override still wins

  auto described = ByName(Run<DescribeConfigsHandler>(
      DescribeBrokerConfigs("3", {"log.retention.ms", "log.dirs", "log.segment.bytes"}), 4));
  const auto& retention = described["log.retention.ms"];
  EXPECT_EQ(retention.value, std::optional<std::string>("400000"));
  EXPECT_EQ(retention.config_source, 2);  // DYNAMIC_BROKER_CONFIG
  EXPECT_FALSE(retention.read_only);
  ASSERT_EQ(retention.synonyms.size(), 4u);
  EXPECT_EQ(retention.synonyms[0].source, 2);
  EXPECT_EQ(retention.synonyms[1].source, 3);  // DYNAMIC_DEFAULT_BROKER_CONFIG
  EXPECT_EQ(retention.synonyms[1].value, std::optional<std::string>("500000"));
  EXPECT_EQ(retention.synonyms[2].source, 4);  // STATIC_BROKER_CONFIG
  EXPECT_EQ(retention.synonyms[2].value, std::optional<std::string>("600000"));
  EXPECT_EQ(retention.synonyms[3].source, 5);  // DEFAULT_CONFIG
  EXPECT_TRUE(described["log.dirs"].read_only);
  EXPECT_EQ(described["log.segment.bytes"].config_source, 5);

  // The cluster-default resource lists only what is set at its level.
  auto cluster = Run<DescribeConfigsHandler>(DescribeBrokerConfigs("", {}), 4);
  ASSERT_EQ(cluster.results[0].configs.size(), 1u);
  EXPECT_EQ(cluster.results[0].configs[0].name, "log.retention.ms");
  EXPECT_EQ(cluster.results[0].configs[0].value, std::optional<std::string>("500000"));
  EXPECT_EQ(cluster.results[0].configs[0].config_source, 3);

  // A topic without an override reports the broker level its value comes from.
  auto topic = ByName(Run<DescribeConfigsHandler>(DescribeTopicConfigs("plain", {"retention.ms"}), 4));
  EXPECT_EQ(topic["retention.ms"].value, std::optional<std::string>("400000"));
  EXPECT_EQ(topic["retention.ms"].config_source, 2);  // DYNAMIC_BROKER_CONFIG
  ASSERT_GE(topic["retention.ms"].synonyms.size(), 3u);
  EXPECT_EQ(topic["retention.ms"].synonyms[0].name, "log.retention.ms");
  EXPECT_EQ(topic["retention.ms"].synonyms[1].source, 3);

  // AlterConfigs replaces the whole set: an empty set reverts this broker's
  // level, and the cluster default shows through again.
  auto cleared = Run<AlterConfigsHandler>(AlterBroker("3", {}), 1);
  ASSERT_EQ(cleared.responses[0].error_code, kNone);
  EXPECT_EQ(log_of("plain")->config().retention_ms, 500000);
}

TEST_F(AdminHandlersTest, DynamicBrokerConfigIncrementalDeleteValidateOnlyAndRefusals) {
  WireDynamicConfig();
  CreateTopic("plain", 1);
  auto log = partitions_->GetLog(TopicPartition{"plain", PartitionId(0)});
  auto inc = [&](const std::string& name, std::vector<ConfigOpEntry> ops, bool validate_only) {
    auto req = Incremental(name, std::move(ops), validate_only);
    req.resources[0].resource_type = kResourceBroker;
    return Run<IncrementalAlterConfigsHandler>(req, 1).responses.at(0);
  };
  // validate_only checks without applying.
  auto checked = inc("3", {{"log.segment.bytes", int8_t(ConfigOp::kSet), "2097152"}}, true);
  EXPECT_EQ(checked.error_code, kNone);
  EXPECT_EQ(log->config().segment_bytes, int64_t{1} << 30);
  EXPECT_TRUE(dynamic_->values(DynamicBrokerConfig::Scope::kBroker).empty());
  // Set two keys; APPEND to the list key starts from the value in effect.
  auto set = inc("3", {{"log.segment.bytes", int8_t(ConfigOp::kSet), "2097152"},
                       {"log.cleanup.policy", int8_t(ConfigOp::kAppend), "compact"}}, false);
  ASSERT_EQ(set.error_code, kNone) << set.error_message.value_or("");
  EXPECT_EQ(log->config().segment_bytes, 2097152);
  EXPECT_TRUE(log->config().cleanup_compact);
  EXPECT_TRUE(log->config().cleanup_delete);
  // DELETE reverts one key to the level below and keeps the other.
  auto del = inc("3", {{"log.segment.bytes", int8_t(ConfigOp::kDelete), std::nullopt}}, false);
  ASSERT_EQ(del.error_code, kNone);
  EXPECT_EQ(log->config().segment_bytes, int64_t{1} << 30);
  EXPECT_TRUE(log->config().cleanup_compact);
  // Read-only, unknown and bad values, each with a message naming the key.
  auto read_only = inc("3", {{"listeners", int8_t(ConfigOp::kSet), "PLAINTEXT://:1"}}, false);
  EXPECT_EQ(read_only.error_code, int16_t(ErrorCode::INVALID_REQUEST));
  EXPECT_NE(read_only.error_message.value_or("").find("listeners"), std::string::npos);
  EXPECT_NE(read_only.error_message.value_or("").find("read-only at run time"), std::string::npos);
  auto unknown = inc("", {{"no.such.key", int8_t(ConfigOp::kSet), "1"}}, false);
  EXPECT_EQ(unknown.error_code, int16_t(ErrorCode::INVALID_CONFIG));
  EXPECT_NE(unknown.error_message.value_or("").find("no.such.key"), std::string::npos);
  auto bad = inc("", {{"log.retention.ms", int8_t(ConfigOp::kSet), "soon"}}, false);
  EXPECT_EQ(bad.error_code, int16_t(ErrorCode::INVALID_CONFIG));
  EXPECT_NE(bad.error_message.value_or("").find("log.retention.ms"), std::string::npos);
  auto append_int = inc("", {{"log.retention.ms", int8_t(ConfigOp::kAppend), "5"}}, false);
  EXPECT_EQ(append_int.error_code, int16_t(ErrorCode::INVALID_CONFIG));
  EXPECT_TRUE(dynamic_->values(DynamicBrokerConfig::Scope::kClusterDefault).empty());
  // librdkafka's 0081 alters this Kerberos key on the broker: accepted.
  auto kerberos = Run<AlterConfigsHandler>(
      AlterBroker("3", {{"sasl.kerberos.min.time.before.relogin", "58000"}}), 0);
  EXPECT_EQ(kerberos.responses[0].error_code, kNone);
}

// DescribeCluster

TEST_F(AdminHandlersTest, DescribeClusterListsThisNodeAsBrokerAndController) {
  for (int16_t v : {0, 1, 2}) {
    protocol::DescribeClusterRequest req;
    auto resp = Run<DescribeClusterHandler>(req, v);
    EXPECT_EQ(resp.error_code, kNone);
    EXPECT_EQ(resp.cluster_id, "test-cluster");
    EXPECT_EQ(resp.controller_id, NodeId(3));
    ASSERT_EQ(resp.brokers.size(), 1u);
    EXPECT_EQ(resp.brokers[0].broker_id, NodeId(3));
    EXPECT_EQ(resp.brokers[0].host, "broker.example");
    EXPECT_EQ(resp.brokers[0].port, 19092);
    EXPECT_EQ(resp.brokers[0].rack, std::nullopt);
    EXPECT_FALSE(resp.brokers[0].is_fenced);
    EXPECT_EQ(resp.cluster_authorized_operations, INT32_MIN);
    if (v >= 1) EXPECT_EQ(resp.endpoint_type, 1);
  }
}

TEST_F(AdminHandlersTest, DescribeClusterAuthorizedOperationsWhenAsked) {
  protocol::DescribeClusterRequest req;
  req.include_cluster_authorized_operations = true;
  auto resp = Run<DescribeClusterHandler>(req, 0);
  // CREATE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE
  EXPECT_EQ(resp.cluster_authorized_operations, 0x1fa0);
}

TEST_F(AdminHandlersTest, DescribeClusterControllerEndpointIsMismatched) {
  protocol::DescribeClusterRequest req;
  req.endpoint_type = 2;
  auto resp = Run<DescribeClusterHandler>(req, 1);
  EXPECT_EQ(resp.error_code, int16_t(ErrorCode::MISMATCHED_ENDPOINT_TYPE));
  EXPECT_TRUE(resp.brokers.empty());
  req.endpoint_type = 5;
  EXPECT_EQ(Run<DescribeClusterHandler>(req, 2).error_code,
            int16_t(ErrorCode::UNSUPPORTED_ENDPOINT_TYPE));
}

// DescribeLogDirs

TEST_F(AdminHandlersTest, DescribeLogDirsListsEachDirWithItsPartitionsAndSizes) {
  CreateTopic("t", 4);  // spread over both dirs
  Fill("t", 0, 2, 3);
  for (int16_t v : {0, 1, 2, 3, 4}) {
    protocol::DescribeLogDirsRequest req;
    req.topics = std::nullopt;  // everything
    auto resp = Run<DescribeLogDirsHandler>(req, v);
    EXPECT_EQ(resp.error_code, kNone);
    ASSERT_EQ(resp.results.size(), 2u);
    std::map<int32_t, int64_t> sizes;
    for (size_t i = 0; i < 2; ++i) {
      const auto& dir = resp.results[i];
      EXPECT_EQ(dir.error_code, kNone);
      EXPECT_EQ(dir.log_dir,
                std::filesystem::path(config_.log_dirs[i]).lexically_normal().string());
      if (v >= 4) {
        EXPECT_GT(dir.total_bytes, 0);
        EXPECT_GE(dir.usable_bytes, 0);
        EXPECT_LE(dir.usable_bytes, dir.total_bytes);
      } else {
        EXPECT_EQ(dir.total_bytes, -1);
      }
      for (const auto& topic : dir.topics) {
        if (topic.name != "t") continue;
        for (const auto& p : topic.partitions) {
          EXPECT_EQ(p.offset_lag, 0);
          EXPECT_FALSE(p.is_future_key);
          sizes[p.partition_index.value] = p.partition_size;
        }
      }
    }
    ASSERT_EQ(sizes.size(), 4u) << "v" << v;
    EXPECT_EQ(uint64_t(sizes[0]),
              partitions_->GetLog(TopicPartition{"t", PartitionId(0)})->size_bytes());
    EXPECT_GT(sizes[0], 0);
    EXPECT_EQ(sizes[1], 0);
  }
}

TEST_F(AdminHandlersTest, DescribeLogDirsFiltersToNamedPartitions) {
  CreateTopic("t", 3);
  CreateTopic("u", 1);
  protocol::DescribeLogDirsRequest req;
  req.topics.emplace();
  auto& t = req.topics->emplace_back();
  t.topic = "t";
  t.partitions = {PartitionId(2), PartitionId(7)};
  auto& missing = req.topics->emplace_back();
  missing.topic = "missing";
  missing.partitions = {PartitionId(0)};
  auto resp = Run<DescribeLogDirsHandler>(req, 2);
  int found = 0;
  for (const auto& dir : resp.results) {
    for (const auto& topic : dir.topics) {
      EXPECT_EQ(topic.name, "t");
      for (const auto& p : topic.partitions) {
        EXPECT_EQ(p.partition_index, PartitionId(2));
        ++found;
      }
    }
  }
  EXPECT_EQ(found, 1);
}

// ElectLeaders

TEST_F(AdminHandlersTest, ElectLeadersIsNeverNeededOnOneNode) {
  CreateTopic("t", 2);
  for (int16_t v : {0, 1, 2}) {
    protocol::ElectLeadersRequest req;
    req.election_type = 0;
    req.topic_partitions.emplace();
    auto& t = req.topic_partitions->emplace_back();
    t.topic = "t";
    t.partitions = {PartitionId(0), PartitionId(1), PartitionId(5)};
    auto& u = req.topic_partitions->emplace_back();
    u.topic = "unknown";
    u.partitions = {PartitionId(0)};
    auto resp = Run<ElectLeadersHandler>(req, v);
    EXPECT_EQ(resp.error_code, kNone);
    ASSERT_EQ(resp.replica_election_results.size(), 2u);
    const auto& tr = resp.replica_election_results[0].partition_result;
    ASSERT_EQ(tr.size(), 3u);
    EXPECT_EQ(tr[0].error_code, int16_t(ErrorCode::ELECTION_NOT_NEEDED));
    EXPECT_EQ(tr[1].error_code, int16_t(ErrorCode::ELECTION_NOT_NEEDED));
    EXPECT_EQ(tr[2].error_code, int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
    EXPECT_EQ(resp.replica_election_results[1].partition_result[0].error_code,
              int16_t(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
  }
}

TEST_F(AdminHandlersTest, ElectLeadersForAllPartitionsReturnsNoPartitionResults) {
  CreateTopic("t", 2);
  protocol::ElectLeadersRequest req;
  req.election_type = 1;
  req.topic_partitions = std::nullopt;  // every partition
  auto resp = Run<ElectLeadersHandler>(req, 2);
  EXPECT_EQ(resp.error_code, kNone);
  ASSERT_EQ(resp.replica_election_results.size(), 1u);
  EXPECT_EQ(resp.replica_election_results[0].topic, "t");
  EXPECT_TRUE(resp.replica_election_results[0].partition_result.empty());
}

TEST_F(AdminHandlersTest, ElectLeadersUnknownElectionTypeIsInvalidRequest) {
  CreateTopic("t", 1);
  protocol::ElectLeadersRequest req;
  req.election_type = 4;
  req.topic_partitions.emplace();
  req.topic_partitions->push_back({"t", {PartitionId(0)}});
  auto resp = Run<ElectLeadersHandler>(req, 1);
  EXPECT_EQ(resp.error_code, int16_t(ErrorCode::INVALID_REQUEST));
  EXPECT_EQ(resp.replica_election_results[0].partition_result[0].error_code,
            int16_t(ErrorCode::INVALID_REQUEST));
}

}  // namespace
}  // namespace keel::server
