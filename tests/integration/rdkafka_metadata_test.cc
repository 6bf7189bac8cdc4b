// librdkafka against a real keel: Metadata (broker list, topics, partitions,
// auto-creation on and off).
#include <librdkafka/rdkafka.h>

#include "broker_process.h"
#include "gtest/gtest.h"
#include "rdkafka_client.h"
#include "test_macros.h"

namespace keel::integration {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kTimeout(15000);

TEST(RdkafkaMetadataTest, BrokerListIsTheListenerAddress) {
  BrokerProcess broker;
  ASSERT_OK(broker.Start());
  ASSERT_OK_AND_ASSIGN(RdKafkaPtr rk, NewHandle(RD_KAFKA_PRODUCER, broker.bootstrap(), {}));
  ASSERT_OK_AND_ASSIGN(ClusterInfo md, FetchMetadata(rk.get(), "", kTimeout));
  ASSERT_EQ(md.brokers.size(), 1u);
  EXPECT_EQ(md.brokers[0].second, broker.bootstrap());
  EXPECT_GE(md.brokers[0].first, 0);
}

TEST(RdkafkaMetadataTest, AutoCreatedTopicHasConfiguredPartitionCount) {
  BrokerProcess broker(BrokerSettings{{"num.partitions", "3"}, {"auto.create.topics.enable", "true"}});
  ASSERT_OK(broker.Start());
  ASSERT_OK_AND_ASSIGN(RdKafkaPtr rk, NewHandle(RD_KAFKA_PRODUCER, broker.bootstrap(), {}));
  ASSERT_OK(WaitForTopic(rk.get(), "auto-created", 3, kTimeout));
  ASSERT_OK_AND_ASSIGN(ClusterInfo md, FetchMetadata(rk.get(), "", kTimeout));
  ASSERT_EQ(md.brokers.size(), 1u);
  ASSERT_TRUE(md.topics.count("auto-created"));
  for (int32_t leader : md.topics["auto-created"].partition_leaders) {
    EXPECT_EQ(leader, md.brokers[0].first);
  }
}

TEST(RdkafkaMetadataTest, UnknownTopicIsReportedWhenAutoCreateIsDisabled) {
  BrokerProcess broker(BrokerSettings{{"auto.create.topics.enable", "false"}});
  ASSERT_OK(broker.Start());
  // A producer asks for auto-creation; the broker must refuse it.
  ASSERT_OK_AND_ASSIGN(RdKafkaPtr rk, NewHandle(RD_KAFKA_PRODUCER, broker.bootstrap(), {}));
  ASSERT_OK_AND_ASSIGN(ClusterInfo md, FetchMetadata(rk.get(), "no-such-topic", kTimeout));
  ASSERT_TRUE(md.topics.count("no-such-topic"));
  EXPECT_EQ(md.topics["no-such-topic"].error, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  ASSERT_OK_AND_ASSIGN(ClusterInfo all, FetchMetadata(rk.get(), "", kTimeout));
  EXPECT_EQ(all.topics.count("no-such-topic"), 0u);
}

TEST(RdkafkaMetadataTest, AllTopicsListingShowsEveryTopicWithItsPartitions) {
  BrokerProcess broker;
  ASSERT_OK(broker.Start());
  ASSERT_OK_AND_ASSIGN(auto admin, Admin::Create(broker.bootstrap()));
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t e1, admin->CreateTopic("alpha", 1));
  ASSERT_EQ(e1, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(e1);
  ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t e2, admin->CreateTopic("beta", 5));
  ASSERT_EQ(e2, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(e2);
  ASSERT_OK(WaitForTopic(admin->handle(), "beta", 5, kTimeout));
  ASSERT_OK_AND_ASSIGN(ClusterInfo md, FetchMetadata(admin->handle(), "", kTimeout));
  ASSERT_TRUE(md.topics.count("alpha"));
  ASSERT_TRUE(md.topics.count("beta"));
  EXPECT_EQ(md.topics["alpha"].partition_leaders.size(), 1u);
  EXPECT_EQ(md.topics["beta"].partition_leaders.size(), 5u);
  EXPECT_EQ(md.topics["alpha"].error, RD_KAFKA_RESP_ERR_NO_ERROR);
}

}  // namespace
}  // namespace keel::integration
