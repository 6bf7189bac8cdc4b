// Durability seen through librdkafka: everything acknowledged with acks=all is
// read back after a clean restart (SIGTERM) and after a crash (SIGKILL), and
// the log continues at the next offset.
#include <librdkafka/rdkafka.h>

#include "absl/strings/str_cat.h"
#include "broker_process.h"
#include "gtest/gtest.h"
#include "rdkafka_client.h"
#include "test_macros.h"

namespace keel::integration {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kTimeout(30000);
constexpr int kPartitions = 2;
constexpr int kPerPartition = 1500;

class RdkafkaRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(broker_.Start());
    ASSERT_OK_AND_ASSIGN(auto admin, Admin::Create(broker_.bootstrap()));
    ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t err, admin->CreateTopic("durable", kPartitions));
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(err);
    ASSERT_OK(WaitForTopic(admin->handle(), "durable", kPartitions, kTimeout));
  }

  static std::string Value(int partition, int i) { return absl::StrCat("p", partition, "-r", i); }

  // Produces records [from, to) to every partition with acks=all, in several
  // requests (small batches), and checks the acknowledged offsets.
  void ProduceAcked(int from, int to) {
    ASSERT_OK_AND_ASSIGN(auto producer,
                         Producer::Create(broker_.bootstrap(),
                                          {{"acks", "all"}, {"batch.num.messages", "100"}}));
    std::vector<Message> msgs;
    for (int p = 0; p < kPartitions; ++p) {
      for (int i = from; i < to; ++i) {
        Message m;
        m.topic = "durable";
        m.partition = p;
        m.key = absl::StrCat(i);
        m.value = Value(p, i);
        msgs.push_back(m);
      }
    }
    ASSERT_OK_AND_ASSIGN(std::vector<Message> reports, producer->ProduceAll(msgs, kTimeout));
    ASSERT_EQ(reports.size(), msgs.size());
    for (const Message& r : reports) {
      ASSERT_EQ(r.value, Value(r.partition, int(r.offset))) << "offset assignment";
    }
  }

  void ExpectAllRecords(int count) {
    for (int p = 0; p < kPartitions; ++p) {
      SCOPED_TRACE(absl::StrCat("partition ", p));
      ASSERT_OK_AND_ASSIGN(auto consumer, Consumer::Create(broker_.bootstrap()));
      ASSERT_OK(consumer->Assign("durable", p, RD_KAFKA_OFFSET_BEGINNING));
      ASSERT_OK_AND_ASSIGN(std::vector<Message> got, consumer->Consume(count, kTimeout));
      for (int i = 0; i < count; ++i) {
        ASSERT_EQ(got[i].offset, i);
        ASSERT_EQ(got[i].key, absl::StrCat(i));
        ASSERT_EQ(got[i].value, Value(p, i));
      }
      int64_t low = -1, high = -1;
      ASSERT_EQ(rd_kafka_query_watermark_offsets(consumer->handle(), "durable", p, &low, &high,
                                                 15000),
                RD_KAFKA_RESP_ERR_NO_ERROR);
      EXPECT_EQ(high, count);
    }
  }

  BrokerProcess broker_;
};

TEST_F(RdkafkaRestartTest, CleanRestartKeepsAcknowledgedRecords) {
  ASSERT_NO_FATAL_FAILURE(ProduceAcked(0, kPerPartition));
  ASSERT_OK(broker_.Stop());
  ASSERT_OK(broker_.Start());
  ASSERT_NO_FATAL_FAILURE(ExpectAllRecords(kPerPartition));
  ASSERT_NO_FATAL_FAILURE(ProduceAcked(kPerPartition, kPerPartition + 10));
  ASSERT_NO_FATAL_FAILURE(ExpectAllRecords(kPerPartition + 10));
}

TEST_F(RdkafkaRestartTest, CrashRestartKeepsAcknowledgedRecords) {
  ASSERT_NO_FATAL_FAILURE(ProduceAcked(0, kPerPartition));
  ASSERT_OK(broker_.Kill());
  ASSERT_OK(broker_.Start());
  ASSERT_NO_FATAL_FAILURE(ExpectAllRecords(kPerPartition));
  ASSERT_NO_FATAL_FAILURE(ProduceAcked(kPerPartition, kPerPartition + 10));
  ASSERT_NO_FATAL_FAILURE(ExpectAllRecords(kPerPartition + 10));
}

TEST_F(RdkafkaRestartTest, TopicsAndConfigsSurviveRestart) {
  {
    ASSERT_OK_AND_ASSIGN(auto admin, Admin::Create(broker_.bootstrap()));
    ASSERT_OK_AND_ASSIGN(rd_kafka_resp_err_t err,
                         admin->CreateTopic("configured", 3, {{"retention.ms", "-1"}}));
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(err);
  }
  ASSERT_OK(broker_.Kill());
  ASSERT_OK(broker_.Restart());
  ASSERT_OK_AND_ASSIGN(auto admin, Admin::Create(broker_.bootstrap()));
  ASSERT_OK(WaitForTopic(admin->handle(), "durable", kPartitions, kTimeout));
  ASSERT_OK(WaitForTopic(admin->handle(), "configured", 3, kTimeout));
  ASSERT_OK_AND_ASSIGN(auto configs, admin->DescribeTopicConfigs("configured"));
  EXPECT_EQ(configs["retention.ms"], "-1");
}

TEST_F(RdkafkaRestartTest, ClientReconnectsAcrossRestart) {
  // One producer handle lives across the restart: the broker must come back
  // on the same address and accept the retried/queued records.
  ASSERT_OK_AND_ASSIGN(auto producer,
                       Producer::Create(broker_.bootstrap(), {{"message.timeout.ms", "60000"}}));
  Message m;
  m.topic = "durable";
  m.partition = 0;
  m.key = "0";
  m.value = Value(0, 0);
  ASSERT_OK(producer->ProduceAll({m}, kTimeout).status());
  ASSERT_OK(broker_.Restart());
  m.key = "1";
  m.value = Value(0, 1);
  ASSERT_OK_AND_ASSIGN(std::vector<Message> reports, producer->ProduceAll({m}, kTimeout));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].offset, 1);
}

}  // namespace
}  // namespace keel::integration
