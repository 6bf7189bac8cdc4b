// librdkafka producer and (group-less) consumer against a real keel: exact
// round trips with every codec, volume, large records, long-poll wake-up,
// offset-out-of-range resets, isolation levels and the idempotent producer.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker_process.h"
#include "gtest/gtest.h"
#include "rdkafka_client.h"
#include "test_macros.h"

namespace keel::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
constexpr milliseconds kTimeout(30000);

// Creates `topic` with `partitions` partitions and waits until it has leaders.
absl::Status CreateTopic(const std::string& bootstrap, const std::string& topic, int partitions) {
  auto admin = Admin::Create(bootstrap);
  if (!admin.ok()) return admin.status();
  auto err = (*admin)->CreateTopic(topic, partitions);
  if (!err.ok()) return err.status();
  if (*err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnknownError(absl::StrCat("CreateTopics: ", rd_kafka_err2name(*err)));
  }
  return WaitForTopic((*admin)->handle(), topic, partitions, kTimeout);
}

// Deterministic pseudo-random bytes.
std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 12345;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

void ExpectSameRecord(const Message& got, const Message& want, size_t i) {
  SCOPED_TRACE(absl::StrCat("record ", i));
  EXPECT_EQ(got.key, want.key);
  EXPECT_EQ(got.value, want.value);
  EXPECT_EQ(got.headers, want.headers);
  EXPECT_EQ(got.timestamp, want.timestamp);
  EXPECT_EQ(got.timestamp_type, RD_KAFKA_TIMESTAMP_CREATE_TIME);
}

class RdkafkaProduceConsumeTest : public ::testing::Test {
 protected:
  explicit RdkafkaProduceConsumeTest(BrokerSettings settings = {})
      : broker_(std::move(settings)) {}
  void SetUp() override { ASSERT_OK(broker_.Start()); }
  BrokerProcess broker_;
};

// ---------------------------------------------------------------- codecs

class CodecRoundTripTest : public RdkafkaProduceConsumeTest,
                           public ::testing::WithParamInterface<const char*> {};

TEST_P(CodecRoundTripTest, KeysHeadersTimestampsSurviveExactly) {
  const std::string topic = absl::StrCat("codec-", GetParam());
  ASSERT_OK(CreateTopic(broker_.bootstrap(), topic, 1));
  std::vector<Message> sent;
  for (int i = 0; i < 300; ++i) {
    Message m;
    m.topic = topic;
    m.partition = 0;
    if (i % 7 != 3) m.key = absl::StrCat("key-", i);  // some null keys
    if (i % 11 != 5) {                                 // some null values (tombstones)
      m.value = i % 2 ? std::string(200 + i, char('a' + i % 26)) : Pattern(100 + i, i);
    }
    if (i % 3 == 0) m.headers.emplace_back("h1", absl::StrCat("v", i));
    if (i % 5 == 0) {
      m.headers.emplace_back("dup", std::string("x"));
      m.headers.emplace_back("dup", std::string("y"));
      m.headers.emplace_back("null-header", std::nullopt);
    }
    m.timestamp = 1600000000000 + i * 1000 + (i % 4 == 0 ? 999999 : 0);
    sent.push_back(std::move(m));
  }
  ASSERT_OK_AND_ASSIGN(auto producer,
                       Producer::Create(broker_.bootstrap(), {{"compression.codec", GetParam()},
                                                              {"acks", "all"},
                                                              {"linger.ms", "50"}}));
  ASSERT_OK_AND_ASSIGN(std::vector<Message> reports, producer->ProduceAll(sent, kTimeout));
  ASSERT_EQ(reports.size(), sent.size());
  for (size_t i = 0; i < reports.size(); ++i) EXPECT_EQ(reports[i].offset, int64_t(i));

  ASSERT_OK_AND_ASSIGN(auto consumer, Consumer::Create(broker_.bootstrap()));
  ASSERT_OK(consumer->Assign(topic, 0, RD_KAFKA_OFFSET_BEGINNING));
  ASSERT_OK_AND_ASSIGN(std::vector<Message> got, consumer->Consume(sent.size(), kTimeout));
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(got[i].offset, int64_t(i));
    ExpectSameRecord(got[i], sent[i], i);
  }
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecRoundTripTest,
                         ::testing::Values("none", "gzip", "snappy", "lz4", "zstd"),
                         [](const auto& info) { return std::string(info.param); });

// ---------------------------------------------------------------- volume

uint64_t Fnv1a(uint64_t h, const std::string& s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

TEST_F(RdkafkaProduceConsumeTest, HundredThousandSmallRecordsRoundTripWithChecksum) {
  constexpr int kCount = 100000;
  ASSERT_OK(CreateTopic(broker_.bootstrap(), "volume", 1));
  ASSERT_OK_AND_ASSIGN(auto producer,
                       Producer::Create(broker_.bootstrap(), {{"linger.ms", "20"},
                                                              {"batch.num.messages", "10000"},
                                                              {"compression.codec", "none"}}));
  uint64_t want = 1469598103934665603ull;
  for (int i = 0; i < kCount; ++i) {
    Message m;
    m.topic = "volume";
    m.partition = 0;
    m.key = absl::StrCat(i % 1000);
    m.value = absl::StrCat("record-", i, "-", (i * 7919) % 100003);
    want = Fnv1a(Fnv1a(want, *m.key), *m.value);
    ASSERT_OK(producer->Produce(m));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<Message> reports, producer->Flush(seconds(120)));
  ASSERT_EQ(reports.size(), size_t(kCount));

  ASSERT_OK_AND_ASSIGN(auto consumer, Consumer::Create(broker_.bootstrap()));
  ASSERT_OK(consumer->Assign("volume", 0, RD_KAFKA_OFFSET_BEGINNING));
  ASSERT_OK_AND_ASSIGN(std::vector<Message> got, consumer->Consume(kCount, seconds(120)));
  uint64_t have = 1469598103934665603ull;
  int64_t bad_offsets = 0;
  for (int i = 0; i < kCount; ++i) {
    bad_offsets += got[i].offset != i;
    have = Fnv1a(Fnv1a(have, got[i].key.value_or("<null>")), got[i].value.value_or("<null>"));
  }
  EXPECT_EQ(bad_offsets, 0);
  EXPECT_EQ(have, want);
}

class LargeRecordTest : public RdkafkaProduceConsumeTest {
 protected:
  LargeRecordTest()
      : RdkafkaProduceConsumeTest(BrokerSettings{{"message.max.bytes", "4194304"},
                                                 {"socket.request.max.bytes", "104857600"}}) {}
};

TEST_F(LargeRecordTest, OneMebibyteRecordsRoundTrip) {
  ASSERT_OK(CreateTopic(broker_.bootstrap(), "large", 1));
  std::vector<Message> sent;
  for (int i = 0; i < 6; ++i) {
    Message m;
    m.topic = "large";
    m.partition = 0;
    m.key = absl::StrCat("big-", i);
    m.value = Pattern(1 << 20, 1000 + i);
    sent.push_back(std::move(m));
  }
  ASSERT_OK_AND_ASSIGN(auto producer,
                       Producer::Create(broker_.bootstrap(), {{"message.max.bytes", "4194304"},
                                                              {"batch.size", "2097152"}}));
  ASSERT_OK_AND_ASSIGN(std::vector<Message> reports, producer->ProduceAll(sent, kTimeout));
  ASSERT_EQ(reports.size(), sent.size());

  ASSERT_OK_AND_ASSIGN(auto consumer,
                       Consumer::Create(broker_.bootstrap(),
                                        {{"fetch.message.max.bytes", "8388608"},
                                         {"fetch.max.bytes", "16777216"},
                                         {"receive.message.max.bytes", "33554432"}}));
  ASSERT_OK(consumer->Assign("large", 0, RD_KAFKA_OFFSET_BEGINNING));
  ASSERT_OK_AND_ASSIGN(std::vector<Message> got, consumer->Consume(sent.size(), kTimeout));
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(got[i].offset, int64_t(i));
    EXPECT_EQ(got[i].key, sent[i].key);
    EXPECT_TRUE(got[i].value == sent[i].value) << "value of 1 MiB record " << i << " differs";
  }
}

// ---------------------------------------------------------------- long poll

TEST_F(RdkafkaProduceConsumeTest, LongPollingFetchWakesUpWhenARecordArrives) {
  ASSERT_OK(CreateTopic(broker_.bootstrap(), "waiting", 1));
  constexpr int kMaxWaitMs = 20000;
  ASSERT_OK_AND_ASSIGN(auto consumer,
                       Consumer::Create(broker_.bootstrap(),
                                        {{"fetch.wait.max.ms", std::to_string(kMaxWaitMs)},
                                         {"socket.timeout.ms", "60000"}}));
  ASSERT_OK(consumer->Assign("waiting", 0, RD_KAFKA_OFFSET_BEGINNING));
  // Let the consumer resolve its position and park in a long-polling Fetch.
  ASSERT_OK_AND_ASSIGN(auto nothing, consumer->PollOne(seconds(3)));
  ASSERT_FALSE(nothing.has_value()) << "unexpected record in an empty partition";

  ASSERT_OK_AND_ASSIGN(auto producer, Producer::Create(broker_.bootstrap()));
  Message m;
  m.topic = "waiting";
  m.partition = 0;
  m.value = "wake up";
  const auto produced_at = std::chrono::steady_clock::now();
  ASSERT_OK(producer->ProduceAll({m}, kTimeout).status());
  // The waiting Fetch must be answered when the record lands, not when
  // fetch.wait.max.ms expires: allow half of it.
  ASSERT_OK_AND_ASSIGN(auto got, consumer->PollOne(milliseconds(kMaxWaitMs / 2)));
  const auto waited = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                               produced_at);
  ASSERT_TRUE(got.has_value()) << "record not delivered within " << kMaxWaitMs / 2
                               << " ms of being produced (fetch.wait.max.ms=" << kMaxWaitMs << ")";
  EXPECT_EQ(got->value, "wake up");
  EXPECT_LT(waited.count(), kMaxWaitMs / 2);
}

// ---------------------------------------------------------------- offset reset

class OffsetResetTest : public RdkafkaProduceConsumeTest {
 protected:
  void SetUp() override {
    RdkafkaProduceConsumeTest::SetUp();
    ASSERT_OK(CreateTopic(broker_.bootstrap(), "reset", 1));
    ASSERT_OK_AND_ASSIGN(producer_, Producer::Create(broker_.bootstrap()));
    ASSERT_OK(ProduceValues(0, 10));
  }
  absl::Status ProduceValues(int from, int to) {
    std::vector<Message> msgs;
    for (int i = from; i < to; ++i) {
      Message m;
      m.topic = "reset";
      m.partition = 0;
      m.value = absl::StrCat("v", i);
      msgs.push_back(m);
    }
    return producer_->ProduceAll(msgs, kTimeout).status();
  }
  std::unique_ptr<Producer> producer_;
};

TEST_F(OffsetResetTest, OutOfRangeOffsetResetsToEarliest) {
  ASSERT_OK_AND_ASSIGN(auto consumer,
                       Consumer::Create(broker_.bootstrap(), {{"auto.offset.reset", "earliest"}}));
  ASSERT_OK(consumer->Assign("reset", 0, 1000));
  ASSERT_OK_AND_ASSIGN(std::vector<Message> got, consumer->Consume(10, kTimeout));
  EXPECT_EQ(got[0].offset, 0);
  EXPECT_EQ(got[0].value, "v0");
  EXPECT_EQ(got[9].offset, 9);
}

TEST_F(OffsetResetTest, OutOfRangeOffsetResetsToLatest) {
  ASSERT_OK_AND_ASSIGN(auto consumer,
                       Consumer::Create(broker_.bootstrap(), {{"auto.offset.reset", "latest"}}));
  ASSERT_OK(consumer->Assign("reset", 0, 1000));
  // Nothing must arrive: the position resets to the end (10), not to 0.
  ASSERT_OK_AND_ASSIGN(auto early, consumer->PollOne(seconds(3)));
  ASSERT_FALSE(early.has_value()) << "got offset " << early->offset << " before producing more";
  ASSERT_OK(ProduceValues(10, 11));
  ASSERT_OK_AND_ASSIGN(std::vector<Message> got, consumer->Consume(1, kTimeout));
  EXPECT_EQ(got[0].offset, 10);
  EXPECT_EQ(got[0].value, "v10");
}

TEST_F(OffsetResetTest, OutOfRangeOffsetWithResetErrorIsReported) {
  ASSERT_OK_AND_ASSIGN(auto consumer,
                       Consumer::Create(broker_.bootstrap(), {{"auto.offset.reset", "error"}}));
  ASSERT_OK(consumer->Assign("reset", 0, 1000));
  auto got = consumer->Consume(1, seconds(10));
  ASSERT_FALSE(got.ok()) << "consumed from an out-of-range offset";
  // librdkafka turns the broker's OFFSET_OUT_OF_RANGE into _AUTO_OFFSET_RESET.
  EXPECT_NE(got.status().message().find("_AUTO_OFFSET_RESET"), std::string::npos) << got.status();
}

// ---------------------------------------------------------------- isolation

TEST_F(RdkafkaProduceConsumeTest, ReadCommittedConsumerSeesNonTransactionalRecords) {
  ASSERT_OK(CreateTopic(broker_.bootstrap(), "committed", 1));
  ASSERT_OK_AND_ASSIGN(auto producer, Producer::Create(broker_.bootstrap()));
  std::vector<Message> sent(20);
  for (int i = 0; i < 20; ++i) {
    sent[i].topic = "committed";
    sent[i].partition = 0;
    sent[i].value = absl::StrCat("c", i);
  }
  ASSERT_OK(producer->ProduceAll(sent, kTimeout).status());
  for (const char* level : {"read_committed", "read_uncommitted"}) {
    SCOPED_TRACE(level);
    ASSERT_OK_AND_ASSIGN(auto consumer,
                         Consumer::Create(broker_.bootstrap(), {{"isolation.level", level}}));
    ASSERT_OK(consumer->Assign("committed", 0, RD_KAFKA_OFFSET_BEGINNING));
    ASSERT_OK_AND_ASSIGN(std::vector<Message> got, consumer->Consume(20, kTimeout));
    for (int i = 0; i < 20; ++i) EXPECT_EQ(got[i].value, sent[i].value);
    int64_t low = -1, high = -1;
    ASSERT_EQ(rd_kafka_query_watermark_offsets(consumer->handle(), "committed", 0, &low, &high,
                                               15000),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    EXPECT_EQ(low, 0);
    EXPECT_EQ(high, 20);
  }
}

// ---------------------------------------------------------------- acks

TEST_F(RdkafkaProduceConsumeTest, AcksZeroAndOneRecordsAreStored) {
  ASSERT_OK(CreateTopic(broker_.bootstrap(), "acks", 1));
  std::vector<Message> all;
  for (const char* acks : {"1", "0"}) {
    ASSERT_OK_AND_ASSIGN(auto producer,
                         Producer::Create(broker_.bootstrap(), {{"acks", acks}}));
    std::vector<Message> msgs(10);
    for (int i = 0; i < 10; ++i) {
      msgs[i].topic = "acks";
      msgs[i].partition = 0;
      msgs[i].value = absl::StrCat("acks", acks, "-", i);
    }
    ASSERT_OK_AND_ASSIGN(std::vector<Message> reports, producer->ProduceAll(msgs, kTimeout));
    ASSERT_EQ(reports.size(), 10u);
    if (std::string(acks) == "1") {
      EXPECT_EQ(reports[0].offset, 0);
    }
    all.insert(all.end(), msgs.begin(), msgs.end());
  }
  ASSERT_OK_AND_ASSIGN(auto consumer, Consumer::Create(broker_.bootstrap()));
  ASSERT_OK(consumer->Assign("acks", 0, RD_KAFKA_OFFSET_BEGINNING));
  ASSERT_OK_AND_ASSIGN(std::vector<Message> got, consumer->Consume(all.size(), kTimeout));
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(got[i].value, all[i].value);
}

// ---------------------------------------------------------------- partitions

TEST_F(RdkafkaProduceConsumeTest, PartitionsHaveIndependentOffsets) {
  ASSERT_OK(CreateTopic(broker_.bootstrap(), "multi", 3));
  ASSERT_OK_AND_ASSIGN(auto producer, Producer::Create(broker_.bootstrap()));
  std::vector<Message> msgs;
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < 5 * (p + 1); ++i) {
      Message m;
      m.topic = "multi";
      m.partition = p;
      m.value = absl::StrCat("p", p, "-", i);
      msgs.push_back(m);
    }
  }
  ASSERT_OK(producer->ProduceAll(msgs, kTimeout).status());
  for (int p = 0; p < 3; ++p) {
    SCOPED_TRACE(absl::StrCat("partition ", p));
    ASSERT_OK_AND_ASSIGN(auto consumer, Consumer::Create(broker_.bootstrap()));
    ASSERT_OK(consumer->Assign("multi", p, RD_KAFKA_OFFSET_BEGINNING));
    ASSERT_OK_AND_ASSIGN(std::vector<Message> got, consumer->Consume(5 * (p + 1), kTimeout));
    for (int i = 0; i < 5 * (p + 1); ++i) {
      EXPECT_EQ(got[i].partition, p);
      EXPECT_EQ(got[i].offset, i);
      EXPECT_EQ(got[i].value, absl::StrCat("p", p, "-", i));
    }
    int64_t low = -1, high = -1;
    ASSERT_EQ(rd_kafka_query_watermark_offsets(consumer->handle(), "multi", p, &low, &high,
                                               15000),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    EXPECT_EQ(high, 5 * (p + 1));
  }
}

// ---------------------------------------------------------------- idempotence

TEST_F(RdkafkaProduceConsumeTest, IdempotentProducerWritesEachRecordOnceInOrder) {
  ASSERT_OK(CreateTopic(broker_.bootstrap(), "idempotent", 1));
  ASSERT_OK_AND_ASSIGN(auto producer,
                       Producer::Create(broker_.bootstrap(),
                                        {{"enable.idempotence", "true"},
                                         {"max.in.flight.requests.per.connection", "5"},
                                         {"linger.ms", "5"},
                                         {"batch.num.messages", "100"}}));
  constexpr int kCount = 2000;
  std::vector<Message> msgs(kCount);
  for (int i = 0; i < kCount; ++i) {
    msgs[i].topic = "idempotent";
    msgs[i].partition = 0;
    msgs[i].value = absl::StrCat("idem-", i);
  }
  ASSERT_OK_AND_ASSIGN(std::vector<Message> reports, producer->ProduceAll(msgs, kTimeout));
  ASSERT_EQ(reports.size(), size_t(kCount));
  char errstr[512];
  const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(producer->handle(), errstr, sizeof errstr);
  EXPECT_EQ(fatal, RD_KAFKA_RESP_ERR_NO_ERROR) << errstr;

  ASSERT_OK_AND_ASSIGN(auto consumer, Consumer::Create(broker_.bootstrap()));
  ASSERT_OK(consumer->Assign("idempotent", 0, RD_KAFKA_OFFSET_BEGINNING));
  ASSERT_OK_AND_ASSIGN(std::vector<Message> got, consumer->Consume(kCount, kTimeout));
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(got[i].offset, i);
    ASSERT_EQ(got[i].value, msgs[i].value);
  }
  int64_t low = -1, high = -1;
  ASSERT_EQ(rd_kafka_query_watermark_offsets(consumer->handle(), "idempotent", 0, &low, &high,
                                             15000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(high, kCount) << "duplicates were appended";
}

}  // namespace
}  // namespace keel::integration
