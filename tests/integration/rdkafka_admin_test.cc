// librdkafka's Admin API against a real keel: CreateTopics, DeleteTopics,
// DescribeConfigs, CreatePartitions, AlterConfigs (v0 from librdkafka 2.0.2)
// and DeleteRecords (v1).
#include <librdkafka/rdkafka.h>

#include "broker_process.h"
#include "gtest/gtest.h"
#include "rdkafka_client.h"
#include "test_macros.h"

namespace keel::integration {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kTimeout(15000);

class RdkafkaAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(broker_.Start());
    ASSERT_OK_AND_ASSIGN(admin_, Admin::Create(broker_.bootstrap()));
  }
  BrokerProcess broker_{BrokerSettings{{"auto.create.topics.enable", "false"}}};
  std::unique_ptr<Admin> admin_;
};

TEST_F(RdkafkaAdminTest, CreateTopicMakesItVisibleInMetadata) {
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t err, admin_->CreateTopic("orders", 4));
  ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(err);
  ASSERT_OK(WaitForTopic(admin_->handle(), "orders", 4, kTimeout));
}

TEST_F(RdkafkaAdminTest, CreateExistingTopicFailsWithTopicAlreadyExists) {
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t first, admin_->CreateTopic("dup", 1));
  ASSERT_EQ(first, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(first);
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t second, admin_->CreateTopic("dup", 2));
  EXPECT_EQ(second, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) << rd_kafka_err2name(second);
  // The failed second attempt must not have changed the partition count.
  ASSERT_OK(WaitForTopic(admin_->handle(), "dup", 1, kTimeout));
}

TEST_F(RdkafkaAdminTest, DeleteTopicRemovesItFromMetadata) {
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t created, admin_->CreateTopic("doomed", 2));
  ASSERT_EQ(created, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(created);
  ASSERT_OK(WaitForTopic(admin_->handle(), "doomed", 2, kTimeout));
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t deleted, admin_->DeleteTopic("doomed"));
  ASSERT_EQ(deleted, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(deleted);
  ASSERT_OK_AND_ASSIGN(ClusterInfo md, FetchMetadata(admin_->handle(), "", kTimeout));
  EXPECT_EQ(md.topics.count("doomed"), 0u);
}

TEST_F(RdkafkaAdminTest, DeleteUnknownTopicFailsWithUnknownTopic) {
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t err, admin_->DeleteTopic("never-created"));
  EXPECT_EQ(err, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) << rd_kafka_err2name(err);
}

TEST_F(RdkafkaAdminTest, RecreatedTopicStartsEmpty) {
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t created, admin_->CreateTopic("phoenix", 1));
  ASSERT_EQ(created, RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_OK(WaitForTopic(admin_->handle(), "phoenix", 1, kTimeout));
  {
    ASSERT_OK_AND_ASSIGN(auto producer, Producer::Create(broker_.bootstrap()));
    std::vector<Message> msgs(5);
    for (auto& m : msgs) {
      m.topic = "phoenix";
      m.value = "old";
    }
    ASSERT_OK(producer->ProduceAll(msgs, kTimeout).status());
  }
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t deleted, admin_->DeleteTopic("phoenix"));
  ASSERT_EQ(deleted, RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t again, admin_->CreateTopic("phoenix", 1));
  ASSERT_EQ(again, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(again);
  ASSERT_OK(WaitForTopic(admin_->handle(), "phoenix", 1, kTimeout));
  int64_t low = -1, high = -1;
  ASSERT_EQ(rd_kafka_query_watermark_offsets(admin_->handle(), "phoenix", 0, &low, &high, 15000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(low, 0);
  EXPECT_EQ(high, 0);
}

TEST_F(RdkafkaAdminTest, DescribeConfigsReturnsConfigsSetAtCreation) {
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t err,
                       admin_->CreateTopic("configured", 1,
                                           {{"retention.ms", "123456789"},
                                            {"cleanup.policy", "delete"}}));
  ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(err);
  ASSERT_OK_AND_ASSIGN(auto configs, admin_->DescribeTopicConfigs("configured"));
  ASSERT_TRUE(configs.count("retention.ms"));
  EXPECT_EQ(configs["retention.ms"], "123456789");
  ASSERT_TRUE(configs.count("cleanup.policy"));
  EXPECT_EQ(configs["cleanup.policy"], "delete");
}

TEST_F(RdkafkaAdminTest, DescribeConfigsOfUnknownTopicFails) {
  auto configs = admin_->DescribeTopicConfigs("never-created");
  ASSERT_FALSE(configs.ok());
  EXPECT_NE(configs.status().message().find("UNKNOWN_TOPIC_OR_PART"), std::string::npos)
      << configs.status();
}

TEST_F(RdkafkaAdminTest, CreatePartitionsIncreasesPartitionCount) {
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t created, admin_->CreateTopic("growing", 1));
  ASSERT_EQ(created, RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_OK(WaitForTopic(admin_->handle(), "growing", 1, kTimeout));
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t grown, admin_->CreatePartitions("growing", 3));
  ASSERT_EQ(grown, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(grown);
  ASSERT_OK(WaitForTopic(admin_->handle(), "growing", 3, kTimeout));
}

TEST_F(RdkafkaAdminTest, AlterConfigsReplacesTopicOverrides) {
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t err,
                       admin_->CreateTopic("altered", 1, {{"retention.ms", "1000"}}));
  ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(err);
  ASSERT_OK_AND_ASSIGN(Admin::ResourceResult r,
                       admin_->AlterConfigs(RD_KAFKA_RESOURCE_TOPIC, "altered",
                                            {{"segment.bytes", "1048576"}}));
  ASSERT_EQ(r.error, RD_KAFKA_RESP_ERR_NO_ERROR) << r.message;
  ASSERT_OK_AND_ASSIGN(auto configs, admin_->DescribeTopicConfigs("altered"));
  EXPECT_EQ(configs["segment.bytes"], "1048576");
  EXPECT_EQ(configs["retention.ms"], "604800000");  // no longer overridden

  ASSERT_OK_AND_ASSIGN(Admin::ResourceResult dry,
                       admin_->AlterConfigs(RD_KAFKA_RESOURCE_TOPIC, "altered",
                                            {{"segment.bytes", "2097152"}}, true));
  EXPECT_EQ(dry.error, RD_KAFKA_RESP_ERR_NO_ERROR) << dry.message;
  ASSERT_OK_AND_ASSIGN(configs, admin_->DescribeTopicConfigs("altered"));
  EXPECT_EQ(configs["segment.bytes"], "1048576");
}

TEST_F(RdkafkaAdminTest, AlterConfigsErrorsArePerResource) {
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t err, admin_->CreateTopic("strict", 1));
  ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_OK_AND_ASSIGN(Admin::ResourceResult bad,
                       admin_->AlterConfigs(RD_KAFKA_RESOURCE_TOPIC, "strict",
                                            {{"segment.bytes", "huge"}}));
  EXPECT_EQ(bad.error, RD_KAFKA_RESP_ERR_INVALID_CONFIG) << rd_kafka_err2name(bad.error);
  EXPECT_NE(bad.message.find("segment.bytes"), std::string::npos) << bad.message;
  ASSERT_OK_AND_ASSIGN(Admin::ResourceResult missing,
                       admin_->AlterConfigs(RD_KAFKA_RESOURCE_TOPIC, "absent",
                                            {{"segment.bytes", "1048576"}}));
  EXPECT_EQ(missing.error, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  ASSERT_OK_AND_ASSIGN(Admin::ResourceResult broker,
                       admin_->AlterConfigs(RD_KAFKA_RESOURCE_BROKER, "0",
                                            {{"listeners", "PLAINTEXT://127.0.0.1:1"}}));
  EXPECT_EQ(broker.error, RD_KAFKA_RESP_ERR_INVALID_REQUEST) << rd_kafka_err2name(broker.error);
}

TEST_F(RdkafkaAdminTest, DeleteRecordsMovesTheLowWatermark) {
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t created, admin_->CreateTopic("trimmed", 2));
  ASSERT_EQ(created, RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_OK(WaitForTopic(admin_->handle(), "trimmed", 2, kTimeout));
  {
    ASSERT_OK_AND_ASSIGN(auto producer, Producer::Create(broker_.bootstrap()));
    std::vector<Message> msgs(12);
    for (size_t i = 0; i < msgs.size(); ++i) {
      msgs[i].topic = "trimmed";
      msgs[i].partition = i < 8 ? 0 : 1;  // 8 records in p0, 4 in p1
      msgs[i].value = "r" + std::to_string(i);
    }
    ASSERT_OK(producer->ProduceAll(msgs, kTimeout).status());
  }
  ASSERT_OK_AND_ASSIGN(auto result,
                       admin_->DeleteRecords("trimmed", {{0, 5}, {1, RD_KAFKA_OFFSET_END}}));
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0].error, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(result[0].error);
  EXPECT_EQ(result[0].low_watermark, 5);
  EXPECT_EQ(result[1].error, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(result[1].error);
  EXPECT_EQ(result[1].low_watermark, 4);  // OFFSET_END (-1) = high watermark
  int64_t low = -1, high = -1;
  ASSERT_EQ(rd_kafka_query_watermark_offsets(admin_->handle(), "trimmed", 0, &low, &high, 15000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(low, 5);
  EXPECT_EQ(high, 8);

  ASSERT_OK_AND_ASSIGN(auto above, admin_->DeleteRecords("trimmed", {{0, 9}}));
  EXPECT_EQ(above[0].error, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
      << rd_kafka_err2name(above[0].error);
}

}  // namespace
}  // namespace keel::integration
